"""Write an event log as Hive-partitioned Parquet: the layout Spark reads best.

One folder per period of the events' time, ``DIR/event_month=2012-03/part-0.parquet``,
each file holding the canonical events (:mod:`servops.log.schema`) and the log's
attributes, sorted by case and time. The partition column is not stored in the files
(engines take it from the path); it is the period of the event's end ``timestamp`` *in
the log's time zone* (``LogMeta.timezone``), so a month folder holds the events that a
monthly KPI counts in that month. Start and complete events are paired before writing
(a paired complete event carries its start's time), so the events are the log's
activity instances as they are, on any engine, with no pairing step.

Next to the data, ``DIR/_servops.json`` describes the folder
(:mod:`servops.log.export_format`). A folder written here is read by
:func:`servops.read_log` (or ``read_parquet``, ``open_log``, any command's LOG
argument) without re-reading columns: the events, the instances and
:meth:`EventLog.info <servops.EventLog.info>` are those of the log written.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from servops.errors import InvalidParameterError, LogSchemaError
from servops.log.engine import local_time, quote
from servops.log.export_format import (
    MANIFEST,
    ParquetExport,
    Partition,
    as_partition,
    is_export,
    rows_in,
)

if TYPE_CHECKING:
    from servops._typing import PathLike
    from servops.log.eventlog import EventLog

__all__ = ["write_parquet"]

#: Partition -> (column name, SQL of its value from the event's local wall-clock time).
_PARTITIONS: dict[str, tuple[str, str]] = {
    "day": ("event_day", "strftime({t}, '%Y-%m-%d')"),
    "month": ("event_month", "strftime({t}, '%Y-%m')"),
    "year": ("event_year", "CAST(year({t}) AS INTEGER)"),
}


def write_parquet(
    log: EventLog,
    directory: PathLike,
    *,
    partition_by: Partition = "month",
    overwrite: bool = False,
) -> ParquetExport:
    """Write ``log`` (its events, after its filters) as Hive-partitioned Parquet.

    Parameters
    ----------
    log
        The log to write; a filtered log writes the events its filters keep.
    directory
        The folder to create. It must not exist, or be empty, or (with ``overwrite``)
        be an earlier export, which is replaced. The folder appears whole or not at
        all: the files are written next to it and moved in place at the end.
    partition_by
        ``"month"`` (``event_month=2012-03``), ``"day"`` (``event_day=2012-03-15``),
        ``"year"`` (``event_year=2012``) of each event's end time in the log's time
        zone, or ``"none"`` (one file).
    overwrite
        Replace an earlier export in ``directory``.

    Returns
    -------
    ParquetExport
        What was written (also in ``directory/_servops.json``).

    Raises
    ------
    InvalidParameterError
        A bad ``partition_by``, an existing folder that is not an empty one or an
        earlier export, or a log with nothing to write.

    Examples
    --------
    >>> out = write_parquet(tiny_log, tmp_path / "tiny", partition_by="day")
    >>> out.partition_column, out.events, out.files
    ('event_day', 18, ('event_day=2024-01-08/part-0.parquet', \
'event_day=2024-01-09/part-0.parquet', 'event_day=2024-01-10/part-0.parquet'))
    >>> so.read_log(tmp_path / "tiny").info() == tiny_log.info()
    True
    """
    partition = as_partition(partition_by)
    target = Path(directory)
    _check_target(target, overwrite=overwrite)
    # pair start and complete events now: the pairs are stored in the events
    _ = log.stored_instances_sql
    counts = log.fetchone("SELECT count(*), count(DISTINCT case_id) FROM events")
    n_events, n_cases = int(counts[0]), int(counts[1])
    if n_events == 0:
        msg = log.nothing_message("no events to export")
        raise InvalidParameterError(msg)
    columns = _columns(log)
    names = [c for c, _ in columns]
    select = ", ".join(quote(c) for c in names)
    part_col: str | None = None
    if partition != "none":
        part_col, template = _PARTITIONS[partition]
        if part_col in names:
            msg = (
                f"{log.label}: has a column named {part_col!r}, the partition column "
                f"of partition_by={partition!r}. Rename the attribute, or choose "
                f"another partition_by."
            )
            raise InvalidParameterError(msg)
        value = template.format(t=local_time('"timestamp"', log.meta.timezone))
        select += f", {value} AS {quote(part_col)}"
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        files = _write_files(log, select, part_col, tmp, n_events)
        export = ParquetExport(
            path=target,
            partition_by=partition,
            partition_column=part_col,
            partition_timezone=log.meta.timezone,
            columns=columns,
            events=n_events,
            cases=n_cases,
            meta=log.meta,
            files=files,
        )
        manifest = export.to_dict()
        del manifest["path"]
        (tmp / MANIFEST).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        if target.exists():
            shutil.rmtree(target) if any(target.iterdir()) else target.rmdir()
        tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return export


def _write_files(
    log: EventLog, select: str, part_col: str | None, tmp: Path, n_events: int
) -> tuple[str, ...]:
    """Write ``SELECT select FROM events`` into ``tmp``; the files written, checked.

    A Spark log (:class:`servops.log.spark.SparkEventLog`) writes them from Spark's
    executors; nothing is collected.
    """
    spark_writer = getattr(log, "write_parquet_files", None)
    if spark_writer is not None:
        spark_writer(select, part_col, tmp)
    else:
        rows = log.query(
            f'SELECT {select} FROM events ORDER BY case_id, "timestamp", event_index'
        )
        if part_col is None:
            rows.write_parquet(str(tmp / "part-0.parquet"))
        else:
            rows.write_parquet(
                str(tmp), partition_by=[part_col], filename_pattern="part-{i}"
            )
    written = rows_in(log.con, str(tmp / "**" / "*.parquet"))
    if written != n_events:
        msg = (
            f"{log.label}: wrote {written} events to Parquet, expected {n_events}; "
            f"nothing was kept."
        )
        raise LogSchemaError(msg)
    return tuple(sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*.parquet")))


def _columns(log: EventLog) -> tuple[tuple[str, str], ...]:
    """The events' columns and DuckDB types (a Spark log names its own)."""
    spark_types = getattr(log, "column_types", None)
    if spark_types is not None:
        return tuple(spark_types())
    return tuple(
        (str(r[0]), str(r[1]))
        for r in log.fetchall("SELECT column_name, column_type FROM (DESCRIBE events)")
    )


def _check_target(target: Path, *, overwrite: bool) -> None:
    if not target.exists():
        return
    if not target.is_dir():
        msg = f"{target}: exists and is not a folder; give a new folder for the export."
        raise InvalidParameterError(msg)
    if not any(target.iterdir()):
        return
    if not is_export(target):
        msg = (
            f"{target}: is a folder with other files in it (no {MANIFEST}); servops "
            f"writes an export only into a new or empty folder, or over an earlier "
            f"export."
        )
        raise InvalidParameterError(msg)
    if not overwrite:
        msg = (
            f"{target}: holds an earlier export. Hint: pass overwrite=True "
            f"(--overwrite) to replace it, or choose another folder."
        )
        raise InvalidParameterError(msg)
