"""The export folder format: Hive-partitioned Parquet plus ``_servops.json``, and its reader.

:func:`servops.log.export.write_parquet` writes the folder; :func:`load_export` reads
it back as the tables of the log that was written (what :func:`servops.read_log` does
with such a folder). The layout is described there.

The manifest ``DIR/_servops.json`` (a name Spark, Hive and DuckDB's globs skip) holds
what servops needs to read the folder back as the same log: every column's type, the
log's metadata (time zone, lifecycle mode, start times, column map, attribute types,
notes), the partition column, and the numbers of events and cases, which the reader
checks so that a missing file is an error, not a smaller log.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeGuard, get_args

from servops.errors import InvalidParameterError, LogSchemaError
from servops.log.engine import compact, connect, fetch_first, quote
from servops.log.ingest import ImportReport
from servops.log.lifecycle import instances_sql
from servops.log.meta import InstanceSource, LogMeta, LogTables

if TYPE_CHECKING:
    import duckdb

    from servops._typing import PathLike

__all__ = [
    "MANIFEST",
    "ParquetExport",
    "Partition",
    "as_partition",
    "is_export",
    "load_export",
    "parse_manifest",
    "read_manifest",
    "rows_in",
]

Partition = Literal["none", "day", "month", "year"]

#: The sidecar file in an export folder (a leading ``_``: engines' readers skip it).
MANIFEST = "_servops.json"
_FORMAT = "servops-event-log"
_VERSION = 1
#: The in-memory table a folder is read into (as :func:`servops.log.load.load` names it).
_TABLE = "events"


@dataclass(frozen=True, slots=True)
class ParquetExport:
    """An export folder as its manifest describes it (what :func:`write_parquet` wrote).

    ``columns`` lists every column of the data files with its DuckDB type, in order;
    ``partition_column`` is ``None`` for ``partition_by="none"``; ``files`` are paths
    relative to ``path``.
    """

    path: Path
    partition_by: Partition
    partition_column: str | None
    partition_timezone: str
    columns: tuple[tuple[str, str], ...]
    events: int
    cases: int
    meta: LogMeta
    files: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the manifest's content, plus the folder)."""
        return {
            "format": _FORMAT,
            "version": _VERSION,
            "path": str(self.path),
            "partition_by": self.partition_by,
            "partition_column": self.partition_column,
            "partition_timezone": self.partition_timezone,
            "columns": dict(self.columns),
            "events": self.events,
            "cases": self.cases,
            "files": list(self.files),
            "meta": self.meta.to_dict(),
        }

    @property
    def glob(self) -> str:
        """The data files as one glob (for DuckDB's ``read_parquet``)."""
        return str(self.path / "**" / "*.parquet")


def as_partition(partition_by: str) -> Partition:
    """``partition_by`` checked as a :data:`Partition`."""
    allowed = get_args(Partition)
    if partition_by not in allowed:
        msg = (
            f"The 'partition_by' parameter of write_parquet must be one of "
            f"{list(allowed)}. Got {partition_by!r} instead."
        )
        raise InvalidParameterError(msg)
    return partition_by  # type: ignore[return-value]


def is_export(path: object) -> TypeGuard[str | os.PathLike[str]]:
    """Whether ``path`` is a folder written by :func:`write_parquet`."""
    if not isinstance(path, str | os.PathLike):
        return False
    p = Path(path)
    return p.is_dir() and (p / MANIFEST).is_file()


def _sql_path(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def rows_in(con: duckdb.DuckDBPyConnection, glob: str) -> int:
    """Rows in the Parquet files matching ``glob``, from their footers (no scan)."""
    row = fetch_first(
        con,
        "SELECT coalesce(sum(num_rows), 0) FROM "
        f"(SELECT DISTINCT file_name, row_group_id, row_group_num_rows AS num_rows "
        f"FROM parquet_metadata({_sql_path(glob)}))",
    )
    return int(row[0]) if row else 0


def read_manifest(directory: PathLike) -> ParquetExport:
    """The description of an export folder, from its ``_servops.json``.

    Raises
    ------
    LogSchemaError
        No manifest, or one servops cannot read.
    """
    path = Path(directory)
    file = path / MANIFEST
    if not file.is_file():
        msg = (
            f"{path}: no {MANIFEST}, so not a folder written by `servops export "
            f"--parquet`. Hint: read a single Parquet file, or export the log again."
        )
        raise LogSchemaError(msg)
    return parse_manifest(file.read_text(encoding="utf-8"), path)


def parse_manifest(text: str, path: PathLike) -> ParquetExport:
    """The description of the export folder ``path`` from its manifest's text.

    For readers that fetch ``_servops.json`` themselves (Spark, from object storage).

    Raises
    ------
    LogSchemaError
        Not a manifest servops can read.
    """
    where = f"{path}/{MANIFEST}"
    try:
        d = json.loads(text)
        if d.get("format") != _FORMAT or int(d.get("version", 0)) > _VERSION:
            msg = (
                f"{where}: format {d.get('format')!r} version {d.get('version')!r}; "
                f"this servops reads {_FORMAT!r} up to version {_VERSION}."
            )
            raise LogSchemaError(msg)
        return ParquetExport(
            path=Path(path),
            partition_by=as_partition(d["partition_by"]),
            partition_column=d["partition_column"],
            partition_timezone=d["partition_timezone"],
            columns=tuple((str(n), str(t)) for n, t in d["columns"].items()),
            events=int(d["events"]),
            cases=int(d["cases"]),
            meta=LogMeta.from_dict(d["meta"]),
            files=tuple(d.get("files", ())),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, LogSchemaError):
            raise
        msg = f"{where}: not a valid servops export manifest ({type(exc).__name__}: {exc})."
        raise LogSchemaError(msg) from exc


def load_export(
    directory: PathLike, *, con: duckdb.DuckDBPyConnection | None = None
) -> tuple[LogTables, ImportReport]:
    """Read an export folder into an in-memory table ``events``, with an import report.

    What :func:`servops.read_log` does with such a folder. The columns keep the types
    they were written with; the events and cases are counted against the manifest.

    Raises
    ------
    LogSchemaError
        No manifest, a data file missing or added, or a column missing.
    """
    export = read_manifest(directory)
    con = con or connect()
    table = quote(_TABLE)
    cols = ", ".join(
        f"CAST({quote(n)} AS {t}) AS {quote(n)}" for n, t in export.columns
    )
    import duckdb

    try:
        con.execute(
            f"CREATE TABLE {table} AS SELECT {cols} FROM read_parquet("
            f"{_sql_path(export.glob)}, hive_partitioning = false) ORDER BY event_index"
        )
    except duckdb.Error as exc:
        msg = f"{export.path}: cannot be read as the export its {MANIFEST} describes: {exc}"
        raise LogSchemaError(msg) from exc
    row = fetch_first(con, f"SELECT count(*), count(DISTINCT case_id) FROM {table}")
    assert row is not None
    if (int(row[0]), int(row[1])) != (export.events, export.cases):
        found = sorted(
            p.relative_to(export.path).as_posix()
            for p in export.path.rglob("*.parquet")
        )
        msg = (
            f"{export.path}: holds {row[0]} events of {row[1]} cases, but was written "
            f"with {export.events} events of {export.cases} cases: data files are "
            f"missing or were added. Written: {list(export.files)}; found: {found}."
        )
        con.execute(f"DROP TABLE {table}")
        raise LogSchemaError(msg)
    compact(con)
    tables = LogTables(
        con, table, InstanceSource(con, instances_sql(table)), export.meta
    )
    meta = tables.meta
    report = ImportReport(
        source=str(export.path),
        rows_read=export.events,
        events=export.events,
        skipped=0,
        skipped_examples=(),
        column_map=dict(meta.column_map),
        guessed=(),
        timestamp_format="Parquet timestamps (UTC)",
        lifecycle_mode=meta.lifecycle_mode,
        notes=meta.notes,
    )
    return tables, report
