"""Rework: activities repeated within a case, loops, and the time they cost.

An execution of an activity is *rework* when the same case already executed that
activity. A *self-loop* is rework right after the first execution (``a → a``); other
repeats come back after other work (a longer loop). The time a repeat costs is its
waiting plus service time (enablement to end; :mod:`servops.mining.timing`), which on
logs without start times is the whole gap since the previous event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from servops.log.engine import seconds_between
from servops.log.schema import enabled_column
from servops.mining._sequence import continue_with, timed_instances_sql

if TYPE_CHECKING:
    from servops.log import EventLog

__all__ = ["ActivityRework", "ReworkResult", "rework"]


@dataclass(frozen=True, slots=True)
class ActivityRework:
    """Rework of one activity: cases affected, extra executions and their time (s)."""

    activity: str
    cases: int
    cases_with_rework: int
    extra_executions: int
    self_loops: int
    rework_time_s: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "activity": self.activity,
            "cases": self.cases,
            "cases_with_rework": self.cases_with_rework,
            "extra_executions": self.extra_executions,
            "self_loops": self.self_loops,
            "rework_time_s": self.rework_time_s,
        }


@dataclass(frozen=True, slots=True)
class ReworkResult:
    """How much rework a log has, what it costs, and per activity.

    The shares are ``None`` when nothing was measured (no cases; no lead time).
    """

    cases: int
    cases_with_rework: int
    share_with_rework: float | None
    rework_time_s: float
    share_of_lead_time: float | None
    mean_duration_with_rework_s: float | None
    mean_duration_without_rework_s: float | None
    activities: tuple[ActivityRework, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "cases": self.cases,
            "cases_with_rework": self.cases_with_rework,
            "share_with_rework": self.share_with_rework,
            "rework_time_s": self.rework_time_s,
            "share_of_lead_time": self.share_of_lead_time,
            "mean_duration_with_rework_s": self.mean_duration_with_rework_s,
            "mean_duration_without_rework_s": self.mean_duration_without_rework_s,
            "activities": [a.to_dict() for a in self.activities],
        }


def rework(log: EventLog) -> ReworkResult:
    """Repeated activities per case, loops, and the time repeats cost.

    Parameters
    ----------
    log
        The event log.

    Returns
    -------
    ReworkResult
        Totals and one row per activity that is ever repeated, most rework time first.

    Examples
    --------
    >>> r = so.mining.rework(tiny_log)
    >>> r.cases_with_rework, r.activities
    (0, ())
    """
    timed = timed_instances_sql(
        has_start=log.has_start_times, enabled=enabled_column(log.attributes)
    )
    gap = seconds_between("enabled_ts", "end_ts")
    base = f"""
        WITH t AS ({timed}),
        r AS (
          SELECT case_id, activity, end_ts, start_ts, {gap} AS cost_s,
            row_number() OVER (PARTITION BY case_id, activity ORDER BY pos)
              AS occurrence,
            lag(activity) OVER (PARTITION BY case_id ORDER BY pos) AS prev_activity
          FROM t
        )
    """
    rows = log.fetchall(
        continue_with(
            base
            + """
        SELECT activity, count(DISTINCT case_id),
          count(DISTINCT CASE WHEN occurrence > 1 THEN case_id END),
          sum(CASE WHEN occurrence > 1 THEN 1 ELSE 0 END),
          sum(CASE WHEN occurrence > 1 AND prev_activity = activity THEN 1 ELSE 0 END),
          coalesce(sum(CASE WHEN occurrence > 1 THEN cost_s END), 0)
        FROM r GROUP BY activity
        HAVING sum(CASE WHEN occurrence > 1 THEN 1 ELSE 0 END) > 0
        ORDER BY 6 DESC, 4 DESC, 1
        """
        )
    )
    lead = seconds_between("min(start_ts)", "max(end_ts)")
    tot = log.fetchone(
        continue_with(
            base
            + f"""
        , c AS (
          SELECT case_id, max(occurrence) > 1 AS rw, {lead} AS lead_s,
            coalesce(sum(CASE WHEN occurrence > 1 THEN cost_s END), 0) AS cost_s
          FROM r GROUP BY case_id
        )
        SELECT count(*), sum(CASE WHEN rw THEN 1 ELSE 0 END), sum(cost_s), sum(lead_s),
          avg(CASE WHEN rw THEN lead_s END), avg(CASE WHEN NOT rw THEN lead_s END)
        FROM c
        """
        )
    )
    cases = int(tot[0])
    with_rw = int(tot[1] or 0)
    cost = float(tot[2] or 0.0)
    lead_total = float(tot[3] or 0.0)
    return ReworkResult(
        cases=cases,
        cases_with_rework=with_rw,
        share_with_rework=with_rw / cases if cases else None,
        rework_time_s=cost,
        share_of_lead_time=cost / lead_total if lead_total > 0 else None,
        mean_duration_with_rework_s=None if tot[4] is None else float(tot[4]),
        mean_duration_without_rework_s=None if tot[5] is None else float(tot[5]),
        activities=tuple(
            ActivityRework(str(a), int(c), int(cr), int(x), int(sl), float(t))
            for a, c, cr, x, sl, t in rows
        ),
    )
