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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from servops.log.engine import quantile, seconds_between
from servops.log.schema import case_begin, enabled_column
from servops.mining._sequence import continue_with, timed_instances_sql

if TYPE_CHECKING:
    import pyarrow as pa

    from servops.log import EventLog

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
    """Frequency, reach and time profile of one activity (times in seconds)."""

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
        }


@dataclass(frozen=True, slots=True)
class ActivityTimesResult:
    """Per-activity times and case durations, with how the times were obtained.

    ``time_basis`` is ``"measured"`` when the log records start times and
    ``"estimated"`` otherwise (then ``note`` says what the estimate assumes).
    """

    activities: tuple[ActivityTime, ...]
    case_duration: DurationSummary
    has_start_times: bool
    time_basis: TimeBasis
    note: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "has_start_times": self.has_start_times,
            "time_basis": self.time_basis,
            "note": self.note,
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
    begin = case_begin(enabled_column(log.attributes))
    dur = seconds_between(
        f"min({begin})",
        'max("timestamp")',
    )
    return log.query(
        f"""
        SELECT case_id, min({begin}) AS start,
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
    begin = case_begin(enabled_column(log.attributes))
    dur = seconds_between(
        f"min({begin})",
        'max("timestamp")',
    )
    row = log.fetchone(
        f"""
        SELECT count(*), avg(d), {quantile("d", 0.5)}, min(d), max(d),
          {quantile("d", 0.9)}, sum(d)
        FROM (SELECT {dur} AS d FROM instances GROUP BY case_id)
        """
    )
    return DurationSummary(int(row[0]), *(_f(v) for v in row[1:]))


def activity_times(log: EventLog) -> ActivityTimesResult:
    """Per activity: frequency, cases, resources, service and waiting time.

    Parameters
    ----------
    log
        The event log. With start times (``log.has_start_times``) times are measured;
        without, they are estimated and marked so.

    Returns
    -------
    ActivityTimesResult
        Activities sorted by total waiting time (descending), and case durations.

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
    rows = log.fetchall(
        continue_with(
            f"""
        WITH t AS ({timed})
        SELECT activity, count(*), count(DISTINCT case_id), count(DISTINCT resource),
          avg(service_s), {quantile("service_s", 0.5)}, sum(service_s),
          avg(waiting_s), {quantile("waiting_s", 0.5)}, sum(waiting_s)
        FROM t GROUP BY activity
        ORDER BY sum(waiting_s) DESC NULLS LAST, count(*) DESC, activity
        """
        )
    )
    acts = tuple(
        ActivityTime(
            str(r[0]), int(r[1]), int(r[2]), int(r[3]), *(_f(v) for v in r[4:])
        )
        for r in rows
    )
    return ActivityTimesResult(
        activities=acts,
        case_duration=duration_summary(log),
        has_start_times=has_start,
        time_basis="measured" if has_start else "estimated",
        note="" if has_start else ESTIMATE_NOTE,
    )
