"""Per-case service metrics, one row per case.

Lead, first-response and resolution times, reopen, handovers, first-contact resolution
and SLA status.

Definitions (``docs/kpi.md`` has the full text):

* ``arrived_at``: the case's first activity (its start time when the log has one).
* ``first_response_at``: the first instance of a first-response activity.
* ``resolved_at``: the last resolution, unless a reopen came after it (then ``null``: the
  case is unresolved again). With no resolution activity configured: ``closed_at``.
* ``closed_at``: the last close, unless a reopen came after it; ``null`` while the case is
  open at the end of the data. With no close activity configured: the case's last event.
* ``lead_time_s = closed_at - arrived_at``; ``first_response_s``, ``resolution_time_s``
  likewise from ``arrived_at``. Clock seconds.
* ``handovers``: changes of handler (the resource, or the ``handovers.by`` column such as
  an assignment group) between consecutive work steps of the team
  (:func:`work_step_sql`: customer turns, closing steps and ignored resources such as
  ``system`` are not work steps); ``fcr``: resolved, never reopened, within the handover
  and touch limits of the config (``null`` while unresolved, and for every case when the
  config cannot see reopens); ``reopened`` is ``null`` then too.
* state mode (``states`` in the config): the log is read as a status export
  (:func:`state_log`); a configured change of status is a reopen.
* SLA: the first matching policy; elapsed seconds on its calendar (business or clock time);
  the resolution clock stops during pauses. A case still open at the end of the data is
  ``breached`` if it is already late, otherwise ``pending`` (``sla_breached`` false).
  ``sla_breached`` is ``null`` when no policy applies.

All of it is one SQL query per log plus numpy over whole columns (the business-time
function is evaluated at both ends of every interval at once): no loop over cases.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from servops.kpi.config import KpiConfig, load_config
from servops.log.engine import (
    epoch_s,
    inline_cte,
    quote,
    seconds_between,
)
from servops.log.schema import BEGIN, case_begin, enabled_column

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from numpy.typing import NDArray

    from servops._typing import PathLike
    from servops.kpi.calendar import BusinessCalendar
    from servops.log import EventLog

__all__ = [
    "METRIC_COLUMNS",
    "SLA_AGGREGATES",
    "case_ctes",
    "case_metrics",
    "handler_sql",
    "resolve_config",
    "run",
    "sla_metrics",
    "sql_in",
    "sql_lit",
    "state_log",
    "work_step_sql",
]

#: The columns :func:`case_metrics` always returns, before the case attributes.
METRIC_COLUMNS = (
    "case_id",
    "arrived_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "lead_time_s",
    "first_response_s",
    "resolution_time_s",
    "reopened",
    "reopens",
    "handovers",
    "touches",
    "activities",
    "fcr",
    "sla_policy",
    "response_target_s",
    "response_elapsed_s",
    "response_breached",
    "resolution_target_s",
    "resolution_elapsed_s",
    "paused_s",
    "resolution_breached",
    "sla_breached",
    "sla_late_s",
    "sla_status",
)


#: SLA aggregates over per-case rows (:data:`METRIC_COLUMNS`): the one definition of
#: attainment that ``compute_kpis``, ``sla_report`` and the report use. Attainment is
#: met / decided, where decided = met or breached (pending cases are left out).
SLA_AGGREGATES = """count(CASE WHEN sla_status IN ('met', 'breached') THEN 1 END)
      AS sla_cases,
    count(CASE WHEN sla_status = 'breached' THEN 1 END) AS sla_breaches,
    avg(CASE WHEN sla_status = 'met' THEN 1.0 WHEN sla_status = 'breached' THEN 0.0 END)
      AS sla_attainment,
    avg(CASE WHEN response_breached THEN 0.0 WHEN NOT response_breached THEN 1.0 END)
      AS sla_response_attainment,
    avg(CASE WHEN resolution_breached THEN 0.0 WHEN NOT resolution_breached THEN 1.0 END)
      AS sla_resolution_attainment"""


def state_log(log: EventLog, cfg: KpiConfig) -> EventLog:
    """``log`` in the config's state mode (repeated statuses merged), else ``log``.

    Rows where the handover column changes are kept too, so that reassignments within
    a status still count (:func:`servops.mining.collapse_states`).
    """
    if cfg.states is None or any(n.startswith("state mode:") for n in log.meta.notes):
        return log
    from servops.mining.states import collapse_states

    return collapse_states(log, cfg.states.column, keep_changes_of=(cfg.handover_by,))


def handler_sql(cfg: KpiConfig, prefix: str = "") -> str:
    """Who handles an event, for handovers: its resource or the ``handovers.by`` column."""
    if cfg.handover_by == "resource":
        return f"{prefix}resource"
    return f"CAST({prefix}{quote(cfg.handover_by)} AS VARCHAR)"


def work_step_sql(cfg: KpiConfig) -> str:
    """SQL condition (on ``handler``, ``resource``, ``activity``): a work step of the team.

    Handovers are changes of handler between consecutive work steps. Not work steps:
    customer turns, closing steps, events without a handler or by an ignored resource
    (system, customer); with FCR ``touch_activities`` configured, only those are.
    """
    touch_only = (
        [sql_in("activity", cfg.fcr.touch_activities)]
        if cfg.fcr.touch_activities
        else []
    )
    return " AND ".join(
        [
            "handler IS NOT NULL",
            f"NOT ({sql_in('resource', cfg.ignore_resources)})",
            f"NOT ({sql_in('activity', cfg.customer_activities)})",
            f"NOT ({sql_in('activity', cfg.closed)})",
            *touch_only,
        ]
    )


def sql_lit(value: str) -> str:
    """An SQL string literal.

    Examples
    --------
    >>> sql_lit("it's")
    "'it''s'"
    """
    return "'" + str(value).replace("'", "''") + "'"


def sql_in(expr: str, values: Iterable[str]) -> str:
    """``expr IN (...)``, or ``FALSE`` for no values (``IN ()`` is not SQL)."""
    vals = list(values)
    if not vals:
        return "FALSE"
    return f"{expr} IN ({', '.join(sql_lit(v) for v in vals)})"


def run(log: EventLog, sql: str) -> pa.Table:
    """Run a statement that has its own ``WITH`` over ``log``; return an Arrow table."""
    return log.query(f"SELECT * FROM (\n{sql}\n)").to_arrow_table()


def resolve_config(config: KpiConfig | PathLike | None, log: EventLog) -> KpiConfig:
    """A :class:`KpiConfig` from a config object, a YAML path, or ``None`` (guessed)."""
    if isinstance(config, KpiConfig):
        return config
    return load_config(config, log)


def attribute_columns(
    log: EventLog, only: Iterable[str] | None = None
) -> dict[str, str]:
    """Log attribute → output column name (prefixed ``attr:`` if it clashes)."""
    taken = set(METRIC_COLUMNS)
    wanted = None if only is None else set(only)
    return {
        a: (f"attr:{a}" if a in taken else a)
        for a in log.attributes
        if wanted is None or a in wanted or f"attr:{a}" in wanted
    }


def case_ctes(
    cfg: KpiConfig, attrs: dict[str, str], *, enabled: str | None = None
) -> str:
    """CTEs ending in ``m``: one row per case with the clock-time metrics.

    ``enabled`` is the log's enablement column
    (:func:`servops.log.schema.enabled_column`): the case arrives at its earliest one.

    ``m`` has ``case_id``, ``arrived_at``, ``first_response_at``, ``resolved_at``,
    ``closed_at``, ``lead_time_s``, ``first_response_s``, ``resolution_time_s``,
    ``reopened``, ``reopens``, ``handovers``, ``touches``, ``activities``, ``fcr`` and
    the attribute columns ``attrs`` (log attribute → column name).

    One grouped pass over the instances computes everything but handovers (conditional
    aggregates, ``CASE`` inside the aggregate). Handovers need the order within a case,
    so a window sorts the instances that have a (non-ignored) resource. The two read
    the instances by two scans of the table (``inst`` is inlined, not copied); sorting
    all of them measured faster than first finding the cases with two or more
    resources and sorting only theirs (a semi-join back to the grouped pass); only
    the rows where the resource changes are counted per case. Whether a case was
    reopened and is first-contact resolved is read off ``reopened_last``, so a query
    that does not select ``reopens`` does not compute the count (DuckDB drops unused
    aggregates).
    """
    attr_sel = "".join(
        f",\n    min_by({quote(a)}, CASE WHEN {quote(a)} IS NOT NULL THEN ts END)"
        f" AS {quote(c)}"
        for a, c in attrs.items()
    )
    closed = (
        "CASE WHEN closed_last IS NOT NULL AND (reopened_last IS NULL "
        "OR reopened_last <= closed_last) THEN closed_last END"
        if cfg.closed
        else "last_event_at"
    )
    resolved = (
        "CASE WHEN resolved_last IS NOT NULL AND (reopened_last IS NULL "
        "OR reopened_last <= resolved_last) THEN resolved_last END"
        if cfg.resolved
        else "closed_at"
    )
    touch = (
        sql_in("activity", cfg.fcr.touch_activities)
        if cfg.fcr.touch_activities
        else "TRUE"
    )
    max_touches = (
        "TRUE"
        if cfg.fcr.max_touches is None
        else (f"touches <= {int(cfg.fcr.max_touches)}")
    )
    handler = handler_sql(cfg)
    work = work_step_sql(cfg)
    max_handovers = (
        "TRUE"
        if cfg.fcr.max_handovers is None
        else f"handovers <= {int(cfg.fcr.max_handovers)}"
    )

    def when(cond: str, value: str) -> str:
        return f"CASE WHEN {cond} THEN {value} END"

    pairs = cfg.states.reopen if cfg.states is not None else ()
    done = (*cfg.resolved, *cfg.closed)
    reopen = " OR ".join(
        [
            sql_in("activity", cfg.reopened),
            *(
                f"(prev_activity = {sql_lit(a)} AND activity = {sql_lit(b)})"
                for a, b in pairs
            ),
            # state mode without pairs: leaving a resolved or closed status
            *(
                [
                    f"({sql_in('prev_activity', done)} AND NOT {sql_in('activity', done)})"
                ]
                if cfg.states is not None and not pairs and done
                else []
            ),
        ]
    )
    prev = (
        ", lag(activity) OVER (PARTITION BY case_id ORDER BY "
        '"timestamp", event_index) AS prev_activity'
        if cfg.states is not None
        else ""
    )
    # in state mode a status counts where the case entered it (rows kept for a change
    # of handler within a status are not new entries)
    entered = "prev_activity IS DISTINCT FROM activity AND " if prev else ""
    inst = f"""(
  SELECT case_id, activity, "timestamp" AS ts,
    {case_begin(enabled)} AS st,
    resource, {handler} AS handler, event_index{prev}
    {"".join(f", {quote(a)}" for a in attrs)}
  FROM instances
)"""
    return f"""{inline_cte("inst", inst)}, agg AS (
  SELECT case_id,
    min(st) AS arrived_at,
    max(ts) AS last_event_at,
    count(*) AS activities,
    min({when(sql_in("activity", cfg.first_response), "ts")}) AS first_response_at,
    max({when(entered + sql_in("activity", cfg.resolved), "ts")}) AS resolved_last,
    max({when(entered + sql_in("activity", cfg.closed), "ts")}) AS closed_last,
    max({when(reopen, "ts")}) AS reopened_last,
    count(CASE WHEN {reopen} THEN 1 END) AS reopens,
    count(CASE WHEN {touch} THEN 1 END) AS touches,
    count(handler) AS handled{attr_sel}
  FROM inst GROUP BY case_id
), ho AS (
  SELECT case_id, count(*) AS handovers
  FROM (
    SELECT case_id, handler,
      lag(handler) OVER (PARTITION BY case_id ORDER BY ts, event_index) AS prev
    FROM inst
    WHERE {work}
  ) WHERE prev <> handler GROUP BY case_id
), c AS (
  SELECT agg.*, {closed} AS closed_at,
    -- no event of the case names a handler: handovers cannot be counted
    CASE WHEN handled > 0 THEN coalesce(ho.handovers, 0) END AS handovers
  FROM agg LEFT JOIN ho USING (case_id)
), r AS (
  SELECT *, {resolved} AS resolved_at FROM c
), m AS (
  SELECT
    case_id, arrived_at, first_response_at, resolved_at, closed_at,
    {seconds_between("arrived_at", "closed_at")} AS lead_time_s,
    {seconds_between("arrived_at", "first_response_at")} AS first_response_s,
    {seconds_between("arrived_at", "resolved_at")} AS resolution_time_s,
    CASE WHEN {cfg.measures_reopen} THEN reopened_last IS NOT NULL END AS reopened,
    CAST(reopens AS BIGINT) AS reopens,
    CAST(handovers AS BIGINT) AS handovers,
    CAST(touches AS BIGINT) AS touches,
    CAST(activities AS BIGINT) AS activities,
    CASE WHEN resolved_at IS NULL OR {not cfg.measures_reopen} THEN NULL
         ELSE reopened_last IS NULL AND {max_handovers} AND {max_touches}
    END AS fcr
    {"".join(f", {quote(c)}" for c in attrs.values())}
  FROM r
)"""


def _cases_sql(
    cfg: KpiConfig, as_of_sql: str, attrs: dict[str, str], enabled: str | None
) -> str:
    policy_case = "NULL"
    if cfg.policies:
        whens = []
        for i, p in enumerate(cfg.policies):
            cond = (
                " AND ".join(
                    # an attribute the log does not have matches no case (a live
                    # service log has a custom attribute only once a ticket has it)
                    sql_in(f"CAST({quote(attrs[k])} AS VARCHAR)", vs)
                    if k in attrs
                    else "FALSE"
                    for k, vs in p.when
                )
                or "TRUE"
            )
            whens.append(f"WHEN {cond} THEN {i}")
        policy_case = f"CASE {' '.join(whens)} END"
    return f"""
WITH {case_ctes(cfg, attrs, enabled=enabled)}
SELECT
  case_id, arrived_at, first_response_at, resolved_at, closed_at,
  lead_time_s, first_response_s, resolution_time_s,
  reopened, reopens, handovers, touches, activities, fcr,
  {policy_case} AS __policy,
  {epoch_s("arrived_at")} AS __a,
  {epoch_s("first_response_at")} AS __fr,
  {epoch_s("resolved_at")} AS __res,
  {epoch_s("closed_at")} AS __cl,
  {epoch_s(as_of_sql)} AS __as_of
  {"".join(f", {quote(c)}" for c in attrs.values())}
FROM m
"""


def _pauses_sql(cfg: KpiConfig, as_of_sql: str) -> str:
    """Pause intervals per case, overlaps merged (gaps and islands), in epoch seconds."""
    order = "PARTITION BY case_id ORDER BY ts, event_index"
    ends = "".join(
        f",\n    min(CASE WHEN {sql_in('activity', p.end)} THEN st END) OVER "
        f"({order} ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS __end{i}"
        for i, p in enumerate(cfg.pauses)
        if p.end
    )
    pe = " ".join(
        f"WHEN {sql_in('activity', p.start)} THEN "
        + (f"__end{i}" if p.end else "CASE WHEN st < ts THEN ts ELSE __next END")
        for i, p in enumerate(cfg.pauses)
    )
    starts = sorted({a for p in cfg.pauses for a in p.start})
    return f"""
WITH seq AS (
  SELECT case_id, activity, "timestamp" AS ts, event_index,
    {BEGIN} AS st
  FROM instances
), nxt AS (
  SELECT *, lead(st) OVER ({order}) AS __next{ends}
  FROM seq
), p AS (
  SELECT case_id, st AS ps, coalesce(CASE {pe} END, {as_of_sql}) AS pe
  FROM nxt WHERE {sql_in("activity", starts)}
), m AS (
  SELECT *, max(pe) OVER (PARTITION BY case_id ORDER BY ps, pe
                          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_max
  FROM p WHERE pe > ps
), g AS (
  SELECT *, sum(CASE WHEN prev_max IS NULL OR ps > prev_max THEN 1 ELSE 0 END)
    OVER (PARTITION BY case_id ORDER BY ps, pe ROWS UNBOUNDED PRECEDING) AS grp
  FROM m
)
SELECT case_id, {epoch_s("min(ps)")} AS ps, {epoch_s("max(pe)")} AS pe
FROM g GROUP BY case_id, grp
"""


def _col(table: pa.Table, name: str) -> NDArray[np.float64]:
    """A numeric column as float64 with NaN for null."""
    arr = table.column(name).to_numpy(zero_copy_only=False)
    return np.asarray(arr, dtype=np.float64)


def _masked(values: NDArray[np.float64]) -> pa.Array:
    return pa.array(values, type=pa.float64(), mask=~np.isfinite(values))


def _coalesce(*arrays: NDArray[np.float64]) -> NDArray[np.float64]:
    out = arrays[0].copy()
    for a in arrays[1:]:
        out = np.where(np.isnan(out), a, out)
    return out


def _business(
    cal: BusinessCalendar, *points: NDArray[np.float64]
) -> list[NDArray[np.float64]]:
    """``B`` evaluated at several arrays at once (one calendar table for all)."""
    sizes = [p.size for p in points]
    cum = cal.cumulative(np.concatenate(points)) if sum(sizes) else np.zeros(0)
    out, k = [], 0
    for s in sizes:
        out.append(cum[k : k + s])
        k += s
    return out


def case_metrics(
    log: EventLog,
    config: KpiConfig | PathLike | None = None,
    *,
    as_of: datetime | None = None,
    attributes: Iterable[str] | None = None,
) -> pa.Table:
    """One row per case: times, reopen, handovers, first-contact resolution, SLA status.

    Parameters
    ----------
    log
        The event log.
    config
        A :class:`KpiConfig`, a YAML path, or ``None`` to guess from activity names
        (:func:`load_config`).
    as_of
        The moment open cases are measured to (default: the last timestamp in the log).
    attributes
        The case attributes to include (default: all of the log's attributes; the ones
        the SLA policies use are always computed).

    Returns
    -------
    pyarrow.Table
        The columns of :data:`METRIC_COLUMNS` (durations in seconds, ``null`` where they
        do not apply), then one column per log attribute (its first non-empty value in
        the case). Rows are in no particular order.

    Examples
    --------
    >>> t = so.kpi.case_metrics(tiny_log).sort_by("case_id")
    >>> t.column("lead_time_s").to_pylist()
    [7200.0, 18000.0, 3600.0, 5400.0, None]
    >>> t.column("closed_at").to_pylist()[-1] is None  # c5 is still open
    True
    """
    cfg = resolve_config(config, log)
    log = state_log(log, cfg)
    as_of_sql = (
        '(SELECT max("timestamp") FROM events)'
        if as_of is None
        else f"CAST({sql_lit(as_of.isoformat())} AS TIMESTAMPTZ)"
    )
    needed = None if attributes is None else {*attributes, *cfg.attributes()}
    base_sql = _cases_sql(
        cfg,
        as_of_sql,
        attribute_columns(log, needed),
        enabled_column(log.attributes),
    )
    pauses_sql = (
        _pauses_sql(cfg, as_of_sql)
        if cfg.pauses and any(p.resolution_s for p in cfg.policies)
        else None
    )
    return log.map_cases(
        f"SELECT * FROM (\n{base_sql}\n)",
        functools.partial(sla_metrics, cfg),
        side_sql=None if pauses_sql is None else f"SELECT * FROM (\n{pauses_sql}\n)",
    )


def sla_metrics(cfg: KpiConfig, base: pa.Table, pauses: pa.Table | None) -> pa.Table:
    """The rows of :func:`case_metrics` from its per-case query and the cases' pauses.

    ``base`` has one row per case (the clock-time metrics, the policy index
    ``__policy`` and epoch seconds ``__a``, ``__fr``, ``__res``, ``__cl``,
    ``__as_of``); ``pauses`` has the merged pause intervals (``case_id``, ``ps``,
    ``pe`` in epoch seconds) of those cases, or is ``None`` when no policy pauses.
    Every row is computed from its own case's values alone (numpy over whole columns,
    the business calendar evaluated at all interval ends at once), so the cases may
    come in any batches, as long as each case's pauses come with it: the same
    function serves DuckDB (one batch) and Spark (one batch per partition, on the
    executors; :meth:`EventLog.map_cases <servops.EventLog.map_cases>`).
    """
    n = base.num_rows
    pol = base.column("__policy").to_numpy(zero_copy_only=False)
    policy_idx = np.asarray(pol, dtype=np.float64)
    a, fr, res, cl = (_col(base, c) for c in ("__a", "__fr", "__res", "__cl"))
    as_of_s = _col(base, "__as_of")

    nan = np.full(n, np.nan)
    resp_target, resp_el, res_target, res_el, paused = (nan.copy() for _ in range(5))
    resp_br = np.zeros(n, dtype=bool)
    res_br = np.zeros(n, dtype=bool)
    resp_done = ~np.isnan(_coalesce(fr, res, cl))
    res_done = ~np.isnan(_coalesce(res, cl))

    pause_case = np.zeros(0, dtype=np.int64)
    ps = pe = np.zeros(0)
    if pauses is not None and n:
        pt = pauses
        case_ids = base.column("case_id")
        idx = pc.index_in(pt.column("case_id"), value_set=case_ids)
        pause_case = np.asarray(idx.to_numpy(zero_copy_only=False), dtype=np.int64)
        ps, pe = _col(pt, "ps"), _col(pt, "pe")

    for i, p in enumerate(cfg.policies):
        m = policy_idx == i
        if not m.any():
            continue
        cal = p.calendar
        am = a[m]
        if p.first_response_s is not None:
            end = _coalesce(fr[m], res[m], cl[m], as_of_s[m])
            b_a, b_e = _business(cal, am, end)
            resp_el[m] = b_e - b_a
            resp_target[m] = p.first_response_s
            resp_br[m] = resp_el[m] > p.first_response_s
        if p.resolution_s is not None:
            end = _coalesce(res[m], cl[m], as_of_s[m])
            full_end = _coalesce(res, cl, as_of_s)
            pm = m[pause_case] if pause_case.size else np.zeros(0, dtype=bool)
            rows = pause_case[pm]
            s = np.maximum(ps[pm], a[rows])
            e = np.minimum(pe[pm], full_end[rows])
            b_a, b_e, b_s, b_pe = _business(cal, am, end, s, e)
            stop = np.where(e > s, b_pe - b_s, 0.0)
            per_case = np.bincount(rows, weights=stop, minlength=n)
            paused[m] = per_case[m]
            res_el[m] = b_e - b_a - per_case[m]
            res_target[m] = p.resolution_s
            res_br[m] = res_el[m] > p.resolution_s

    has_policy = ~np.isnan(policy_idx)
    any_breach = resp_br | res_br
    late = np.fmax(
        np.where(resp_br, resp_el - resp_target, np.nan),
        np.where(res_br, res_el - res_target, np.nan),
    )
    pending = (
        has_policy
        & ~any_breach
        & ((~np.isnan(resp_target) & ~resp_done) | (~np.isnan(res_target) & ~res_done))
    )
    status = np.where(any_breach, "breached", np.where(pending, "pending", "met"))
    names = np.array([p.name for p in cfg.policies] + [None], dtype=object)
    policy_name = names[
        np.where(has_policy, np.nan_to_num(policy_idx, nan=-1), -1).astype(np.int64)
    ]

    def bools(x: NDArray[np.bool_], known: NDArray[np.bool_]) -> pa.Array:
        return pa.array(x, type=pa.bool_(), mask=~known)

    out = base.drop_columns(["__policy", "__a", "__fr", "__res", "__cl", "__as_of"])
    attr_names = [c for c in out.column_names if c not in METRIC_COLUMNS]
    cols: dict[str, pa.Array | pa.ChunkedArray] = {
        c: out.column(c) for c in METRIC_COLUMNS[: METRIC_COLUMNS.index("sla_policy")]
    }
    cols.update(
        {
            "sla_policy": pa.array(policy_name, type=pa.string()),
            "response_target_s": _masked(resp_target),
            "response_elapsed_s": _masked(resp_el),
            "response_breached": bools(resp_br, ~np.isnan(resp_target)),
            "resolution_target_s": _masked(res_target),
            "resolution_elapsed_s": _masked(res_el),
            "paused_s": _masked(np.where(np.isnan(res_target), np.nan, paused)),
            "resolution_breached": bools(res_br, ~np.isnan(res_target)),
            "sla_breached": bools(any_breach, has_policy),
            "sla_late_s": _masked(late),
            "sla_status": pa.array(status, type=pa.string(), mask=~has_policy),
        }
    )
    cols.update({c: out.column(c) for c in attr_names})
    return pa.table(cols)
