"""Pair start and complete events into activity instances, in SQL.

Within a case and activity, ordered by time and file order, each ``complete`` takes the
oldest unmatched ``start`` (first in, first out, as PM4Py's interval conversion does); a
``complete`` with no open ``start`` is an instance without start time. The queue of open
starts is a reflected random walk: with ``S_i`` the running sum of +1 (start) and -1
(complete), the number of completes that found the queue empty up to event ``i`` is
``U_i = -min(0, min_{k<=i} S_k)`` (Lindley's recursion in closed form). So a complete is
unmatched exactly where ``S`` reaches a new minimum below zero, and the ``j``-th matched complete (``j = completes so
far - U_i``) pairs with the ``j``-th start. All of it is window functions: no Python loop,
and the same SQL runs on Spark. Most groups never need the walk (see
:func:`paired_instances_sql`).

Starts never completed, and other transitions (schedule, suspend, resume…), stay in the
events table and are not instances.
"""

from __future__ import annotations

__all__ = ["INSTANCE_LIFECYCLES", "instances_sql", "paired_instances_sql"]

#: Lifecycle values that make a row an activity instance by itself.
INSTANCE_LIFECYCLES = ("complete", "unknown")


def instances_sql(events: str) -> str:
    """Instances of a log whose events need no pairing (atomic or complete-only)."""
    return (
        f"SELECT * FROM {events} WHERE lifecycle IS NULL "
        f"OR lifecycle IN ('complete', 'unknown')"
    )


def paired_instances_sql(events: str, columns: list[str]) -> str:
    """Instances of a log with start and complete events, paired first in, first out.

    ``columns`` are all columns of ``events``; the instance keeps the complete event's
    values and takes ``start_timestamp`` (and a missing resource) from its start.

    Fast path: number starts and completes separately within each case and activity and
    pair the k-th start with the k-th complete. That *is* FIFO whenever every such pair
    has its start before its complete (then no complete ever finds the queue empty before
    the starts run out); groups where some pair is inverted are re-paired by the walk of
    the module docstring. The windows run on narrow rows of activities that have starts
    at all; the pairs are joined back to the full events by ``event_index``.
    """

    def pick(col: str) -> str:
        if col == "start_timestamp":
            return "coalesce(e.start_timestamp, p.start_ts) AS start_timestamp"
        if col == "resource":
            return "coalesce(e.resource, p.start_resource) AS resource"
        return "e." + '"' + col.replace('"', '""') + '"'

    keep = ", ".join(pick(c) for c in columns)
    order = 'ORDER BY "timestamp", event_index'
    running = (
        f"PARTITION BY case_id, activity {order} ROWS BETWEEN UNBOUNDED PRECEDING AND"
    )
    return f"""
WITH lc AS (
  SELECT case_id, activity, "timestamp", event_index, resource, lifecycle
  FROM {events}
  WHERE lifecycle IN ('start', 'complete')
    AND activity IN (SELECT DISTINCT activity FROM {events} WHERE lifecycle = 'start')
), numbered AS (
  SELECT *, row_number() OVER (PARTITION BY case_id, activity, lifecycle {order}) AS k
  FROM lc
), by_rank AS (
  SELECT c.case_id, c.activity, c.event_index, s."timestamp" AS start_ts,
    s.resource AS start_resource,
    s."timestamp" > c."timestamp"
      OR (s."timestamp" = c."timestamp" AND s.event_index > c.event_index) AS inverted
  FROM numbered c
  JOIN numbered s ON s.case_id = c.case_id AND s.activity = c.activity AND s.k = c.k
    AND s.lifecycle = 'start'
  WHERE c.lifecycle = 'complete'
), irregular AS (
  SELECT DISTINCT case_id, activity FROM by_rank WHERE inverted
), walk_in AS (
  SELECT l.* FROM lc l WHERE EXISTS (
    SELECT 1 FROM irregular i WHERE i.case_id = l.case_id AND i.activity = l.activity)
), walk AS (
  SELECT *,
    sum(CASE WHEN lifecycle = 'start' THEN 1 ELSE -1 END) OVER (
      {running} CURRENT ROW) AS s,
    sum(CASE WHEN lifecycle = 'start' THEN 1 ELSE 0 END) OVER (
      {running} CURRENT ROW) AS n_start,
    sum(CASE WHEN lifecycle = 'complete' THEN 1 ELSE 0 END) OVER (
      {running} CURRENT ROW) AS n_complete
  FROM walk_in
), ranked AS (
  SELECT *,
    -least(0, min(s) OVER ({running} CURRENT ROW)) AS unmatched,
    min(s) OVER ({running} 1 PRECEDING) AS prev_min
  FROM walk
), walk_pairs AS (
  -- a complete is alone where the walk reaches a new minimum below zero
  SELECT c.event_index, st."timestamp" AS start_ts, st.resource AS start_resource
  FROM ranked c
  JOIN ranked st ON st.case_id = c.case_id AND st.activity = c.activity
    AND st.lifecycle = 'start' AND st.n_start = c.n_complete - c.unmatched
  WHERE c.lifecycle = 'complete' AND NOT (c.s < least(0, coalesce(c.prev_min, 0)))
), pairs AS (
  SELECT p.event_index, p.start_ts, p.start_resource
  FROM by_rank p
  WHERE NOT EXISTS (
    SELECT 1 FROM irregular i WHERE i.case_id = p.case_id AND i.activity = p.activity)
  UNION ALL
  SELECT event_index, start_ts, start_resource FROM walk_pairs
)
SELECT {keep}
FROM {events} e LEFT JOIN pairs p ON p.event_index = e.event_index
WHERE e.lifecycle IS NULL OR e.lifecycle IN ('complete', 'unknown')
"""
