"""Where the time goes: case durations, and service versus waiting time per activity.

For each activity instance (definitions in :mod:`servops.mining._sequence`)::

    waiting = start − enablement     service = end − start

where enablement is the end of the work before it in the case (or the case arrival),
or the instance's recorded enablement where the log has one (the optional
``enabled_timestamp`` column: simulated and Prosimos/Simod logs; a case then begins at
its earliest enablement, its arrival). With recorded start times both are measured.
Without them, a log cannot tell waiting from working: every gap between two events is
both. :func:`activity_times` then says so (``time_basis == "estimated"``) and estimates the start as the later of enablement and
the moment the same resource finished its previous work.

Given a :class:`~servops.mining.CustomerSide` (the KPI config's:
:meth:`servops.kpi.KpiConfig.customer_side`), :func:`activity_times` labels the waiting
that is the customer's exactly as :func:`servops.mining.bottlenecks` does (the wait
before "Closed" is the auto-close window, not the team's queue) and ranks activities by
the team's waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from servops.log.engine import quantile, seconds_between
from servops.log.schema import case_arrival, enabled_column
from servops.mining._sequence import (
    continue_with,
    customer_waits_sql,
    mostly_customer,
    timed_instances_sql,
)

if TYPE_CHECKING:
    import pyarrow as pa

    from servops.log import EventLog
    from servops.mining.bottlenecks import CustomerSide

__all__ = [
    "ActivityTime",
    "ActivityTimesResult",
    "DurationSummary",
    "activity_times",
    "case_durations",
    "duration_summary",
]

TimeBasis = Literal["measured", "estimated"]

ESTIMATE_NOTE = (
    "This log has no start times, so waiting and service time cannot be measured. "
    "The figures are ESTIMATES: an activity is assumed to start when both the case was "
    "ready for it and its resource had finished its previous work."
)
ESTIMATE_NOTE_ZH = (
    "此日志没有开始时间，无法测量等待时间与服务时间。以下数字为估算：假定活动在案例就绪且"
    "其资源完成上一项工作后开始。"
)


@dataclass(frozen=True, slots=True)
class DurationSummary:
    """Summary statistics of durations in seconds."""

    count: int
    mean_s: float | None
    median_s: float | None
    min_s: float | None
    max_s: float | None
    p90_s: float | None
    total_s: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "count": self.count,
            "mean_s": self.mean_s,
            "median_s": self.median_s,
            "min_s": self.min_s,
            "max_s": self.max_s,
            "p90_s": self.p90_s,
            "total_s": self.total_s,
        }


@dataclass(frozen=True, slots=True)
class ActivityTime:
    """Frequency, reach and time profile of one activity (times in seconds).

    ``customer_wait_total_s`` is the part of ``waiting_total_s`` on the customer's side
    (0 without a :class:`~servops.mining.CustomerSide`); ``team_wait_total_s`` the rest.
    """

    activity: str
    frequency: int
    cases: int
    resources: int
    service_mean_s: float | None
    service_median_s: float | None
    service_total_s: float | None
    waiting_mean_s: float | None
    waiting_median_s: float | None
    waiting_total_s: float | None
    customer_wait_total_s: float = 0.0

    @property
    def team_wait_total_s(self) -> float | None:
        """Waiting before the activity that is the team's (not the customer's)."""
        if self.waiting_total_s is None:
            return None
        return self.waiting_total_s - self.customer_wait_total_s

    @property
    def customer_side(self) -> bool:
        """Whether most of the waiting before the activity is the customer's."""
        return mostly_customer(self.customer_wait_total_s, self.waiting_total_s)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "activity": self.activity,
            "frequency": self.frequency,
            "cases": self.cases,
            "resources": self.resources,
            "service_mean_s": self.service_mean_s,
            "service_median_s": self.service_median_s,
            "service_total_s": self.service_total_s,
            "waiting_mean_s": self.waiting_mean_s,
            "waiting_median_s": self.waiting_median_s,
            "waiting_total_s": self.waiting_total_s,
            "team_wait_total_s": self.team_wait_total_s,
            "customer_wait_total_s": self.customer_wait_total_s,
            "customer_side": self.customer_side,
        }


@dataclass(frozen=True, slots=True)
class ActivityTimesResult:
    """Per-activity times and case durations, with how the times were obtained.

    ``time_basis`` is ``"measured"`` when the log records start times and
    ``"estimated"`` otherwise (then ``note`` says what the estimate assumes). With a
    ``customer_side``, activities are ranked by the team's waiting.
    """

    activities: tuple[ActivityTime, ...]
    case_duration: DurationSummary
    has_start_times: bool
    time_basis: TimeBasis
    note: str
    customer_side: CustomerSide | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "has_start_times": self.has_start_times,
            "time_basis": self.time_basis,
            "note": self.note,
            "customer_side": None
            if self.customer_side is None
            else self.customer_side.to_dict(),
            "case_duration": self.case_duration.to_dict(),
            "activities": [a.to_dict() for a in self.activities],
        }


def _f(v: object) -> float | None:
    return None if v is None else float(v)  # type: ignore[arg-type]


def case_durations(log: EventLog) -> pa.Table:
    """One row per case: ``case_id, start, end, duration_s, instances``.

    Examples
    --------
    >>> t = so.mining.case_durations(tiny_log)
    >>> t.column("duration_s").to_pylist()[:2]
    [7200.0, 18000.0]
    """
    arrival = case_arrival(log.attributes)
    dur = seconds_between(arrival, 'max("timestamp")')
    return log.query(
        f"""
        SELECT case_id, {arrival} AS start,
          max("timestamp") AS "end", {dur} AS duration_s, count(*) AS instances
        FROM instances GROUP BY case_id ORDER BY case_id
        """
    ).to_arrow_table()


def duration_summary(log: EventLog) -> DurationSummary:
    """Summary of case durations (arrival, or first start, to last end), in seconds.

    Examples
    --------
    >>> s = so.mining.duration_summary(tiny_log)
    >>> s.count, s.median_s
    (5, 5400.0)
    """
    dur = seconds_between(case_arrival(log.attributes), 'max("timestamp")')
    row = log.fetchone(
        f"""
        SELECT count(*), avg(d), {quantile("d", 0.5)}, min(d), max(d),
          {quantile("d", 0.9)}, sum(d)
        FROM (SELECT {dur} AS d FROM instances GROUP BY case_id)
        """
    )
    return DurationSummary(int(row[0]), *(_f(v) for v in row[1:]))


def activity_times(
    log: EventLog, *, customer_side: CustomerSide | None = None
) -> ActivityTimesResult:
    """Per activity: frequency, cases, resources, service and waiting time.

    Parameters
    ----------
    log
        The event log. With start times (``log.has_start_times``) times are measured;
        without, they are estimated and marked so.
    customer_side
        Which waits are the customer's (as for :func:`servops.mining.bottlenecks`;
        the KPI config gives one: :meth:`servops.kpi.KpiConfig.customer_side`);
        ``None``: all waiting counts as the team's.

    Returns
    -------
    ActivityTimesResult
        Activities sorted by the team's total waiting time (all of the waiting without
        ``customer_side``; descending), and case durations.

    Examples
    --------
    >>> r = so.mining.activity_times(tiny_log)
    >>> r.time_basis
    'estimated'
    >>> close = next(a for a in r.activities if a.activity == "Close")
    >>> close.frequency, close.cases, close.resources
    (4, 4, 1)
    """
    has_start = log.has_start_times
    timed = timed_instances_sql(
        has_start=has_start, enabled=enabled_column(log.attributes)
    )
    side = customer_side if customer_side else None
    cust = side.sql() if side is not None else "false"
    rows = log.fetchall(
        continue_with(
            f"""{customer_waits_sql(timed, cust)}
        SELECT activity, count(*), count(DISTINCT case_id), count(DISTINCT resource),
          avg(service_s), {quantile("service_s", 0.5)}, sum(service_s),
          avg(waiting_s), {quantile("waiting_s", 0.5)}, sum(waiting_s),
          coalesce(sum(CASE WHEN cust THEN waiting_s END), 0) AS cust_s
        FROM t GROUP BY activity
        ORDER BY sum(waiting_s) - cust_s DESC NULLS LAST,
          sum(waiting_s) DESC NULLS LAST, count(*) DESC, activity
        """
        )
    )
    acts = tuple(
        ActivityTime(
            activity=str(r[0]),
            frequency=int(r[1]),
            cases=int(r[2]),
            resources=int(r[3]),
            service_mean_s=_f(r[4]),
            service_median_s=_f(r[5]),
            service_total_s=_f(r[6]),
            waiting_mean_s=_f(r[7]),
            waiting_median_s=_f(r[8]),
            waiting_total_s=_f(r[9]),
            customer_wait_total_s=float(r[10]),
        )
        for r in rows
    )
    return ActivityTimesResult(
        activities=acts,
        case_duration=duration_summary(log),
        has_start_times=has_start,
        time_basis="measured" if has_start else "estimated",
        note="" if has_start else ESTIMATE_NOTE,
        customer_side=side,
    )
