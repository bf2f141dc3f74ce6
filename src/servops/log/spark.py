"""Event logs held by Apache Spark: the same analyses, run by a SparkSession.

A :class:`SparkEventLog` is an :class:`~servops.EventLog` whose ``events`` and
``instances`` are Spark temporary views. Every analysis runs on it unchanged: each
statement an analysis writes (DuckDB's dialect, through :mod:`servops.log.engine`'s
helpers) is rendered for Spark by :func:`servops.log.spark_sql.to_spark` and run by Spark
SQL; the result comes back as Arrow, so the Python that turns rows into results is the
one the DuckDB engine uses. What runs where:

* on Spark: reading the files, pairing start and complete events
  (:mod:`servops.log.lifecycle`, as a join instead of an ``UPDATE``), and every query
  (scans, windows, joins, aggregates, quantiles);
* on the driver: the aggregated rows (one per activity, edge, variant…) and the Python
  that builds the result objects from them.

:meth:`SparkEventLog.query` hands back the collected result as a DuckDB relation (over
the Arrow table), so callers that read a relation (``.fetchall()``,
``.to_arrow_table()``) work too; it is meant for aggregated results, not for all events.

The session is set up for results equal to DuckDB's (:func:`spark_session`): UTC session
time zone, microsecond timestamps, ``percentile`` for DuckDB's ``quantile_cont``.

``pyspark`` is imported only here, and only when a Spark log is made: ``import servops``
and the DuckDB engine never load it. Install it with ``pip install 'servops[spark]'``
(it needs Java 17: Debian's ``openjdk-17-jre-headless``).
"""

from __future__ import annotations

import itertools
import os
import shutil
import sys
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from servops.errors import InvalidParameterError, LogSchemaError
from servops.io import XES_TRANSITIONS
from servops.log.engine import connect
from servops.log.eventlog import EventLog, LogMeta
from servops.log.export_format import (
    MANIFEST,
    ParquetExport,
    is_export,
    parse_manifest,
    read_manifest,
)
from servops.log.lifecycle import instances_sql, paired_events_sql
from servops.log.schema import CORE_COLUMNS
from servops.log.spark_sql import to_spark

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    import duckdb
    import pandas as pd
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

    from servops._typing import PathLike
    from servops.io.columns import ColumnMap

__all__ = [
    "SPARK_CONF",
    "SparkEventLog",
    "read_spark_log",
    "spark_available",
    "spark_session",
]

SparkFormat = Literal["auto", "parquet", "csv", "delta"]

#: SQL settings every servops Spark session gets (results equal to DuckDB's); they
#: are set again on a session that already existed.
SPARK_CONF: dict[str, str] = {
    # timestamps are instants shown and cut (hours, days) in UTC, as DuckDB's session
    "spark.sql.session.timeZone": "UTC",
    # the results come back as Arrow (microsecond timestamps, exact integers)
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # Spark 3.5's default; ANSI mode would also change integer division and casts
    "spark.sql.ansi.enabled": "false",
}

#: Settings a new session gets (a running one keeps its own).
_SESSION_DEFAULTS: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}

_views = itertools.count()
#: The column that tags the side rows of :meth:`SparkEventLog.map_cases`.
_SIDE = "__servops_side"


def spark_available() -> str | None:
    """Why Spark cannot run here (no pyspark, no Java), or ``None`` if it can."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'servops[spark]')"
    if shutil.which("java") is None:
        return "Java is not installed (Debian: apt-get install openjdk-17-jre-headless)"
    return None


def spark_session(
    master: str = "local[2]",
    *,
    app_name: str = "servops",
    config: dict[str, str] | None = None,
) -> SparkSession:
    """A SparkSession with servops' settings (:data:`SPARK_CONF`), made or reused.

    Parameters
    ----------
    master
        ``local[N]`` for N cores of this machine, or a cluster URL
        (``spark://host:7077``, ``yarn``, ``k8s://…``).
    app_name
        The application name shown by the cluster manager.
    config
        More settings (``spark.executor.memory``…); they override the defaults, except
        the session time zone, which must stay UTC.

    Raises
    ------
    InvalidParameterError
        pyspark or Java is missing, or ``config`` changes the time zone.
    """
    why = spark_available()
    if why is not None:
        msg = f"The Spark engine cannot run: {why}."
        raise InvalidParameterError(msg)
    from pyspark.sql import SparkSession

    local = master.startswith("local")
    settings = {
        "spark.sql.shuffle.partitions": "8" if local else "200",
        **_SESSION_DEFAULTS,
        # a local session would make ./spark-warehouse wherever it is started
        **(
            {
                "spark.sql.warehouse.dir": str(
                    Path(tempfile.gettempdir()) / "servops-spark"
                )
            }
            if local
            else {}
        ),
        **SPARK_CONF,
        **(config or {}),
    }
    if settings["spark.sql.session.timeZone"] != "UTC":
        msg = (
            "The 'spark.sql.session.timeZone' setting of spark_session must be 'UTC' "
            f"(servops stores instants in UTC). Got {settings['spark.sql.session.timeZone']!r} instead."
        )
        raise InvalidParameterError(msg)
    if local:
        # Arrow UDFs (EventLog.map_cases) import servops in Python workers, which
        # pyspark starts as $PYSPARK_PYTHON (default: `python3` on PATH, which may
        # lack servops): locally, this interpreter unless the user chose one
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    for key in SPARK_CONF:  # a reused session gets the settings that matter for results
        session.conf.set(key, SPARK_CONF[key])
    return session


def read_spark_log(
    source: PathLike | DataFrame,
    *,
    spark: SparkSession | None = None,
    columns: ColumnMap | None = None,
    fmt: SparkFormat = "auto",
    name: str | None = None,
    cache: bool = True,
) -> SparkEventLog:
    """An event log held by Spark, from Parquet/CSV/Delta files or a Spark DataFrame.

    The data is in servops' canonical schema (:mod:`servops.log.schema`), as
    ``servops export --parquet`` writes it: ``case_id``, ``activity``, ``timestamp``
    and, where the log has them, ``start_timestamp``, ``resource``, ``lifecycle``,
    ``event_index``; other columns are attributes. ``columns`` maps other names onto
    the canonical ones. Timestamps are Spark timestamps (instants), naive timestamps or
    ISO 8601 text (both read as UTC). Without ``event_index``, rows are numbered in the
    order Spark reads them (file order for one file). Start and complete events are
    paired as on DuckDB (:mod:`servops.log.lifecycle`).

    ``log.meta.source`` (``info().source``) is what :func:`servops.read_log` gives for
    the same path: the path as given for a file or folder, and for an export folder
    the source of the log that was exported (from its manifest); a DataFrame is
    ``<DataFrame>``.

    Parameters
    ----------
    source
        A Parquet file or folder (a partitioned dataset too), a CSV file or folder
        (with a header), a Delta table folder, a URL Spark reads (``s3a://…``,
        ``abfss://…``, ``hdfs://…``), or a Spark DataFrame.
    spark
        The session; ``None`` makes or reuses one (:func:`spark_session`, local[2]).
    columns
        Which source columns hold case id, activity, timestamp… (canonical names
        are taken as they are).
    fmt
        The file format; ``auto`` tells it from the name (``.csv``, ``_delta_log``),
        else Parquet.
    name
        How messages name the log (default: the source).
    cache
        Keep the events in Spark's cache (memory, spilling to disk), hash-partitioned
        by case into ``spark.sql.shuffle.partitions`` parts: the analyses scan them
        many times, mostly by case.

    Raises
    ------
    LogSchemaError
        A needed column is missing or has the wrong type, or rows have no case id,
        activity or timestamp (counted and named, never dropped).

    Examples
    --------
    >>> log = read_spark_log("events.parquet", spark=spark)  # doctest: +SKIP
    >>> so.mining.discover_dfg(log).frequencies()  # doctest: +SKIP
    """
    session = spark or spark_session()
    if isinstance(source, str | Path) or hasattr(source, "__fspath__"):
        label = str(source)
        export = _manifest(session, str(source))
        frame = _read(session, str(source), fmt)
        if export is not None:
            # a `servops export --parquet` folder: its own description of the log,
            # the source included (the file it was first read from), as
            # `servops.read_log` gives it; messages about the files name the folder
            part = export.partition_column
            if part is not None and part in frame.columns:
                frame = frame.drop(part)
            meta = replace(export.meta, name=name or export.meta.name)
            return SparkEventLog.from_frame(
                frame,
                spark=session,
                source=label,
                cache=cache,
                meta=meta,
                expect=(export.events, export.cases),
            )
    else:
        label = f"<{type(source).__name__}>"
        frame = source  # type: ignore[assignment]
        session = frame.sparkSession
    return SparkEventLog.from_frame(
        frame, spark=session, columns=columns, source=label, name=name, cache=cache
    )


@contextmanager
def _pyspark_version_check() -> Iterator[None]:
    """Silence the DeprecationWarnings pyspark 3.5's own pandas checks raise.

    ``mapInArrow`` and ``createDataFrame`` compare versions with distutils'
    ``LooseVersion`` and ask pandas 2 ``is_categorical_dtype`` /
    ``is_datetime64tz_dtype``, which warn (attributed to pyspark's modules); as errors
    they would make pyspark fall back to its slow row path. Only DeprecationWarnings
    raised from pyspark's code, only around the call.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", category=DeprecationWarning, module=r"pyspark(\.|$)"
        )
        yield


def _manifest(spark: SparkSession, path: str) -> ParquetExport | None:
    """The ``_servops.json`` of an export folder at ``path`` (local or a URL), if any."""
    local = "://" not in path or path.startswith("file://")
    if local:
        folder = Path(path.removeprefix("file://"))
        return read_manifest(folder) if is_export(folder) else None
    from pyspark.errors import AnalysisException

    try:
        rows = spark.read.text(
            f"{path.rstrip('/')}/{MANIFEST}", wholetext=True
        ).collect()
    except AnalysisException:  # no such file: a plain Parquet/CSV/Delta folder
        return None
    return parse_manifest(rows[0][0], path)


def _read(spark: SparkSession, path: str, fmt: SparkFormat) -> DataFrame:
    """The rows of the files at ``path`` (local or a Spark URL)."""
    local = "://" not in path or path.startswith("file://")
    if local and not Path(path.removeprefix("file://")).exists():
        msg = f"{path}: no such file or folder. Give a Parquet, CSV or Delta log."
        raise LogSchemaError(msg)
    if fmt == "auto":
        lower = path.lower().rstrip("/")
        if lower.endswith((".csv", ".csv.gz", ".tsv")):
            fmt = "csv"
        elif local and (Path(path.removeprefix("file://")) / "_delta_log").is_dir():
            fmt = "delta"
        else:
            fmt = "parquet"
    reader = spark.read
    if fmt == "csv":
        sep = "\t" if path.lower().endswith(".tsv") else ","
        return reader.options(header=True, inferSchema=True, sep=sep).csv(path)
    return reader.format(fmt).load(path)


#: The XES transitions, as an SQL list.
_TRANSITIONS = ", ".join(f"'{t}'" for t in sorted(XES_TRANSITIONS))


def _not_transitions(spark: SparkSession, view: str, source: str) -> NoReturn:
    """Refuse lifecycle values that are not XES transitions (they would be no instance).

    DuckDB's import keeps such a column as an attribute; here the canonical column is
    taken as given, so a status column named ``lifecycle`` would silently drop events
    from the instances.
    """
    odd = spark.sql(
        f"SELECT DISTINCT lifecycle FROM {view} "
        f"WHERE lifecycle NOT IN ({_TRANSITIONS}) LIMIT 5"
    ).collect()
    values = sorted(str(r[0]) for r in odd)
    msg = (
        f"{source}: column 'lifecycle' holds values that are not XES transitions "
        f"(like {values}); the lifecycle is start, complete, … or empty. Hint: "
        "rename a status column to an attribute name, or map the lifecycle "
        "with columns=ColumnMap(lifecycle=…) (--lifecycle)."
    )
    raise LogSchemaError(msg)


#: DuckDB's names of Spark's types, as :attr:`EventLog.attributes` gives them.
_TYPE_NAMES = {
    "string": "VARCHAR",
    "bigint": "BIGINT",
    "int": "INTEGER",
    "smallint": "SMALLINT",
    "tinyint": "TINYINT",
    "double": "DOUBLE",
    "float": "FLOAT",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "timestamp_ntz": "TIMESTAMP",
    "date": "DATE",
}


def _duckdb_type(simple: str) -> str:
    """A Spark type (``simpleString``) as DuckDB names it: ``bigint`` → ``BIGINT``."""
    return _TYPE_NAMES.get(simple, simple.upper())


class SparkEventLog(EventLog):
    """An event log held by Spark (see the module docstring); made by :func:`read_spark_log`.

    ``events`` and ``instances`` are Spark temporary views of one SparkSession. Filters
    (:meth:`where`) return new handles over the same views, as for DuckDB logs.
    """

    def __init__(
        self,
        spark: SparkSession,
        events_view: str,
        instances_view: str,
        meta: LogMeta,
        predicates: tuple[str, ...] = (),
    ) -> None:
        # the DuckDB connection only wraps collected results (query() relations)
        super().__init__(
            connect(), events_view, f"SELECT * FROM {instances_view}", meta, predicates
        )
        self.spark = spark
        self._events_view = events_view
        self._instances_view = instances_view

    @classmethod
    def from_frame(
        cls,
        frame: DataFrame,
        *,
        spark: SparkSession,
        columns: ColumnMap | None = None,
        source: str = "<DataFrame>",
        name: str | None = None,
        cache: bool = True,
        meta: LogMeta | None = None,
        expect: tuple[int, int] | None = None,
    ) -> SparkEventLog:
        """A log over ``frame`` (canonical columns, or mapped by ``columns``).

        ``meta`` describes a log exported by servops (start and complete events
        paired already); ``expect`` is its ``(events, cases)``, checked.
        """
        canonical = _canonical(frame, columns, source)
        n = next(_views)
        raw_view = f"servops_raw_{n}"
        canonical.createOrReplaceTempView(raw_view)
        counts = spark.sql(
            f"SELECT count(*), count_if(case_id IS NULL), count_if(activity IS NULL), "
            f"count_if(`timestamp` IS NULL), count(start_timestamp), "
            f"count_if(lifecycle = 'start'), count(DISTINCT event_index), "
            f"{'count(DISTINCT case_id)' if expect else '0'}, "
            f"count_if(lifecycle NOT IN ({_TRANSITIONS})) FROM {raw_view}"
        ).collect()[0]
        total, no_case, no_act, no_ts, n_start_ts, n_start_ev, n_index = counts[:7]
        n_cases, n_odd = counts[7:]
        if expect is not None and (total, n_cases) != expect:
            msg = (
                f"{source}: holds {total} events of {n_cases} cases, but was written "
                f"with {expect[0]} events of {expect[1]} cases: data files are missing "
                "or were added."
            )
            raise LogSchemaError(msg)
        bad = {
            "case_id": no_case,
            "activity": no_act,
            "timestamp": no_ts,
        }
        if any(bad.values()):
            parts = ", ".join(f"{v} without {k}" for k, v in bad.items() if v)
            msg = (
                f"{source}: {parts} (of {total} rows). Every event needs a case id, an "
                "activity and a timestamp. Hint: map other columns with `columns` "
                "(--case/--activity/--timestamp), or filter the rows out before."
            )
            raise LogSchemaError(msg)
        if n_index != total:
            msg = (
                f"{source}: column 'event_index' has {total - n_index} repeated or "
                f"missing value(s) in {total} rows; it must number the events uniquely."
            )
            raise LogSchemaError(msg)
        if n_odd:
            _not_transitions(spark, raw_view, source)
        events_view = f"servops_events_{n}"
        attrs = [c for c in canonical.columns if c not in CORE_COLUMNS]
        if n_start_ev and meta is None:
            events = spark.sql(
                to_spark(paired_events_sql(raw_view, [*CORE_COLUMNS, *attrs]))
            )
        else:
            events = canonical
        if cache:
            # cached hash-partitioned by case: the windows, joins and aggregates by
            # case that every analysis runs then need no shuffle of the events (on
            # BPIC 2012: DFG 7 -> 5 Spark jobs; see benchmarks/RESULTS.md)
            n_parts = int(spark.conf.get("spark.sql.shuffle.partitions") or "8")
            events = events.repartition(n_parts, "case_id").persist()
        events.createOrReplaceTempView(events_view)
        instances_view = f"servops_instances_{n}"
        spark.sql(to_spark(instances_sql(events_view))).createOrReplaceTempView(
            instances_view
        )
        schema = {f.name: f.dataType.simpleString() for f in canonical.schema.fields}
        meta = meta or LogMeta(
            source=source,
            lifecycle_mode="xes" if n_start_ev else "none",
            has_start=bool(n_start_ts or n_start_ev),
            column_map=_column_map(frame.columns, columns),
            attributes={a: _duckdb_type(schema[a]) for a in attrs},
            name=name,
        )
        return cls(spark, events_view, instances_view, meta)

    # -- running SQL --------------------------------------------------------------------
    def arrow(self, sql: str, params: list[object] | None = None) -> pa.Table:
        """Run ``sql`` (DuckDB dialect) on Spark and collect the result as Arrow."""
        import pyarrow as pa
        from pyspark.sql.pandas.types import to_arrow_schema

        frame = self.spark.sql(to_spark(self._run_sql(sql), params))
        batches = frame._collect_as_arrow()
        schema = to_arrow_schema(frame.schema)
        if not batches:
            return schema.empty_table()
        return pa.Table.from_batches(batches)

    def query(
        self, sql: str, params: list[object] | None = None
    ) -> duckdb.DuckDBPyRelation:
        """Run ``sql`` on Spark; the collected result as a DuckDB relation.

        Meant for aggregated results: everything it returns is collected to the driver.
        """
        table = self.arrow(sql, params)
        return self._con.from_arrow(table)

    @contextmanager
    def registered(self, table: pa.Table) -> Iterator[str]:
        """``table`` as a Spark temporary view for the block (sent from the driver).

        For the small tables an analysis joins with the log (see
        :meth:`EventLog.registered`); the rows travel through pandas with the Arrow
        schema given, so types and nulls stay as they are.
        """
        from pyspark.sql.pandas.types import from_arrow_schema

        name = f"servops_table_{next(_views)}"
        with _pyspark_version_check():
            frame = self.spark.createDataFrame(
                table.to_pandas(), schema=from_arrow_schema(table.schema)
            )
        frame.createOrReplaceTempView(name)
        try:
            yield name
        finally:
            self.spark.catalog.dropTempView(name)

    def map_cases(
        self,
        sql: str,
        func: Callable[[pa.Table, pa.Table | None], pa.Table],
        *,
        side_sql: str | None = None,
    ) -> pa.Table:
        """``func`` run on the executors, once per partition of whole cases (Arrow UDF).

        The rows of ``sql`` and ``side_sql`` are tagged, unioned and hash-partitioned
        by ``case_id`` (so each partition holds every row of its cases, side rows
        included); ``mapInArrow`` hands each partition's Arrow batches to ``func`` in a
        Python worker, and the outputs are collected as Arrow. The output schema is
        ``func``'s on empty input. See :meth:`EventLog.map_cases`.
        """
        import pyarrow as pa
        from pyspark.sql import functions as F
        from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

        main = self.spark.sql(to_spark(self._run_sql(sql)))
        main_schema = to_arrow_schema(main.schema)
        side_schema: pa.Schema | None = None
        frame = main.withColumn(_SIDE, F.lit(False))
        if side_sql is not None:
            side = self.spark.sql(to_spark(self._run_sql(side_sql)))
            side_schema = to_arrow_schema(side.schema)
            renamed = side.select(
                *(
                    F.col(quote_spark(c)).alias(c if c == "case_id" else _SIDE + c)
                    for c in side.columns
                ),
                F.lit(True).alias(_SIDE),
            )
            frame = frame.unionByName(renamed, allowMissingColumns=True)
        empty_side = None if side_schema is None else side_schema.empty_table()
        out_schema = func(main_schema.empty_table(), empty_side).schema
        parts = int(self.spark.conf.get("spark.sql.shuffle.partitions") or "8")

        def run(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            import pyarrow as pa
            import pyarrow.compute as pc

            got = list(batches)
            if not got:
                return
            table = pa.Table.from_batches(got)
            is_side = table.column(_SIDE)
            rows = table.filter(pc.invert(is_side)).select(main_schema.names)
            rows = rows.cast(main_schema)
            side_rows = None
            if side_schema is not None:
                side_rows = (
                    table.filter(is_side)
                    .select(
                        [c if c == "case_id" else _SIDE + c for c in side_schema.names]
                    )
                    .rename_columns(side_schema.names)
                    .cast(side_schema)
                )
            if rows.num_rows:
                yield from func(rows, side_rows).cast(out_schema).to_batches()

        with _pyspark_version_check():
            mapped = frame.repartition(parts, "case_id").mapInArrow(
                run, from_arrow_schema(out_schema)
            )
        batches = mapped._collect_as_arrow()
        if not batches:
            return out_schema.empty_table()
        return pa.Table.from_batches(batches).cast(out_schema)

    # -- export -------------------------------------------------------------------------
    def column_types(self) -> tuple[tuple[str, str], ...]:
        """The events' columns with their DuckDB type names (an export's manifest)."""
        frame = self.spark.table(self._events_view)
        return tuple(
            (f.name, _duckdb_type(f.dataType.simpleString()))
            for f in frame.schema.fields
        )

    def write_parquet_files(
        self, select: str, part_col: str | None, folder: Path
    ) -> None:
        """Write ``SELECT select FROM events`` (DuckDB dialect) as Parquet into ``folder``.

        What :func:`servops.log.export.write_parquet` calls for a Spark log: the
        executors write the files (nothing is collected to the driver), one file per
        ``part_col`` value in Hive folders (``event_month=2012-03/part-….parquet``), or
        one file without ``part_col``; rows sorted by case, time and ``event_index``
        as the DuckDB export sorts them. Timestamps are written as microsecond
        instants (Parquet ``TIMESTAMP_MICROS``, UTC), as DuckDB writes them.
        ``folder`` is an empty local folder.
        """
        frame = self.spark.sql(to_spark(self._run_sql(f"SELECT {select} FROM events")))
        order = ["case_id", "timestamp", "event_index"]
        if part_col is None:
            frame = frame.coalesce(1).sortWithinPartitions(*order)
        else:
            frame = frame.repartition(part_col).sortWithinPartitions(part_col, *order)
        key = "spark.sql.parquet.outputTimestampType"
        before = self.spark.conf.get(key)
        self.spark.conf.set(key, "TIMESTAMP_MICROS")
        try:
            writer = frame.write.mode("append")  # into the empty folder
            if part_col is not None:
                writer = writer.partitionBy(part_col)
            writer.parquet(folder.resolve().as_uri())
        finally:
            self.spark.conf.set(key, before or "INT96")
        # Hadoop's side files: the marker of a finished job and the checksums
        for side in [*folder.rglob("_SUCCESS"), *folder.rglob(".*.crc")]:
            side.unlink()

    def fetchone(self, sql: str, params: list[object] | None = None) -> tuple[Any, ...]:
        """Run ``sql`` on Spark and return its first row."""
        rows = self.fetchall(sql, params)
        if not rows:
            msg = f"query returned no row: {sql}"
            raise RuntimeError(msg)
        return rows[0]

    def fetchall(
        self, sql: str, params: list[object] | None = None
    ) -> list[tuple[Any, ...]]:
        """Run ``sql`` on Spark and return all rows (Python values, as DuckDB's)."""
        table = self.arrow(sql, params)
        cols = [c.to_pylist() for c in table.columns]
        return list(zip(*cols, strict=True)) if cols else []

    def relation(
        self, level: Literal["instances", "events"] = "instances"
    ) -> duckdb.DuckDBPyRelation:
        """The events or instances collected to the driver (avoid on big logs)."""
        return self.query(
            f'SELECT * FROM {level} ORDER BY case_id, "timestamp", event_index'
        )

    def to_pandas(
        self, level: Literal["instances", "events"] = "instances"
    ) -> pd.DataFrame:
        """The events or instances as a pandas DataFrame (collected: avoid on big logs)."""
        frame: pd.DataFrame = self.to_arrow(level).to_pandas()
        return frame

    # -- handles ------------------------------------------------------------------------
    def where(self, *predicates: str) -> SparkEventLog:
        """A log restricted by SQL predicates (DuckDB dialect), over the same views."""
        return SparkEventLog(
            self.spark,
            self._events_view,
            self._instances_view,
            self.meta,
            self.predicates + tuple(predicates),
        )

    def with_meta(self, **changes: Any) -> SparkEventLog:  # noqa: ANN401
        """A copy of this handle with some metadata changed."""
        return SparkEventLog(
            self.spark,
            self._events_view,
            self._instances_view,
            replace(self.meta, **changes),
            self.predicates,
        )

    def __repr__(self) -> str:
        filt = f", {len(self.predicates)} filter(s)" if self.predicates else ""
        return f"<SparkEventLog {self.label!r}{filt}>"


def _column_map(names: list[str], columns: ColumnMap | None) -> dict[str, str | None]:
    """Which source column each canonical field was read from (``None``: absent)."""
    given = {k: v for k, v in (columns.as_dict() if columns else {}).items() if v}
    return {c: given.get(c, c if c in names else None) for c in CORE_COLUMNS}


def _canonical(frame: DataFrame, columns: ColumnMap | None, source: str) -> DataFrame:
    """``frame`` with the canonical columns first (renamed, typed), attributes after."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    mapping = {k: v for k, v in (columns.as_dict() if columns else {}).items() if v}
    available = list(frame.columns)

    def column(field: str, *, required: bool) -> Any:  # noqa: ANN401
        name = mapping.get(field, field)
        if name in available:
            return F.col(quote_spark(name))
        if required:
            msg = (
                f"{source}: no column {name!r} for `{field}`. Available columns: "
                f"{sorted(available)}. Hint: map it with columns=ColumnMap({field}=…) "
                f"(CLI: --{field.replace('_id', '').replace('_', '-')})."
            )
            raise LogSchemaError(msg)
        return None

    types = {f.name: f.dataType for f in frame.schema.fields}

    def instant(field: str, *, required: bool) -> Any:  # noqa: ANN401
        col = column(field, required=required)
        if col is None:
            return F.lit(None).cast("timestamp")
        kind = types[mapping.get(field, field)]
        if isinstance(kind, T.TimestampType):
            return col
        if isinstance(kind, T.TimestampNTZType | T.DateType | T.StringType):
            return col.cast("timestamp")  # naive values and ISO text read as UTC
        msg = (
            f"{source}: column {mapping.get(field, field)!r} (mapped to `{field}`) must "
            f"hold timestamps or ISO 8601 text; got {kind.simpleString()}."
        )
        raise LogSchemaError(msg)

    def text(field: str) -> Any:  # noqa: ANN401
        col = column(field, required=field in ("case_id", "activity"))
        return F.lit(None).cast("string") if col is None else col.cast("string")

    lifecycle = column("lifecycle", required=False)
    index = column("event_index", required=False)
    used = {mapping.get(f, f) for f in CORE_COLUMNS}
    attrs = [c for c in available if c not in used]
    out = frame.select(
        text("case_id").alias("case_id"),
        text("activity").alias("activity"),
        instant("timestamp", required=True).alias("timestamp"),
        instant("start_timestamp", required=False).alias("start_timestamp"),
        text("resource").alias("resource"),
        (
            F.lit(None).cast("string")
            if lifecycle is None
            else F.lower(F.trim(lifecycle.cast("string")))
        ).alias("lifecycle"),
        (
            F.monotonically_increasing_id().alias("event_index")
            if index is None
            else index.cast("bigint").alias("event_index")
        ),
        *(F.col(quote_spark(a)) for a in attrs),
    )
    if index is None:
        # 1-based positions in reading order (one file: file order)
        from pyspark.sql import Window

        out = out.withColumn(
            "event_index",
            F.row_number().over(Window.orderBy("event_index")).cast("bigint"),
        )
    return out


def quote_spark(name: str) -> str:
    """``name`` quoted for a Spark column reference (backticks)."""
    return "`" + name.replace("`", "``") + "`"
