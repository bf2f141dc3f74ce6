"""Read a file or table into an in-memory :class:`~servops.EventLog`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from servops.errors import LogSchemaError
from servops.io import (
    DEFAULT_NA_VALUES,
    ColumnMap,
    ImportOptions,
    RawSource,
    scan_csv,
    scan_excel,
    scan_parquet,
    scan_table,
    scan_xes,
    sniff_kind,
)
from servops.log.engine import connect
from servops.log.ingest import ImportReport, ingest

if TYPE_CHECKING:
    from collections.abc import Callable

    import duckdb

    from servops._typing import PathLike
    from servops.log.eventlog import EventLog

__all__ = [
    "open_source",
    "read_csv",
    "read_excel",
    "read_log",
    "read_log_with_report",
    "read_parquet",
    "read_xes",
]

Format = Literal["auto", "csv", "xes", "excel", "parquet"]


def open_source(
    con: duckdb.DuckDBPyConnection,
    source: PathLike | object,
    *,
    fmt: Format = "auto",
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int = 0,
) -> RawSource:
    """Describe a file (any supported format) or an in-memory table as a raw source."""
    if not isinstance(source, str | Path) and not hasattr(source, "__fspath__"):
        return scan_table(con, source, f"<{type(source).__name__}>")
    path = Path(source)
    if not path.exists():
        msg = f"{path}: no such file. Give a path to a CSV, XES, Excel or Parquet log."
        raise LogSchemaError(msg)
    if path.is_dir():
        msg = f"{path}: is a folder; give a log file."
        raise LogSchemaError(msg)
    kind = sniff_kind(path) if fmt == "auto" else fmt
    if kind == "xes":
        return scan_xes(con, path)
    if kind == "excel":
        return scan_excel(con, path, sheet=sheet)
    if kind == "parquet":
        return scan_parquet(con, path)
    return scan_csv(con, path, encoding=encoding, delimiter=delimiter)


def read_log_with_report(
    source: PathLike | object,
    *,
    columns: ColumnMap | None = None,
    fmt: Format = "auto",
    timezone: str = "UTC",
    dayfirst: bool | None = None,
    timestamp_format: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int = 0,
    na_values: tuple[str, ...] = DEFAULT_NA_VALUES,
    on_bad_rows: Literal["error", "skip"] = "error",
    stage: Callable[[str], None] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> tuple[EventLog, ImportReport]:
    """Like :func:`read_log`, and also return the :class:`ImportReport`."""
    con = con or connect()
    raw = open_source(
        con, source, fmt=fmt, encoding=encoding, delimiter=delimiter, sheet=sheet
    )
    opts = ImportOptions(
        columns=columns or ColumnMap(),
        timezone=timezone,
        dayfirst=dayfirst,
        timestamp_format=timestamp_format,
        na_values=na_values,
    )
    try:
        # in memory, start/complete pairing waits until the instances are first used
        return ingest(
            con,
            raw,
            "events",
            opts,
            on_bad_rows=on_bad_rows,
            stage=stage,
            pair_now=False,
        )
    finally:
        raw.close()


def read_log(
    source: PathLike | object,
    *,
    columns: ColumnMap | None = None,
    fmt: Format = "auto",
    timezone: str = "UTC",
    dayfirst: bool | None = None,
    timestamp_format: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int = 0,
    na_values: tuple[str, ...] = DEFAULT_NA_VALUES,
    on_bad_rows: Literal["error", "skip"] = "error",
) -> EventLog:
    """Read an event log from a file or an in-memory table.

    Parameters
    ----------
    source
        A CSV/TSV (optionally gzip), XES/XES.gz, Excel or Parquet file (the format is
        told from the content), or a pandas/polars DataFrame or pyarrow Table.
    columns
        Which source columns hold case id, activity, timestamp… Fields left ``None`` are
        guessed from common names; the guesses are in ``log.meta.notes``.
    fmt
        Force a format instead of sniffing the content.
    timezone
        The zone of timestamps written without an offset. Everything is stored as UTC.
    dayfirst
        Read ``01-04-2010`` as 1 April (``True``) or 4 January (``False``); guessed when
        ``None`` (an ambiguous guess is noted).
    timestamp_format
        A strptime format (``'%d.%m.%Y %H:%M'``) instead of detection.
    encoding
        Text encoding of a CSV (``utf-8``, ``gb18030``…); detected when ``None``.
    delimiter
        CSV delimiter; sniffed when ``None``.
    sheet
        Excel sheet name or index.
    na_values
        Strings read as missing. ``"NA"`` is not among the defaults: it is a valid id.
    on_bad_rows
        ``"error"`` (default) raises :class:`~servops.errors.BadRowsError` naming the rows;
        ``"skip"`` leaves them out and counts them in ``log.meta.skipped_rows``.

    Returns
    -------
    EventLog
        An in-memory log.

    Raises
    ------
    LogSchemaError
        The file is missing, unreadable, or lacks a needed column.
    BadRowsError
        Some rows have an empty case id or activity, or a missing or unparseable timestamp.

    Examples
    --------
    >>> log = read_log(DATA / "running-example.csv")
    >>> log.n_cases(), log.n_events()
    (6, 42)
    """
    log, _ = read_log_with_report(
        source,
        columns=columns,
        fmt=fmt,
        timezone=timezone,
        dayfirst=dayfirst,
        timestamp_format=timestamp_format,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        na_values=na_values,
        on_bad_rows=on_bad_rows,
    )
    return log


def read_csv(source: PathLike, **kwargs: object) -> EventLog:
    """Read a CSV/TSV log (see :func:`read_log` for the arguments)."""
    return read_log(source, fmt="csv", **kwargs)  # type: ignore[arg-type]


def read_xes(source: PathLike, **kwargs: object) -> EventLog:
    """Read an XES or XES.gz log (see :func:`read_log` for the arguments)."""
    return read_log(source, fmt="xes", **kwargs)  # type: ignore[arg-type]


def read_excel(source: PathLike, **kwargs: object) -> EventLog:
    """Read an Excel log (see :func:`read_log` for the arguments)."""
    return read_log(source, fmt="excel", **kwargs)  # type: ignore[arg-type]


def read_parquet(source: PathLike, **kwargs: object) -> EventLog:
    """Read a Parquet log (see :func:`read_log` for the arguments)."""
    return read_log(source, fmt="parquet", **kwargs)  # type: ignore[arg-type]
