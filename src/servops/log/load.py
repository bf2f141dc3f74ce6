"""Read a file or table into DuckDB tables: the reading options and the one loader.

:func:`load` builds the tables (:class:`~servops.log.meta.LogTables`);
:mod:`servops.log.read` and :meth:`EventLog.from_arrow
<servops.log.eventlog.EventLog.from_arrow>` wrap them as an
:class:`~servops.log.eventlog.EventLog`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal
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
from servops.log.export_format import is_export, load_export
from servops.log.ingest import ImportReport, ingest

if TYPE_CHECKING:
    from collections.abc import Callable

    import duckdb

    from servops._typing import PathLike
    from servops.log.meta import LogTables

__all__ = ["Format", "ReadOptions", "load", "open_source"]

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

    def join_cases(self, log: LogTables, table: str) -> LogTables:
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


def load(
    source: PathLike | object,
    options: ReadOptions | None = None,
    *,
    stage: Callable[[str], None] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> tuple[LogTables, ImportReport]:
    """Read ``source`` into an in-memory table ``events`` (the case table joined)."""
    opts = options or ReadOptions()
    con = con or connect()
    if is_export(source):  # a folder servops wrote: its tables as they were
        tables, report = load_export(source, con=con)
        tables = opts.join_cases(tables, "events")
        return tables, replace(report, notes=tables.meta.notes)
    raw = opts.open(con, source)
    try:
        # in memory, start/complete pairing waits until the instances are first used
        tables, report = ingest(
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
    tables = opts.join_cases(tables, "events")
    return tables, replace(report, notes=tables.meta.notes)
