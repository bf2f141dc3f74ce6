"""EventLog: a handle on an event log held by DuckDB (in memory or in a workspace file)."""

from __future__ import annotations

import copy
import itertools
import re
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, Self

from servops.log.engine import fetch_first, inline_cte
from servops.log.load import ReadOptions, load
from servops.log.meta import InstanceSource, LogMeta, LogTables
from servops.log.schema import INSTANCE_ORDER, case_arrival

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from datetime import datetime

    import duckdb
    import pandas as pd
    import pyarrow as pa

    from servops.io.columns import ColumnMap

from servops.errors import WorkspaceError

__all__ = ["EventLog", "InstanceSource", "LogInfo", "LogMeta"]

Level = Literal["instances", "events"]
_NAMES_INSTANCES = re.compile(r"\binstances\b", re.IGNORECASE)
_views = itertools.count()


@dataclass(frozen=True, slots=True)
class LogInfo:
    """What ``servops info`` prints: sizes, time span, lifecycle mix and attributes.

    The span runs from the first case's arrival
    (:func:`servops.log.schema.case_arrival`) to the last event's end.
    """

    cases: int
    events: int
    activity_instances: int
    activities: int
    resources: int
    variants: int
    start: datetime | None
    end: datetime | None
    lifecycle: dict[str, int]
    attributes: dict[str, str]
    has_start_times: bool
    source: str
    timezone: str
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (timestamps in ISO 8601, UTC)."""
        return {
            "cases": self.cases,
            "events": self.events,
            "activity_instances": self.activity_instances,
            "activities": self.activities,
            "resources": self.resources,
            "variants": self.variants,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "lifecycle": dict(self.lifecycle),
            "attributes": dict(self.attributes),
            "has_start_times": self.has_start_times,
            "source": self.source,
            "timezone": self.timezone,
            "notes": list(self.notes),
        }


class EventLog:
    """An event log held by DuckDB.

    Not built directly: use :func:`servops.read_log` (or ``read_csv``, ``read_xes``…),
    :meth:`EventLog.from_arrow`, or :meth:`servops.Workspace.load`.

    Analyses query two relations by name through :meth:`query`:

    ``events``
        every event as read, all lifecycle transitions kept;
    ``instances``
        one row per activity instance (start and complete paired), which is what process
        maps, variants and KPIs count.

    Both carry the canonical columns of :mod:`servops.log.schema` and the attributes.
    Filters (:meth:`where`) return a new ``EventLog`` over the same data; nothing is copied.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table(
    ...     {
    ...         "case": ["1", "1", "2"],
    ...         "act": ["a", "b", "a"],
    ...         "ts": ["2024-01-01 09:00", "2024-01-01 10:00", "2024-01-02 09:00"],
    ...     }
    ... )
    >>> log = EventLog.from_arrow(t, columns=ColumnMap("case", "act", "ts"))
    >>> log.fetchone("SELECT count(DISTINCT case_id) FROM instances")
    (2,)
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        events_table: str,
        instances: str | InstanceSource,
        meta: LogMeta,
        predicates: tuple[str, ...] = (),
        *,
        default_config: object | None = None,
    ) -> None:
        self._con = con
        self._events_table = events_table
        self._instances = (
            instances
            if isinstance(instances, InstanceSource)
            else InstanceSource(con, instances)
        )
        self.meta = meta
        self._predicates = predicates
        #: The KPI config the log's source prescribes (the live service attaches its
        #: state machine's roles), or None. Opaque here: this layer neither reads nor
        #: checks it; :func:`servops.kpi.load_config` (``path=None``) uses it before
        #: guessing roles from activity names. Filters and :meth:`with_meta` keep it.
        self.default_config = default_config

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_arrow(
        cls,
        data: object,
        *,
        columns: ColumnMap | None = None,
        timezone: str = "UTC",
        dayfirst: bool | None = None,
        timestamp_format: str | None = None,
        on_bad_rows: Literal["error", "skip"] = "error",
    ) -> EventLog:
        """Build an in-memory log from a pyarrow Table, pandas or polars DataFrame."""
        options = ReadOptions(
            timezone=timezone,
            dayfirst=dayfirst,
            timestamp_format=timestamp_format,
            on_bad_rows=on_bad_rows,
        )
        if columns is not None:
            options = replace(options, columns=columns)
        tables, _ = load(data, options)
        return cls.wrap(tables)

    @classmethod
    def wrap(cls, tables: LogTables) -> EventLog:
        """The log whose events and instances ``tables`` hold (as a reader built them)."""
        return cls(tables.con, tables.events_table, tables.instances, tables.meta)

    # -- relations ----------------------------------------------------------------------
    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection holding the data."""
        return self._con

    def _where(self) -> str:
        return (
            " AND ".join(f"({p})" for p in self._predicates) if self._predicates else ""
        )

    @property
    def events_sql(self) -> str:
        """A parenthesised subquery yielding the (filtered) events."""
        w = self._where()
        return f"(SELECT * FROM {self._events_table}{' WHERE ' + w if w else ''})"

    @property
    def instances_sql(self) -> str:
        """A parenthesised subquery yielding the (filtered) activity instances."""
        w = self._where()
        return f"(SELECT * FROM ({self._instances.sql}){' WHERE ' + w if w else ''})"

    def _run_sql(self, sql: str) -> str:
        """Bind ``events`` and ``instances`` as CTEs in front of ``sql``.

        ``instances`` is bound only where the query names it, so that a query on events
        alone never triggers deferred lifecycle pairing. A query with its own ``WITH``
        clause gets its CTEs appended to ours.
        """
        ctes = [self._bind("events", self.events_sql)]
        if _NAMES_INSTANCES.search(sql):
            ctes.append(self._bind("instances", self.instances_sql))
        head = "WITH " + ", ".join(ctes)
        body = sql.lstrip()
        if body[:4].upper() == "WITH" and body[4:5].isspace():
            rest = body[5:].lstrip()
            if rest[:9].upper() == "RECURSIVE":
                head = "WITH RECURSIVE" + head[4:]
                rest = rest[9:].lstrip()
            return f"{head}, {rest}"
        return f"{head}\n{body}"

    def _bind(self, name: str, body: str) -> str:
        """The CTE ``name AS body``, inlined when the log is not filtered.

        Unfiltered, each reference is a plain scan of the table, cheaper than the copy
        DuckDB makes of a CTE read twice (5M instances: ~400 MB). Filtered, the engine
        shares one evaluation of the filter (a case-level semi-join run once).
        """
        return f"{name} AS {body}" if self._predicates else inline_cte(name, body)

    def query(
        self, sql: str, params: list[object] | None = None
    ) -> duckdb.DuckDBPyRelation:
        """Run ``sql`` with ``events`` and ``instances`` bound to this log's relations.

        Examples
        --------
        >>> tiny_log.query("SELECT count(*) AS n FROM events").fetchall()
        [(18,)]
        >>> tiny_log.fetchall(
        ...     "WITH c AS (SELECT DISTINCT case_id FROM instances) "
        ...     "SELECT count(*) FROM c"
        ... )
        [(5,)]
        """
        full = self._run_sql(sql)
        with self._closed_hint():
            if params:
                return self._con.sql(full, params=params)
            return self._con.sql(full)

    def fetchone(self, sql: str, params: list[object] | None = None) -> tuple[Any, ...]:
        """Run ``sql`` as :meth:`query` does and return its first row.

        Examples
        --------
        >>> tiny_log.fetchone("SELECT count(*) FROM events")
        (18,)
        """
        full = self._run_sql(sql)
        with self._closed_hint():
            row = fetch_first(self._con, full, params)
        if row is None:
            msg = f"query returned no row: {sql}"
            raise RuntimeError(msg)
        return tuple(row)

    def fetchall(
        self, sql: str, params: list[object] | None = None
    ) -> list[tuple[Any, ...]]:
        """Run ``sql`` as :meth:`query` does and return all rows."""
        full = self._run_sql(sql)
        with self._closed_hint():
            return [tuple(r) for r in self._con.execute(full, params or []).fetchall()]

    @contextmanager
    def _closed_hint(self) -> Iterator[None]:
        """Say plainly that the workspace was closed, instead of DuckDB's terse error."""
        import duckdb

        try:
            yield
        except duckdb.ConnectionException as exc:
            if "closed" not in str(exc).lower():
                raise
            msg = (
                f"the DuckDB connection of log {self.label!r} is "
                f"closed (its Workspace was closed). Use the log inside `with Workspace(...)`,"
                f" or load it with servops.open_log(name, db=...), which keeps it open."
            )
            raise WorkspaceError(msg) from exc

    def relation(self, level: Level = "instances") -> duckdb.DuckDBPyRelation:
        """The events or instances as a DuckDB relation, ordered by case and time."""
        return self.query(
            f'SELECT * FROM {level} ORDER BY case_id, "timestamp", event_index'
        )

    def to_arrow(self, level: Level = "instances") -> pa.Table:
        """The events or instances as a pyarrow Table, ordered by case and time."""
        return self.relation(level).to_arrow_table()

    def to_pandas(self, level: Level = "instances") -> pd.DataFrame:
        """The events or instances as a pandas DataFrame (a copy: avoid on big logs)."""
        frame: pd.DataFrame = self.relation(level).df()
        return frame

    @contextmanager
    def registered(self, table: pa.Table) -> Iterator[str]:
        """Expose ``table`` to this log's queries under a fresh name, for the block.

        For the small tables an analysis joins with the log (per-case outcomes, factor
        keys): :meth:`query` sees the name on whatever engine holds the log.
        """
        name = f"__servops_table_{next(_views)}"
        self._con.register(name, table)
        try:
            yield name
        finally:
            self._con.unregister(name)

    def map_cases(
        self,
        sql: str,
        func: Callable[[pa.Table, pa.Table | None], pa.Table],
        *,
        side_sql: str | None = None,
    ) -> pa.Table:
        """``func`` applied to the rows of ``sql`` (and of ``side_sql``), whole cases at once.

        Both queries (run as :meth:`query` runs them) yield a ``case_id`` column;
        ``func(rows, side_rows)`` gets every row of each case it sees, with the side
        rows of the same cases (``None`` without ``side_sql``), and returns a table.
        Here it is one call over all rows; an engine that spreads the cases over
        workers (:class:`~servops.log.spark.SparkEventLog`) calls it once per
        partition of cases there, so ``func`` must compute each case from its own rows
        alone. The per-case Python (numpy over whole columns) of an analysis is then
        written once and runs where the data are.
        """
        rows = self.query(sql).to_arrow_table()
        side = None if side_sql is None else self.query(side_sql).to_arrow_table()
        return func(rows, side)

    # -- filters ------------------------------------------------------------------------
    def where(self, *predicates: str) -> EventLog:
        """A log restricted by SQL predicates on event columns (a view, no copy).

        Predicates see the canonical columns and the attributes of ``events`` and
        ``instances`` alike; use ``case_id IN (SELECT …)`` for case-level filters.
        """
        return EventLog(
            self._con,
            self._events_table,
            self._instances,
            self.meta,
            self._predicates + tuple(predicates),
            default_config=self.default_config,
        )

    @property
    def predicates(self) -> tuple[str, ...]:
        """The filters applied to this log."""
        return self._predicates

    @property
    def label(self) -> str:
        """How messages name this log: its stored name, else its source."""
        return self.meta.name or self.meta.source

    def nothing_message(self, what: str) -> str:
        """``"<label>: <what>."``, saying so when the filters left nothing.

        Examples
        --------
        >>> log = tiny_log.with_meta(name="tiny")
        >>> (
        ...     log.nothing_message("no cases"),
        ...     log.where("false").nothing_message("no cases"),
        ... )
        ('tiny: no cases.', 'tiny: no cases after its filters.')
        """
        after = " after its filters" if self._predicates else ""
        return f"{self.label}: {what}{after}."

    def with_meta(self, **changes: Any) -> EventLog:  # noqa: ANN401
        """A copy of this handle with some metadata changed."""
        return EventLog(
            self._con,
            self._events_table,
            self._instances,
            replace(self.meta, **changes),
            self._predicates,
            default_config=self.default_config,
        )

    def with_default_config(self, config: object | None) -> Self:
        """A copy of this handle (same class, same data) with ``config`` as its default."""
        out = copy.copy(self)
        out.default_config = config
        return out

    @property
    def stored_instances_sql(self) -> str:
        """SQL of the instances as stored (for the workspace catalog)."""
        return self._instances.sql

    # -- facts --------------------------------------------------------------------------
    @property
    def attributes(self) -> dict[str, str]:
        """Attribute columns and their DuckDB types."""
        return dict(self.meta.attributes)

    @property
    def has_start_times(self) -> bool:
        """Whether activity instances carry start timestamps."""
        return self.meta.has_start

    def n_cases(self) -> int:
        """Number of cases."""
        return int(self.fetchone("SELECT count(DISTINCT case_id) FROM events")[0])

    def n_events(self) -> int:
        """Number of events (every lifecycle transition counts)."""
        return int(self.fetchone("SELECT count(*) FROM events")[0])

    def info(self) -> LogInfo:
        """Sizes, time span, lifecycle mix and attributes."""
        row = self.fetchone(
            f"""
            SELECT
              (SELECT count(DISTINCT case_id) FROM events),
              (SELECT count(*) FROM events),
              (SELECT count(*) FROM instances),
              (SELECT count(DISTINCT activity) FROM events),
              (SELECT count(DISTINCT resource) FROM events),
              (SELECT {case_arrival(self.attributes)} FROM events),
              (SELECT max("timestamp") FROM events)
            """
        )
        variants = self.fetchone(
            "SELECT count(DISTINCT trace) FROM (SELECT case_id, string_agg(activity, "
            f"chr(31) ORDER BY {INSTANCE_ORDER}) AS trace FROM instances GROUP BY case_id)"
        )
        lifecycle = {
            str(k): int(v)
            for k, v in self.fetchall(
                "SELECT coalesce(lifecycle, '(atomic)'), count(*) FROM events "
                "GROUP BY 1 ORDER BY 2 DESC, 1"
            )
        }
        return LogInfo(
            cases=int(row[0]),
            events=int(row[1]),
            activity_instances=int(row[2]),
            activities=int(row[3]),
            resources=int(row[4]),
            variants=int(variants[0]),
            start=row[5],
            end=row[6],
            lifecycle=lifecycle,
            attributes=self.attributes,
            has_start_times=self.has_start_times,
            source=self.meta.source,
            timezone=self.meta.timezone,
            notes=self.meta.notes,
        )

    def __repr__(self) -> str:
        name = self.label
        filt = f", {len(self._predicates)} filter(s)" if self._predicates else ""
        return f"<EventLog {name!r}{filt}>"
