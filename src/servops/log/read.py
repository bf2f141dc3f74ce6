"""Read a file or table into an in-memory :class:`~servops.EventLog`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from servops.errors import InvalidParameterError, LogSchemaError
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
from servops.log.case_table import join_case_table
from servops.log.engine import connect
from servops.log.ingest import ImportReport, ingest

if TYPE_CHECKING:
    from collections.abc import Callable

    import duckdb

    from servops._typing import PathLike
    from servops.log.eventlog import EventLog

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


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How to read a log: the options of :func:`read_log`, as one typed value.

    :func:`read_log_with_report`, :meth:`Workspace.import_log
    <servops.log.workspace.Workspace.import_log>` and :func:`open_log
    <servops.log.workspace.open_log>` take it; see :func:`read_log` for each field.
    ``cases`` and ``case_key`` name a case table to join (:mod:`servops.log.case_table`).
    """

    columns: ColumnMap = field(default_factory=ColumnMap)
    fmt: Format = "auto"
    timezone: str = "UTC"
    dayfirst: bool | None = None
    timestamp_format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | int = 0
    na_values: tuple[str, ...] = DEFAULT_NA_VALUES
    on_bad_rows: Literal["error", "skip"] = "error"
    cases: str | Path | None = None
    case_key: str | None = None

    def __post_init__(self) -> None:
        """Check the zone, and that a case table comes with its key column."""
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            msg = (
                f"The 'timezone' reading option must be an IANA zone such as 'UTC' or "
                f"'Europe/Amsterdam'. Got {self.timezone!r} instead."
            )
            raise InvalidParameterError(msg) from exc
        if (self.cases is None) != (self.case_key is None):
            msg = (
                "A case table needs both 'cases' (the file) and 'case_key' (its case "
                f"id column). Got cases={self.cases!r}, case_key={self.case_key!r}."
            )
            raise InvalidParameterError(msg)

    def import_options(self) -> ImportOptions:
        """The subset the column planner needs."""
        return ImportOptions(
            columns=self.columns,
            timezone=self.timezone,
            dayfirst=self.dayfirst,
            timestamp_format=self.timestamp_format,
            na_values=self.na_values,
        )

    def open(
        self, con: duckdb.DuckDBPyConnection, source: PathLike | object
    ) -> RawSource:
        """``source`` described as a raw source in ``con``."""
        return open_source(
            con,
            source,
            fmt=self.fmt,
            encoding=self.encoding,
            delimiter=self.delimiter,
            sheet=self.sheet,
        )

    def join_cases(self, log: EventLog, table: str) -> EventLog:
        """``log`` with the case table joined (unchanged when none is given)."""
        if self.cases is None or self.case_key is None:
            return log
        return join_case_table(
            log,
            table,
            self.cases,
            self.case_key,
            timezone=self.timezone,
            dayfirst=self.dayfirst,
            encoding=self.encoding,
            delimiter=self.delimiter,
        )


def read_log_with_report(
    source: PathLike | object,
    options: ReadOptions | None = None,
    *,
    stage: Callable[[str], None] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> tuple[EventLog, ImportReport]:
    """Like :func:`read_log` (its options as a :class:`ReadOptions`), with the report."""
    opts = options or ReadOptions()
    con = con or connect()
    raw = opts.open(con, source)
    try:
        # in memory, start/complete pairing waits until the instances are first used
        log, report = ingest(
            con,
            raw,
            "events",
            opts.import_options(),
            on_bad_rows=opts.on_bad_rows,
            stage=stage,
            pair_now=False,
        )
    finally:
        raw.close()
    log = opts.join_cases(log, "events")
    return log, replace(report, notes=log.meta.notes)


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
