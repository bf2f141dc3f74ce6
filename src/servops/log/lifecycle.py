"""Pair start and complete events into activity instances, in SQL.

Within a case and activity, ordered by time and file order, each ``complete`` takes the
oldest unmatched ``start`` (first in, first out, as PM4Py's interval conversion does); a
``complete`` with no open ``start`` is an instance without start time. The queue of open
starts is a reflected random walk: with ``S_i`` the running sum of +1 (start) and -1
(complete), the number of completes that found the queue empty up to event ``i`` is
``U_i = -min(0, min_{k<=i} S_k)`` (Lindley's recursion in closed form). So a complete is
unmatched exactly where ``S`` reaches a new minimum below zero, and the ``j``-th matched complete (``j = completes so
far - U_i``) pairs with the ``j``-th start. All of it is window functions: no Python loop,
and the same SQL runs on Spark.

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
    values and takes ``start_timestamp`` (and a missing resource) from its start. The
    windows run on narrow rows of the activities that have starts at all; the pairs are
    joined back to the full events by ``event_index``.
    """

    def pick(col: str) -> str:
        if col == "start_timestamp":
            return "coalesce(e.start_timestamp, p.start_ts) AS start_timestamp"
        if col == "resource":
            return "coalesce(e.resource, p.start_resource) AS resource"
        return "e." + '"' + col.replace('"', '""') + '"'

    keep = ", ".join(pick(c) for c in columns)
    window = (
        'PARTITION BY case_id, activity ORDER BY "timestamp", event_index '
        "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
    )
    return f"""
WITH lc AS (
  SELECT case_id, activity, "timestamp", event_index, resource,
    CASE WHEN lifecycle = 'start' THEN 1 ELSE -1 END AS d
  FROM {events}
  WHERE lifecycle IN ('start', 'complete')
    AND activity IN (SELECT DISTINCT activity FROM {events} WHERE lifecycle = 'start')
), walk AS (
  SELECT *,
    sum(d) OVER ({window}) AS s,
    sum(CASE WHEN d = 1 THEN 1 ELSE 0 END) OVER ({window}) AS n_start,
    sum(CASE WHEN d = -1 THEN 1 ELSE 0 END) OVER ({window}) AS n_complete
  FROM lc
), ranked AS (
  SELECT *,
    -least(0, min(s) OVER ({window})) AS unmatched,
    min(s) OVER (PARTITION BY case_id, activity ORDER BY "timestamp", event_index
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_min
  FROM walk
), starts AS (
  SELECT case_id, activity, "timestamp" AS start_ts, resource AS start_resource,
    n_start AS k
  FROM ranked WHERE d = 1
), completes AS (
  -- alone: the walk reaches a new minimum below zero (no open start to take)
  SELECT case_id, activity, event_index, n_complete - unmatched AS k,
    s < least(0, coalesce(prev_min, 0)) AS alone
  FROM ranked WHERE d = -1
), pairs AS (
  SELECT c.event_index, s.start_ts, s.start_resource
  FROM completes c
  JOIN starts s ON s.case_id = c.case_id AND s.activity = c.activity AND s.k = c.k
  WHERE NOT c.alone
)
SELECT {keep}
FROM {events} e LEFT JOIN pairs p ON p.event_index = e.event_index
WHERE e.lifecycle IS NULL OR e.lifecycle IN ('complete', 'unknown')
"""
