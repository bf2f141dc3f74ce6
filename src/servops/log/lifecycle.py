"""Pair start and complete events into activity instances, in SQL.

Within a case and activity, ordered by time and file order, each ``complete`` takes the
oldest unmatched ``start`` (first in, first out, as PM4Py's interval conversion does); a
``complete`` with no open ``start`` is an instance without start time. The queue of open
starts is a reflected random walk: with ``S_i`` the running sum of +1 (start) and -1
(complete), the number of completes that found the queue empty up to event ``i`` is
``U_i = -min(0, min_{k<=i} S_k)`` (Lindley's recursion in closed form). So a complete is
unmatched exactly where ``U`` grows, and the ``j``-th matched complete (``j = completes so
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
    values and takes ``start_timestamp`` (and a missing resource) from its start.
    """
    def pick(col: str) -> str:
        q = '"' + col.replace('"', '""') + '"'
        if col == "start_timestamp":
            return 'coalesce(c.start_timestamp, s."timestamp") AS start_timestamp'
        if col == "resource":
            return "coalesce(c.resource, s.resource) AS resource"
        return f"c.{q}"

    keep = ", ".join(pick(c) for c in columns)
    return f"""
WITH lc AS (
  SELECT *,
    CASE WHEN lifecycle = 'start' THEN 1 ELSE -1 END AS __d
  FROM {events} WHERE lifecycle IN ('start', 'complete')
), walk AS (
  SELECT *,
    sum(__d) OVER w AS __s,
    sum(CASE WHEN __d = 1 THEN 1 ELSE 0 END) OVER w AS __n_start,
    sum(CASE WHEN __d = -1 THEN 1 ELSE 0 END) OVER w AS __n_complete
  FROM lc
  WINDOW w AS (PARTITION BY case_id, activity ORDER BY "timestamp", event_index
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
), ranked AS (
  SELECT *,
    -least(0, min(__s) OVER w) AS __unmatched
  FROM walk
  WINDOW w AS (PARTITION BY case_id, activity ORDER BY "timestamp", event_index
               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
), starts AS (
  SELECT case_id, activity, "timestamp", resource, __n_start AS __k
  FROM ranked WHERE __d = 1
), completes AS (
  SELECT *, __n_complete - __unmatched AS __k,
    __unmatched > coalesce(lag(__unmatched) OVER (
      PARTITION BY case_id, activity ORDER BY "timestamp", event_index), 0) AS __alone
  FROM ranked WHERE __d = -1
)
SELECT {keep}
FROM completes c
LEFT JOIN starts s
  ON s.case_id = c.case_id AND s.activity = c.activity AND s.__k = c.__k AND NOT c.__alone
UNION ALL BY NAME
SELECT * FROM {events} WHERE lifecycle IS NULL OR lifecycle = 'unknown'
"""
