"""CSV and TSV files (optionally gzip), read by DuckDB's parallel CSV reader."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import duckdb

from servops.errors import LogSchemaError
from servops.io.encoding import detect_encoding, open_bytes, transcode_to_utf8
from servops.io.raw import RawSource

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = ["scan_csv"]


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def _sniff_delimiter(sample: str) -> str:
    lines = [ln for ln in sample.splitlines()[:50] if ln.strip()]
    best, best_score = ",", -1
    for delim in (",", ";", "\t", "|"):
        counts = [ln.count(delim) for ln in lines]
        if not counts or counts[0] == 0:
            continue
        # the delimiter that splits the header and most rows the same way
        same = sum(1 for c in counts if c == counts[0])
        score = same * 1000 + counts[0]
        if score > best_score:
            best, best_score = delim, score
    return best


def _with_nulls(from_sql: str, markers: tuple[str, ...]) -> str:
    """``from_sql`` with DuckDB's CSV parser reading ``markers`` as NULL."""
    items = ", ".join("'" + m.replace("'", "''") + "'" for m in markers)
    return from_sql.replace("null_padding=", f"nullstr=[{items}], null_padding=", 1)


def scan_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> RawSource:
    """Describe a CSV/TSV file as a raw source (every column read as text).

    Parameters
    ----------
    con
        The connection that will read the file.
    path
        The file; gzip is recognised from its content.
    encoding
        ``utf-8``, ``gb18030``, ``gbk``, ``latin-1``…; detected when ``None``.
    delimiter
        Sniffed from the first lines when ``None``.
    """
    try:
        sample_bytes = open_bytes(path)
    except (EOFError, OSError) as exc:
        msg = (
            f"{path}: the gzip stream ends early or is damaged ({exc}). The file looks "
            f"truncated; download or export it again."
        )
        raise LogSchemaError(msg) from exc
    if not sample_bytes.strip():
        msg = (
            f"{path}: the file is empty; expected a header row and at least one event."
        )
        raise LogSchemaError(msg)
    utf16 = sample_bytes.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        encoding or ""
    ).lower().replace("_", "-").startswith("utf-16")
    if b"\x00" in sample_bytes and not utf16:
        msg = (
            f"{path}: looks like a binary file (it holds NUL bytes), not CSV/TSV text. "
            "Give a CSV/TSV, XES, Excel or Parquet file (or --encoding utf-16 for "
            "UTF-16 text without a byte-order mark)."
        )
        raise LogSchemaError(msg)
    enc = (encoding or detect_encoding(sample_bytes)).lower().replace("_", "-")
    notes: list[str] = []
    cleanups: list[Callable[[], None]] = []
    source = path
    if enc in ("gbk", "gb2312", "gb18030", "big5", "cp936", "shift-jis", "cp1252"):
        target = "gb18030" if enc in ("gbk", "gb2312", "cp936") else enc
        try:
            source = transcode_to_utf8(path, target)
        except UnicodeDecodeError as exc:
            msg = (
                f"{path}: cannot be read as {enc}: byte {exc.start} is not valid in that "
                f"encoding. Pass the right one with --encoding (utf-8, gb18030, latin-1)."
            )
            raise LogSchemaError(msg) from exc
        cleanups.append(functools.partial(_remove, source))
        notes.append(f"read as {enc} (converted to UTF-8)")
        enc = "utf-8"
    text = sample_bytes.decode(
        "utf-8" if enc in ("utf-8", "utf-8-sig") else enc, errors="replace"
    ).lstrip("\ufeff")
    delim = delimiter or _sniff_delimiter(text)
    with path.open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b" and source == path
    duck_enc = {"utf-8-sig": "utf-8", "latin-1": "latin-1", "utf-16": "utf-16"}.get(
        enc, enc
    )
    if duck_enc not in ("utf-8", "latin-1", "utf-16"):
        source = transcode_to_utf8(path, enc)
        cleanups.append(functools.partial(_remove, source))
        duck_enc, gz = "utf-8", False
    quoted = str(source).replace("'", "''")
    d = delim.replace("'", "''")
    from_sql = (
        f"read_csv('{quoted}', header=true, all_varchar=true, delim='{d}', quote='\"', "
        f"escape='\"', compression='{'gzip' if gz else 'none'}', encoding='{duck_enc}', "
        f"null_padding=false, auto_detect=false, columns={{}})"
    )
    try:
        desc = con.execute(
            f"DESCRIBE SELECT * FROM read_csv('{quoted}', header=true, all_varchar=true, "
            f"delim='{d}', compression='{'gzip' if gz else 'none'}', "
            f"encoding='{duck_enc}', null_padding=true)"
        ).fetchall()
    except duckdb.Error as exc:
        for c in cleanups:
            c()
        # DuckDB's message ends with the SQL it ran ("LINE 1: DESCRIBE SELECT …"):
        # keep what it says about the file
        said = str(exc).split("\n\nLINE 1:", 1)[0].strip()
        msg = f"{path}: cannot be read as CSV ({delim!r}-separated): {said}"
        raise LogSchemaError(msg) from exc
    names = [str(r[0]) for r in desc]
    cols_sql = ", ".join("'{}': 'VARCHAR'".format(n.replace("'", "''")) for n in names)
    from_sql = from_sql.replace("columns={}", f"columns={{{cols_sql}}}")
    # Exports often drop trailing empty fields. The parallel reader cannot pad such rows
    # when quoted fields hold line breaks, so: fast first, then padded, then padded on
    # one thread. Rows are padded with empty values, never dropped.
    padded = from_sql.replace("null_padding=false", "null_padding=true")
    fallbacks = [
        (
            padded,
            "some rows have fewer fields than the header: missing fields are empty",
        ),
        (
            padded.replace("null_padding=true", "null_padding=true, parallel=false"),
            "some rows have fewer fields than the header: missing fields are empty",
        ),
    ]
    if delim != ",":
        notes.append(f"delimiter {delim!r}")
    return RawSource(
        label=str(path),
        kind="csv",
        from_sql=from_sql,
        columns=names,
        types=dict.fromkeys(names, "VARCHAR"),
        first_row=2,
        notes=notes,
        cleanups=cleanups,
        fallbacks=fallbacks,
        row_sql=None,
        with_nulls=_with_nulls,
    )
