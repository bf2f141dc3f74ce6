"""Read a file or table into an in-memory :class:`~servops.EventLog`."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Literal, Protocol

from servops.io import DEFAULT_NA_VALUES, ColumnMap
from servops.log.eventlog import EventLog
from servops.log.load import Format, ReadOptions, load, open_source

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import duckdb

    from servops._typing import PathLike
    from servops.log.ingest import ImportReport

__all__ = [
    "ReadOptions",
    "open_source",
    "read_csv",
    "read_excel",
    "read_log",
    "read_log_with_report",
    "read_parquet",
    "read_xes",
]


def read_log_with_report(
    source: PathLike | object,
    options: ReadOptions | None = None,
    *,
    stage: Callable[[str], None] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> tuple[EventLog, ImportReport]:
    """Like :func:`read_log` (its options as a :class:`ReadOptions`), with the report."""
    tables, report = load(source, options, stage=stage, con=con)
    return EventLog.wrap(tables), report


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
    cases: str | Path | None = None,
    case_key: str | None = None,
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
    cases, case_key
        A case table (CSV/TSV, Excel, Parquet; one row per case) and its case id
        column: its other columns become case attributes, ISO dates timestamps (naive
        ones in ``timezone``). Cases without a row and rows without a case are
        counted in ``log.meta.notes``.

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
    options = ReadOptions(
        columns=columns or ColumnMap(),
        fmt=fmt,
        timezone=timezone,
        dayfirst=dayfirst,
        timestamp_format=timestamp_format,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        na_values=na_values,
        on_bad_rows=on_bad_rows,
        cases=cases,
        case_key=case_key,
    )
    log, _ = read_log_with_report(source, options)
    return log


class _Reader(Protocol):
    def __call__(
        self,
        source: PathLike,
        *,
        columns: ColumnMap | None = None,
        options: ReadOptions | None = None,
    ) -> EventLog: ...


def _reader(fmt: Format, what: str) -> _Reader:
    """``read_<fmt>``: :func:`read_log` of one format; ``columns`` or ``options``."""

    def read(
        source: PathLike,
        *,
        columns: ColumnMap | None = None,
        options: ReadOptions | None = None,
    ) -> EventLog:
        opts = options or ReadOptions()
        opts = replace(opts, fmt=fmt, columns=columns or opts.columns)
        return read_log_with_report(source, opts)[0]

    read.__name__ = read.__qualname__ = f"read_{fmt}"
    read.__doc__ = (
        f"Read {what} (the other options: :class:`ReadOptions`, :func:`read_log`)."
    )
    return read


read_csv = _reader("csv", "a CSV/TSV log")
read_xes = _reader("xes", "an XES or XES.gz log")
read_excel = _reader("excel", "an Excel log")
read_parquet = _reader("parquet", "a Parquet log")
