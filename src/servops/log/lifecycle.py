"""Pair start and complete events into activity instances, in SQL.

Within a case and activity, ordered by time and file order, each ``complete`` takes the
oldest unmatched ``start`` (first in, first out, as PM4Py's interval conversion does); a
``complete`` with no open ``start`` is an instance without start time. The queue of open
starts is a reflected random walk: with ``S_i`` the running sum of +1 (start) and -1
(complete), the number of completes that found the queue empty up to event ``i`` is
``U_i = -min(0, min_{k<=i} S_k)`` (Lindley's recursion in closed form). So a complete is
unmatched exactly where ``S`` reaches a new minimum below zero, and the ``j``-th matched
complete (``j = completes so far - U_i``) pairs with the ``j``-th start. All of it is
window functions: no Python loop, and the same SQL runs on Spark. Most groups never need
the walk (see :func:`pairing_sql`).

The pairing is stored in the events table itself: each paired complete event gets its
start's time as ``start_timestamp`` (and its start's resource if it has none), and the
instances are the complete (or atomic) events, a view with no copy. Starts never
completed, and other transitions (schedule, suspend, resume…), stay in the events table
and are not instances.
"""

from __future__ import annotations

from servops.log.engine import quote

__all__ = ["INSTANCE_LIFECYCLES", "instances_sql", "paired_events_sql", "pairing_sql"]

#: Lifecycle values that make a row an activity instance by itself.
INSTANCE_LIFECYCLES = ("complete", "unknown")


def instances_sql(events: str) -> str:
    """Instances of a log whose events need no pairing (atomic or complete-only)."""
    kinds = ", ".join(f"'{k}'" for k in INSTANCE_LIFECYCLES)
    return f"SELECT * FROM {events} WHERE lifecycle IS NULL OR lifecycle IN ({kinds})"


def pairing_sql(events: str) -> str:
    """An ``UPDATE`` storing the start of each complete event of ``events``, FIFO.

    A paired complete event gets ``start_timestamp`` (unless it has one already) and,
    if it has no resource, ``resource`` from its start; then :func:`instances_sql`
    yields the instances. Run once per log (a second run changes nothing).

    Fast path, one window over narrow rows (start and complete events of activities that
    have starts at all), ordered by time within each case and activity: a complete
    whose previous event is a start pairs with it, one with no start right before it is
    alone. That *is* FIFO in every group where no complete follows two starts in a row:
    there, each complete leaves the queue of open starts empty (by induction over the
    completes), so the open start, if any, is the event just before. The few groups
    where some complete follows two starts are re-paired by the walk of the module
    docstring. The pairs are applied to the events by ``event_index``.
    """
    return f"""
UPDATE {events} AS e SET
  start_timestamp = coalesce(e.start_timestamp, p.start_ts),
  resource = coalesce(e.resource, p.start_resource)
FROM ({_pairs_sql(events)}) AS p
WHERE e.event_index = p.event_index
"""


def paired_events_sql(events: str, columns: list[str]) -> str:
    """The events of ``events`` as :func:`pairing_sql` leaves them, as a ``SELECT``.

    For engines whose tables are not updated in place (Spark): the same pairs, joined
    to the events by ``event_index``. ``columns`` are the columns of ``events`` (the
    canonical ones first), each quoted as given.
    """
    fields = ", ".join(
        "coalesce(e.start_timestamp, p.start_ts) AS start_timestamp"
        if c == "start_timestamp"
        else "coalesce(e.resource, p.start_resource) AS resource"
        if c == "resource"
        else f"e.{quote(c)}"
        for c in columns
    )
    return f"""
SELECT {fields}
FROM {events} AS e LEFT JOIN ({_pairs_sql(events)}) AS p
  ON e.event_index = p.event_index
"""


def _pairs_sql(events: str) -> str:
    """``event_index, start_ts, start_resource`` of each paired complete event."""
    group = 'PARTITION BY case_id, activity ORDER BY "timestamp", event_index'
    running = f"{group} ROWS BETWEEN UNBOUNDED PRECEDING AND"
    same_group = "o.case_id = {t}.case_id AND o.activity = {t}.activity"
    return f"""
WITH seq AS (
  SELECT case_id, activity, event_index, lifecycle = 'start' AS is_start,
    lag(lifecycle = 'start') OVER ({group}) AS prev_start,
    lag(lifecycle = 'start', 2) OVER ({group}) AS prev2_start,
    lag("timestamp") OVER ({group}) AS prev_ts,
    lag(resource) OVER ({group}) AS prev_resource
  FROM {events}
  WHERE lifecycle IN ('start', 'complete')
    AND activity IN (SELECT DISTINCT activity FROM {events} WHERE lifecycle = 'start')
), odd AS (
  -- groups where a complete follows two starts: FIFO needs the walk there
  SELECT DISTINCT case_id, activity FROM seq
  WHERE NOT is_start AND prev_start AND prev2_start
), walk AS (
  SELECT case_id, activity, "timestamp", event_index, resource, lifecycle,
    sum(CASE WHEN lifecycle = 'start' THEN 1 ELSE -1 END) OVER (
      {running} CURRENT ROW) AS s,
    sum(CASE WHEN lifecycle = 'start' THEN 1 ELSE 0 END) OVER (
      {running} CURRENT ROW) AS n_start,
    sum(CASE WHEN lifecycle = 'complete' THEN 1 ELSE 0 END) OVER (
      {running} CURRENT ROW) AS n_complete
  FROM {events} l
  WHERE lifecycle IN ('start', 'complete')
    AND EXISTS (SELECT 1 FROM odd o WHERE {same_group.format(t="l")})
), ranked AS (
  SELECT *,
    -least(0, min(s) OVER ({running} CURRENT ROW)) AS unmatched,
    min(s) OVER ({running} 1 PRECEDING) AS prev_min
  FROM walk
), pairs AS (
  SELECT q.event_index, q.prev_ts AS start_ts, q.prev_resource AS start_resource
  FROM seq q
  WHERE NOT q.is_start AND q.prev_start
    AND NOT EXISTS (SELECT 1 FROM odd o WHERE {same_group.format(t="q")})
  UNION ALL
  -- a complete is alone where the walk reaches a new minimum below zero
  SELECT c.event_index, st."timestamp", st.resource
  FROM ranked c
  JOIN ranked st ON st.case_id = c.case_id AND st.activity = c.activity
    AND st.lifecycle = 'start' AND st.n_start = c.n_complete - c.unmatched
  WHERE c.lifecycle = 'complete' AND NOT (c.s < least(0, coalesce(c.prev_min, 0)))
)
SELECT * FROM pairs
"""
