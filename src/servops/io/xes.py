"""XES and XES.gz event logs.

The fast path is rustxes (a Rust importer, MIT/Apache). It panics on malformed XML, so on
any failure the file is read again by a streaming standard-library parser, which either
reads it (some exporters write XES that rustxes rejects) or says where it breaks: a
truncated download, an unclosed tag, a file that is not XES at all.
"""

from __future__ import annotations

import contextlib
import gzip
import itertools
import os
import sys
import tempfile
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pyarrow as pa

from servops.errors import LogSchemaError

if TYPE_CHECKING:
    import io
    from collections.abc import Iterator
    from pathlib import Path

    import duckdb

    from servops.io.raw import RawSource

__all__ = ["read_xes_arrow", "scan_xes"]

_TYPED = {"string", "date", "int", "float", "boolean", "id"}


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence fd 2 while rustxes runs: its panics print a Rust backtrace we replace."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), fd)
        try:
            yield
        finally:
            os.dup2(saved, fd)
            os.close(saved)


def _rustxes(path: Path) -> pa.Table | None:
    try:
        import rustxes
    except ImportError:  # optional fast path; the streaming parser is the fallback
        return None
    try:
        with _quiet_stderr():
            frame = rustxes.import_xes(str(path))[0]
    except BaseException as exc:  # rustxes raises pyo3 PanicException (a BaseException)
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        return None
    table: pa.Table = frame.to_arrow()
    cols = []
    for name, col in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_timestamp(col.type):
            col = col.cast(pa.timestamp("us", tz="UTC"))
        elif pa.types.is_large_string(col.type) or pa.types.is_string_view(col.type):
            col = col.cast(pa.string())
        cols.append((name, col))
    return pa.table(dict(cols))


def _parse_date(text: str) -> datetime:
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _streaming(path: Path) -> pa.Table:
    """Read an XES file with ``xml.etree.ElementTree.iterparse`` (slow but exact)."""
    rows: dict[str, list[object]] = {}
    n = 0
    trace_attrs: dict[str, object] = {}
    in_event = False
    event: dict[str, object] = {}
    depth_in_attr = 0

    def put(record: dict[str, object]) -> None:
        nonlocal n
        for key in record.keys() - rows.keys():
            rows[key] = [None] * n
        for key, col in rows.items():
            col.append(record.get(key))
        n += 1

    with path.open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    stream: io.BufferedIOBase = gzip.open(path, "rb") if gz else path.open("rb")  # noqa: SIM115 - closed by the with below
    with stream:
        for ev, el in ET.iterparse(stream, events=("start", "end")):
            tag = el.tag.rsplit("}", 1)[-1]
            if ev == "start":
                if tag == "trace":
                    trace_attrs = {}
                elif tag == "event":
                    in_event, event = True, {}
                elif tag not in _TYPED and tag not in ("log", "global"):
                    depth_in_attr += 1
                continue
            if tag in _TYPED and depth_in_attr == 0:
                key, val = el.get("key"), el.get("value")
                if key is not None and val is not None:
                    value: object = val
                    if tag == "date":
                        value = _parse_date(val)
                    if in_event:
                        event[key] = value
                    elif el is not None:
                        trace_attrs["case:" + key] = value
            elif tag == "event":
                in_event = False
                put({**trace_attrs, **event})
                el.clear()
            elif tag == "trace":
                el.clear()
            elif tag not in _TYPED and tag not in ("log", "global", "trace", "event"):
                depth_in_attr = max(0, depth_in_attr - 1)
    arrays = {}
    for key, col in rows.items():
        if any(isinstance(v, datetime) for v in col):
            arrays[key] = pa.array(
                [v if isinstance(v, datetime) else None for v in col],
                pa.timestamp("us", tz="UTC"),
            )
        else:
            arrays[key] = pa.array(
                [None if v is None else str(v) for v in col], pa.string()
            )
    return pa.table(arrays)


def read_xes_arrow(path: Path) -> pa.Table:
    """Read an XES or XES.gz file into an Arrow table (one row per event, XES keys).

    Trace attributes are prefixed ``case:`` as in PM4Py. Dates are UTC.
    """
    table = _rustxes(path)
    if table is not None:
        return table
    try:
        return _streaming(path)
    except ET.ParseError as exc:
        line, col = exc.position
        msg = (
            f"{path}: not a complete XES file: XML error at line {line}, column {col} "
            f"({exc.msg if hasattr(exc, 'msg') else exc}). The file looks truncated or "
            f"damaged; export or download it again."
        )
        raise LogSchemaError(msg) from exc
    except (EOFError, OSError, gzip.BadGzipFile) as exc:
        msg = (
            f"{path}: the gzip stream ends early or is damaged ({exc}). The file looks "
            f"truncated; download or export it again."
        )
        raise LogSchemaError(msg) from exc


_counter = itertools.count()


def scan_xes(con: duckdb.DuckDBPyConnection, path: Path) -> RawSource:
    """Describe an XES file as a raw source registered in ``con``."""
    table = read_xes_arrow(path)
    if table.num_rows == 0:
        msg = f"{path}: the XES file has no events."
        raise LogSchemaError(msg)
    from servops.io.tables import register_table

    return register_table(con, table, str(path), "xes", first_row=1, row_word="event")
