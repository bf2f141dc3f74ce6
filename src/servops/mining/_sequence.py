"""The order of activity instances within a case, and per-instance timing, as SQL.

Process mining orders a case's activity instances by start time, then end time, then
file order: ``coalesce(start_timestamp, timestamp), timestamp, event_index``. On logs
without start times this is the canonical order of :mod:`servops.log.schema` (end time,
then file order), which is also what PM4Py does (``format_dataframe`` sorts by case,
timestamp and row index; its DFG then sorts stably by start and end time).

Per-instance timing (:func:`timed_instances_sql`) gives each instance an *enablement*
time, a *start* and an *end*:

* where the log records enablement (the optional ``enabled_timestamp`` column of
  :mod:`servops.log.schema`: simulated logs, Prosimos/Simod logs), an instance that has
  it is enabled then, and the case arrives at its earliest enablement: the queue before
  a case's first activity is waiting like any other;
* otherwise, with start times, enablement is the latest end, among the case's other
  instances ordered before it, that is not after its start (so parallel branches and
  joins are handled), or the case arrival (its first start); waiting = start −
  enablement and service = end − start, both measured;
* without start times, enablement is the end of the previous instance and the start is
  *estimated* as the later of enablement and the moment the same resource finished its
  previous work (in any case) — the "resource availability" heuristic of Martin, Depaire
  & Caris (2016) and Chapela-Campa & Dumas (2022). Instances without a resource get
  their enablement as start (all of the gap counts as service).

Everything is window functions and joins: no per-case loop.
"""

from __future__ import annotations

from servops.log.engine import seconds_between
from servops.log.schema import INSTANCE_ORDER, case_begin

__all__ = [
    "ORDER",
    "continue_with",
    "customer_waits_sql",
    "mostly_customer",
    "sequence_sql",
    "timed_instances_sql",
]

_ENABLED = "coalesce(i.rec_enabled, en.before_end, i.arrival)"

#: Order of activity instances within a case (:data:`servops.log.schema.INSTANCE_ORDER`).
ORDER = INSTANCE_ORDER


def continue_with(sql: str) -> str:
    """Turn ``WITH a AS (…) SELECT …`` into ``, a AS (…) SELECT …``.

    :meth:`servops.EventLog.query` already opens a ``WITH`` clause (binding ``events``
    and ``instances``); an analysis's own common table expressions continue it.
    """
    body = sql.lstrip()
    if body[:4].upper() != "WITH":
        msg = f"expected SQL starting with WITH; got {body[:40]!r}"
        raise ValueError(msg)
    return ", " + body[4:]


def sequence_sql() -> str:
    """Instances with their position and successor within the case.

    Columns: ``case_id, activity, resource, start_ts`` (start or end), ``end_ts``,
    ``pos`` (1-based), ``next_activity``, ``next_start`` (start, else end, of the
    successor).
    """
    return f"""
SELECT case_id, activity, resource,
  coalesce(start_timestamp, "timestamp") AS start_ts,
  "timestamp" AS end_ts,
  row_number() OVER w AS pos,
  lead(activity) OVER w AS next_activity,
  lead(coalesce(start_timestamp, "timestamp")) OVER w AS next_start
FROM instances
WINDOW w AS (PARTITION BY case_id ORDER BY {ORDER})
"""


def timed_instances_sql(*, has_start: bool, enabled: str | None = None) -> str:
    """Instances with enablement, (estimated) start, waiting and service seconds.

    Columns: ``case_id, activity, resource, pos, enabled_ts, start_ts, end_ts,
    waiting_s, service_s, start_known`` (whether ``start_ts`` is recorded rather than
    estimated). ``enabled`` is the log's quoted enablement column, if it has one
    (:func:`servops.log.schema.enabled_column`). Read the module docstring for the
    definitions.
    """
    rec_enabled = enabled or "CAST(NULL AS TIMESTAMPTZ)"
    if has_start:
        return f"""
WITH inst AS (
  SELECT case_id, activity, resource, start_timestamp AS rec_start,
    "timestamp" AS end_ts,
    coalesce(start_timestamp, "timestamp") AS st,
    CASE WHEN {rec_enabled} IS NOT NULL
      THEN least({rec_enabled}, coalesce(start_timestamp, "timestamp")) END
      AS rec_enabled,
    min({case_begin(enabled)}) OVER (PARTITION BY case_id) AS arrival,
    row_number() OVER (PARTITION BY case_id ORDER BY {ORDER}) AS pos
  FROM instances
), points AS (
  SELECT case_id, pos, st AS t, 0 AS kind, CAST(NULL AS TIMESTAMPTZ) AS e FROM inst
  UNION ALL
  SELECT case_id, pos, end_ts AS t, 1 AS kind, end_ts AS e FROM inst
), running AS (
  SELECT case_id, pos, kind,
    max(e) OVER (PARTITION BY case_id ORDER BY t, pos, kind
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before_end
  FROM points
), enabled AS (
  SELECT case_id, pos, before_end FROM running WHERE kind = 0
)
SELECT i.case_id, i.activity, i.resource, i.pos,
  {_ENABLED} AS enabled_ts,
  i.st AS start_ts, i.end_ts,
  greatest({seconds_between(_ENABLED, "i.st")}, 0) AS waiting_s,
  CASE WHEN i.rec_start IS NULL THEN NULL
       ELSE greatest({seconds_between("i.rec_start", "i.end_ts")}, 0) END AS service_s,
  i.rec_start IS NOT NULL AS start_known
FROM inst i JOIN enabled en ON en.case_id = i.case_id AND en.pos = i.pos
"""
    return f"""
WITH inst AS (
  SELECT case_id, activity, resource, "timestamp" AS end_ts,
    row_number() OVER (PARTITION BY case_id ORDER BY {ORDER}) AS pos,
    least(coalesce({rec_enabled},
      lag("timestamp") OVER (PARTITION BY case_id ORDER BY {ORDER}), "timestamp"),
      "timestamp") AS enabled_ts,
    lag("timestamp") OVER (PARTITION BY resource ORDER BY "timestamp", event_index)
      AS resource_free
  FROM instances
), est AS (
  SELECT *,
    least(end_ts, greatest(enabled_ts,
      CASE WHEN resource IS NULL THEN enabled_ts
           ELSE coalesce(resource_free, enabled_ts) END)) AS start_ts
  FROM inst
)
SELECT case_id, activity, resource, pos, enabled_ts, start_ts, end_ts,
  {seconds_between("enabled_ts", "start_ts")} AS waiting_s,
  {seconds_between("start_ts", "end_ts")} AS service_s,
  false AS start_known
FROM est
"""


def customer_waits_sql(timed: str, customer: str) -> str:
    """``WITH t0 AS (…), t AS (…)``: timed instances and whose wait each one is.

    ``timed`` is :func:`timed_instances_sql`; ``customer`` an SQL condition on
    ``activity`` and ``prev_activity`` that holds where the wait before an instance is
    the customer's (:meth:`servops.mining.CustomerSide.sql`, or ``false``). ``t`` adds
    ``prev_activity``, ``occurrence`` (of the activity in its case) and ``cust``. The
    one labelling of customer-side waiting: bottlenecks, the value stream and activity
    times all use it.
    """
    return f"""
        WITH t0 AS ({timed}),
        t AS (
          SELECT *, {customer} AS cust FROM (
            SELECT *, lag(activity) OVER (PARTITION BY case_id ORDER BY pos)
              AS prev_activity,
              row_number() OVER (PARTITION BY case_id, activity ORDER BY pos)
              AS occurrence
            FROM t0))"""


def mostly_customer(customer_s: float, waiting_s: float | None) -> bool:
    """Whether most of the waiting before an activity is the customer's (over half)."""
    return waiting_s is not None and customer_s > 0.5 * waiting_s
