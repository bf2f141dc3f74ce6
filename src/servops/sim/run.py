"""Run a model once: :func:`simulate` returns KPIs and the simulated :class:`EventLog`."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from servops.errors import InvalidParameterError
from servops.log.engine import compact, connect, quote
from servops.log.eventlog import EventLog, LogMeta
from servops.log.lifecycle import instances_sql
from servops.sim.kernel import Kpis, RawRun, load_batches, run_kernel, seed_int
from servops.sim.model import Model, load_model

if TYPE_CHECKING:
    from collections.abc import Mapping

    import duckdb
    import pyarrow as pa

    from servops._typing import PathLike, Seed

__all__ = ["SimulationResult", "as_seconds", "is_count", "simulate"]

_tables = itertools.count()


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """One simulation run.

    Attributes
    ----------
    event_log
        The simulated event log, or ``None`` after ``keep_log=False``; use :attr:`log`.
    kpis
        Cycle time, waiting, utilisation per pool, throughput, SLA attainment…
    model
        The model that was run.
    seed
        The integer seed (rerun with it to get the same log).
    abandonments
        Cases that gave up waiting: ``case_id``, ``activity``, ``enabled_timestamp``,
        ``abandoned_at`` (not in the log: the activity never happened).
    """

    event_log: EventLog | None
    kpis: Kpis
    model: Model
    seed: int
    abandonments: pa.Table | None = None

    @property
    def log(self) -> EventLog:
        """The simulated event log, one activity instance per row.

        Columns: start, end, resource, ``enabled_timestamp`` (when the activity could
        have started) and the case attributes.

        Raises
        ------
        InvalidParameterError
            If the run was made with ``keep_log=False``.
        """
        if self.event_log is None:
            msg = "This run kept no log (keep_log=False); simulate again with keep_log=True."
            raise InvalidParameterError(msg)
        return self.event_log

    def to_dict(self) -> dict[str, Any]:
        """KPIs, seed and model name, JSON-ready."""
        return {"model": self.model.name, "seed": self.seed, **self.kpis.to_dict()}


def as_seconds(
    value: timedelta | datetime | float | None, *, start: datetime, name: str
) -> float | None:
    """A horizon as seconds after ``start``: a timedelta, an absolute datetime or seconds.

    Examples
    --------
    >>> from datetime import UTC
    >>> as_seconds(
    ...     timedelta(hours=1), start=datetime(2024, 1, 1, tzinfo=UTC), name="until"
    ... )
    3600.0
    """
    if value is None:
        return None
    if isinstance(value, timedelta):
        s = value.total_seconds()
    elif isinstance(value, datetime):
        v = value if value.tzinfo else value.replace(tzinfo=start.tzinfo)
        s = (v - start).total_seconds()
    elif _is_number(value):
        s = float(value)
    else:
        msg = (
            f"The {name!r} parameter of simulate must be a timedelta, a datetime or a "
            f"number of seconds. Got {value!r} instead."
        )
        raise InvalidParameterError(msg)
    if not s > 0:
        msg = f"The {name!r} parameter of simulate must be after the model start. Got {value!r}."
        raise InvalidParameterError(msg)
    return s


def simulate(
    model: Model | PathLike | Mapping[str, Any],
    *,
    cases: int | None = None,
    until: timedelta | datetime | float | None = None,
    seed: Seed = None,
    keep_log: bool = True,
    warmup: int = 0,
    sla: timedelta | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> SimulationResult:
    """Simulate ``model`` once.

    Parameters
    ----------
    model
        A :class:`Model`, a YAML file, or its mapping.
    cases
        How many cases arrive (then the run continues until they all finish).
    until
        Stop at this time: a ``timedelta`` after the model start, a ``datetime``, or
        seconds. Cases still open then are left unfinished.
    seed
        Makes the run reproducible: the same seed gives the same log.
    keep_log
        Build the event log. Without it only KPIs are kept, in constant memory.
    warmup
        Leave the first ``warmup`` cases out of the KPIs (start-up bias of a queue that
        starts empty); they stay in the log.
    sla
        Cycle-time target for ``kpis.sla_attainment`` (default: the model's ``sla``).
    con
        A DuckDB connection to hold the log (default: a new in-memory database). Give
        a file-backed one to keep memory flat for very long runs.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> import servops as so
    >>> m = so.sim.load_model(TINY.parents[2] / "docs" / "examples" / "mmc.yaml")
    >>> run = so.sim.simulate(m, cases=2000, seed=1)
    >>> run.kpis.cases, run.log.n_cases()
    (2000, 2000)
    >>> run2 = so.sim.simulate(m, cases=2000, seed=1)
    >>> run2.kpis.mean_waiting_time_s == run.kpis.mean_waiting_time_s
    True
    """
    m = load_model(model)
    if cases is not None and not is_count(cases, low=1):
        msg = f"The 'cases' parameter of simulate must be an int >= 1. Got {cases!r} instead."
        raise InvalidParameterError(msg)
    if not is_count(warmup, low=0):
        msg = f"The 'warmup' parameter of simulate must be an int >= 0. Got {warmup!r}."
        raise InvalidParameterError(msg)
    until_s = as_seconds(until, start=m.start, name="until")
    sla_s = sla.total_seconds() if sla is not None else None
    s = seed_int(seed)
    if not keep_log:
        raw = run_kernel(
            m,
            cases=cases,
            until_s=until_s,
            seed=s,
            keep_log=False,
            warmup_cases=warmup,
            sla_s=sla_s,
        )
        return SimulationResult(event_log=None, kpis=raw.kpis, model=m, seed=s)
    con = con or connect()
    table = f"sim_{next(_tables)}"
    raw_table = quote(table + ":raw")

    def sink(batch: Any) -> None:  # noqa: ANN401 - a pyarrow RecordBatch
        load_batches(con, raw_table, [batch])

    raw = run_kernel(
        m,
        cases=cases,
        until_s=until_s,
        seed=s,
        keep_log=True,
        warmup_cases=warmup,
        sla_s=sla_s,
        sink=sink,
    )
    log, gone = _build_log(con, table, raw_table, raw, m, s)
    return SimulationResult(
        event_log=log, kpis=raw.kpis, model=m, seed=s, abandonments=gone
    )


def _build_log(
    con: duckdb.DuckDBPyConnection,
    table: str,
    raw_table: str,
    raw: RawRun,
    model: Model,
    seed: int,
) -> tuple[EventLog, pa.Table]:
    """Turn the kernel's integer rows into a canonical events table."""
    import pyarrow as pa

    acts = pa.table(
        {
            "idx": pa.array(range(len(raw.activity_names)), pa.int32()),
            "name": raw.activity_names,
        }
    )
    res = pa.table(
        {
            "idx": pa.array(range(len(raw.resource_names)), pa.int32()),
            "name": raw.resource_names,
        }
    )
    n_cases = max((len(codes) for _, codes in raw.case_attrs.values()), default=0)
    cases_cols: dict[str, Any] = {
        "case": pa.array(np.arange(1, n_cases + 1, dtype=np.int64))
    }
    for name, (values, codes) in raw.case_attrs.items():
        cases_cols[name] = pa.array(
            np.asarray(values, dtype=object)[codes], pa.string()
        )
    case_tbl = pa.table(cases_cols)
    attr_sql = "".join(f", c.{quote(n)}" for n in raw.case_attrs)
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table + ":raw"]
    ).fetchall()[0][0]
    if not exists:  # no activity finished: an empty log with the right columns
        con.execute(
            f'CREATE TABLE {raw_table} (seq BIGINT, "case" BIGINT, activity INT, '
            f'ready TIMESTAMPTZ, start TIMESTAMPTZ, "end" TIMESTAMPTZ, '
            f"resource INT)"
        )
    con.register("__sim_acts", acts)
    con.register("__sim_res", res)
    con.register("__sim_cases", case_tbl)
    try:
        con.execute(f"""
            CREATE TABLE {quote(table)} AS
            SELECT CAST(r."case" AS VARCHAR) AS case_id, a.name AS activity,
                   r."end" AS "timestamp", r.start AS start_timestamp,
                   s.name AS resource, CAST(NULL AS VARCHAR) AS lifecycle,
                   r.seq AS event_index, r.ready AS enabled_timestamp{attr_sql}
            FROM {raw_table} r
            JOIN __sim_acts a ON a.idx = r.activity
            LEFT JOIN __sim_res s ON s.idx = r.resource
            LEFT JOIN __sim_cases c ON c."case" = r."case"
            WHERE r.resource <> -2
            ORDER BY r.seq
        """)
        gone = con.sql(f"""
            SELECT CAST(r."case" AS VARCHAR) AS case_id, a.name AS activity,
                   r.ready AS enabled_timestamp, r."end" AS abandoned_at
            FROM {raw_table} r JOIN __sim_acts a ON a.idx = r.activity
            WHERE r.resource = -2 ORDER BY r.seq""").to_arrow_table()
        con.execute(f"DROP TABLE {raw_table}")
    finally:
        for v in ("__sim_acts", "__sim_res", "__sim_cases"):
            con.unregister(v)
    compact(con)
    meta = LogMeta(
        source=f"simulation of {model.name!r} (seed {seed})",
        timezone="UTC",
        lifecycle_mode="none",
        has_start=True,
        column_map={},
        attributes={
            "enabled_timestamp": "TIMESTAMP WITH TIME ZONE",
            **dict.fromkeys(raw.case_attrs, "VARCHAR"),
        },
        notes=(
            f"simulated by servops: {raw.kpis.arrived} arrivals, "
            f"{raw.kpis.cases} cases finished",
        ),
        name=f"sim:{model.name}",
    )
    return EventLog(con, quote(table), instances_sql(quote(table)), meta), gone


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_count(value: object, *, low: int) -> bool:
    """Whether ``value`` is a whole number (not a bool) of at least ``low``."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= low
