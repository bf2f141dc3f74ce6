"""Bottlenecks and value stream: where waiting piles up, and how lean the process is.

Activities are ranked by the waiting time they add, ``frequency × mean wait`` (the total
wait before them), and transitions by ``frequency × mean transition time``; each also as
a share of the total lead time of all cases.

Value-stream figures per case (then averaged):

* lead time: first start (or event) to last end;
* processing time: sum of the service times of its activity instances;
* waiting time: sum of their waiting times;
* process cycle efficiency (PCE) = value-adding time / lead time (Womack & Jones, *Lean
  Thinking*; George, *Lean Six Sigma for Service*, 2003), where value-adding time is the
  processing time of the activities named as value-adding (all of them by default).

Processing time can exceed lead time when work runs in parallel; without start times all
of these are estimates (see :mod:`servops.mining.timing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from servops._validation import check_interval
from servops.errors import InvalidParameterError
from servops.log.engine import seconds_between
from servops.log.schema import enabled_column
from servops.mining._sequence import continue_with, timed_instances_sql
from servops.mining.dfg import discover_dfg
from servops.mining.timing import ESTIMATE_NOTE, TimeBasis

if TYPE_CHECKING:
    from collections.abc import Sequence

    from servops.log import EventLog

__all__ = [
    "ActivityBottleneck",
    "BottlenecksResult",
    "TransitionBottleneck",
    "ValueStream",
    "bottlenecks",
]


@dataclass(frozen=True, slots=True)
class ActivityBottleneck:
    """Waiting added before an activity (seconds), and its share of all lead time."""

    activity: str
    frequency: int
    waiting_mean_s: float
    waiting_total_s: float
    share_of_lead_time: float
    service_total_s: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "activity": self.activity,
            "frequency": self.frequency,
            "waiting_mean_s": self.waiting_mean_s,
            "waiting_total_s": self.waiting_total_s,
            "share_of_lead_time": self.share_of_lead_time,
            "service_total_s": self.service_total_s,
        }


@dataclass(frozen=True, slots=True)
class TransitionBottleneck:
    """Time spent on a directly-follows transition (s) and its share of lead time."""

    source: str
    target: str
    frequency: int
    mean_s: float
    total_s: float
    share_of_lead_time: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "source": self.source,
            "target": self.target,
            "frequency": self.frequency,
            "mean_s": self.mean_s,
            "total_s": self.total_s,
            "share_of_lead_time": self.share_of_lead_time,
        }


@dataclass(frozen=True, slots=True)
class ValueStream:
    """Mean lead, processing, waiting and value-adding time per case, and the PCE."""

    cases: int
    lead_time_mean_s: float
    processing_time_mean_s: float
    waiting_time_mean_s: float
    value_adding_time_mean_s: float
    pce: float | None
    value_adding: tuple[str, ...] | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``value_adding`` is null when every activity counts)."""
        return {
            "cases": self.cases,
            "lead_time_mean_s": self.lead_time_mean_s,
            "processing_time_mean_s": self.processing_time_mean_s,
            "waiting_time_mean_s": self.waiting_time_mean_s,
            "value_adding_time_mean_s": self.value_adding_time_mean_s,
            "pce": self.pce,
            "value_adding": list(self.value_adding) if self.value_adding else None,
        }


@dataclass(frozen=True, slots=True)
class BottlenecksResult:
    """Activities and transitions ranked by time added, and the value stream."""

    activities: tuple[ActivityBottleneck, ...]
    transitions: tuple[TransitionBottleneck, ...]
    value_stream: ValueStream
    time_basis: TimeBasis
    note: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "time_basis": self.time_basis,
            "note": self.note,
            "value_stream": self.value_stream.to_dict(),
            "activities": [a.to_dict() for a in self.activities],
            "transitions": [t.to_dict() for t in self.transitions],
        }


def _literal_list(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def bottlenecks(
    log: EventLog,
    *,
    value_adding: Sequence[str] | None = None,
    top: int | None = None,
) -> BottlenecksResult:
    """Rank activities and transitions by the time they add; value-stream figures.

    Parameters
    ----------
    log
        The event log.
    value_adding
        Activities whose processing time adds value (for the PCE); all when ``None``.
    top
        Keep only the ``top`` activities and transitions of each ranking.

    Returns
    -------
    BottlenecksResult

    Raises
    ------
    InvalidParameterError
        A value-adding activity does not occur in the log.

    Examples
    --------
    >>> b = so.mining.bottlenecks(tiny_log)
    >>> t = b.transitions[0]
    >>> (t.source, t.target, t.total_s)
    ('Escalate', 'Resolve', 10800.0)
    >>> b.value_stream.lead_time_mean_s
    7380.0
    """
    if top is not None:
        check_interval(top, "top", "bottlenecks", low=1, closed="left")
    has_start = log.has_start_times
    known = {str(r[0]) for r in log.fetchall("SELECT DISTINCT activity FROM instances")}
    if value_adding is not None:
        unknown = sorted(set(value_adding) - known)
        if unknown:
            msg = (
                f"value-adding activities must occur in the log; {unknown} do not. "
                f"Activities: {sorted(known)[:30]}"
            )
            raise InvalidParameterError(msg)
    va = (
        f"activity IN ({_literal_list(list(value_adding))})" if value_adding else "true"
    )
    lead = seconds_between("min(least(enabled_ts, start_ts))", "max(end_ts)")
    timed = timed_instances_sql(
        has_start=has_start, enabled=enabled_column(log.attributes)
    )
    vs = log.fetchone(
        continue_with(
            f"""
        WITH t AS ({timed}),
        c AS (
          SELECT case_id, {lead} AS lead_s, coalesce(sum(service_s), 0) AS proc_s,
            coalesce(sum(waiting_s), 0) AS wait_s,
            coalesce(sum(CASE WHEN {va} THEN service_s ELSE 0 END), 0) AS va_s
          FROM t GROUP BY case_id
        )
        SELECT count(*), avg(lead_s), avg(proc_s), avg(wait_s), avg(va_s), sum(lead_s)
        FROM c
        """
        )
    )
    n_cases = int(vs[0])
    total_lead = float(vs[5] or 0.0)
    lead_mean = float(vs[1] or 0.0)
    value_stream = ValueStream(
        cases=n_cases,
        lead_time_mean_s=lead_mean,
        processing_time_mean_s=float(vs[2] or 0.0),
        waiting_time_mean_s=float(vs[3] or 0.0),
        value_adding_time_mean_s=float(vs[4] or 0.0),
        pce=(float(vs[4]) / lead_mean) if lead_mean > 0 else None,
        value_adding=tuple(value_adding) if value_adding else None,
    )

    def share(x: float) -> float:
        return x / total_lead if total_lead > 0 else 0.0

    limit = f"LIMIT {int(top)}" if top is not None else ""
    rows = log.fetchall(
        continue_with(
            f"""
        WITH t AS ({timed})
        SELECT activity, count(*), avg(waiting_s), sum(waiting_s), sum(service_s)
        FROM t GROUP BY activity ORDER BY 4 DESC, 2 DESC, 1 {limit}
        """
        )
    )
    acts = tuple(
        ActivityBottleneck(
            str(a),
            int(n),
            float(m),
            float(s),
            share(float(s)),
            None if sv is None else float(sv),
        )
        for a, n, m, s, sv in rows
    )
    edges = sorted(
        discover_dfg(log).edges,
        key=lambda e: (-e.frequency * e.mean_s, -e.frequency, e.source, e.target),
    )
    if top is not None:
        edges = edges[: int(top)]
    trans = tuple(
        TransitionBottleneck(
            e.source,
            e.target,
            e.frequency,
            e.mean_s,
            e.frequency * e.mean_s,
            share(e.frequency * e.mean_s),
        )
        for e in edges
    )
    return BottlenecksResult(
        activities=acts,
        transitions=trans,
        value_stream=value_stream,
        time_basis="measured" if has_start else "estimated",
        note="" if has_start else ESTIMATE_NOTE,
    )
