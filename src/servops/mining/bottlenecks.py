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
  processing time of the first execution of each activity named as value-adding (all of
  them by default; a repeat is rework, not value).

:func:`value_stream` is the one computation of these figures: :func:`bottlenecks` and
the blueprint value stream (:func:`servops.blueprint.value_stream`) report it.

Processing time can exceed lead time when work runs in parallel; without start times all
of these are estimates (see :mod:`servops.mining.timing`).

**Customer-side time** is not the team's waiting. With a :class:`CustomerSide` (the KPI
config gives one: :meth:`servops.kpi.KpiConfig.customer_side`), the wait before an
activity is the customer's when the activity is a customer turn or a closing step (the
resolved-to-closed auto-close window), or when the activity before it hands the case to
the customer (a pause such as "Waiting for customer", or a resolution). Activities are
then ranked by the team's waiting; the value stream reports the customer-side time
apart, and a second PCE over the lead time without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from servops._validation import check_interval
from servops.errors import InvalidParameterError
from servops.log.engine import seconds_between
from servops.log.schema import enabled_column
from servops.mining._sequence import (
    continue_with,
    customer_waits_sql,
    mostly_customer,
    timed_instances_sql,
)
from servops.mining.dfg import discover_dfg
from servops.mining.timing import ESTIMATE_NOTE, TimeBasis

if TYPE_CHECKING:
    from collections.abc import Sequence

    from servops.log import EventLog

__all__ = [
    "ActivityBottleneck",
    "BottlenecksResult",
    "CustomerSide",
    "TransitionBottleneck",
    "ValueStream",
    "bottlenecks",
    "value_stream",
]


@dataclass(frozen=True, slots=True)
class CustomerSide:
    """Which waits are the customer's rather than the team's.

    ``before``: activities whose preceding wait is the customer's (customer turns such
    as "Customer replied", closing steps after the auto-close window). ``after``:
    activities after which the case waits for the customer (pause starts such as
    "Waiting for customer", resolutions).
    """

    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.before or self.after)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"before": list(self.before), "after": list(self.after)}

    def sql(self) -> str:
        """SQL condition on ``activity`` and ``prev_activity``: the wait is the customer's."""
        parts = []
        if self.before:
            parts.append(f"activity IN ({_literal_list(self.before)})")
        if self.after:
            parts.append(f"prev_activity IN ({_literal_list(self.after)})")
        return "(" + (" OR ".join(parts) or "false") + ")"


@dataclass(frozen=True, slots=True)
class ActivityBottleneck:
    """Waiting added before an activity (seconds), and its share of all lead time.

    ``customer_wait_total_s`` is the part of ``waiting_total_s`` on the customer's side
    (0 without a :class:`CustomerSide`); ``team_wait_total_s`` the rest.
    """

    activity: str
    frequency: int
    waiting_mean_s: float
    waiting_total_s: float
    share_of_lead_time: float | None
    service_total_s: float | None
    customer_wait_total_s: float = 0.0

    @property
    def team_wait_total_s(self) -> float:
        """Waiting before the activity that is the team's (not the customer's)."""
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
            "waiting_mean_s": self.waiting_mean_s,
            "waiting_total_s": self.waiting_total_s,
            "team_wait_total_s": self.team_wait_total_s,
            "customer_wait_total_s": self.customer_wait_total_s,
            "customer_side": self.customer_side,
            "share_of_lead_time": self.share_of_lead_time,
            "service_total_s": self.service_total_s,
        }


@dataclass(frozen=True, slots=True)
class TransitionBottleneck:
    """Time spent on a directly-follows transition (s) and its share of lead time.

    ``customer_side``: the time is the customer's (see :class:`CustomerSide`).
    """

    source: str
    target: str
    frequency: int
    mean_s: float
    total_s: float
    share_of_lead_time: float | None
    customer_side: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "source": self.source,
            "target": self.target,
            "frequency": self.frequency,
            "mean_s": self.mean_s,
            "total_s": self.total_s,
            "share_of_lead_time": self.share_of_lead_time,
            "customer_side": self.customer_side,
        }


@dataclass(frozen=True, slots=True)
class ValueStream:
    """Mean lead, processing, waiting and value-adding time per case, and the PCE.

    Value-adding time counts the first execution of each value-adding activity in a
    case (repeats are rework). ``time_basis`` is ``"estimated"`` without start times.
    ``customer_time_mean_s`` is the part of the waiting on the customer's side (``None``
    when no :class:`CustomerSide` was given); ``pce_without_customer`` is the
    value-adding time over the lead time less that part.
    """

    cases: int
    lead_time_mean_s: float
    processing_time_mean_s: float
    waiting_time_mean_s: float
    value_adding_time_mean_s: float
    pce: float | None
    value_adding: tuple[str, ...] | None
    customer_time_mean_s: float | None = None
    pce_without_customer: float | None = None
    time_basis: TimeBasis = "measured"

    @property
    def team_waiting_time_mean_s(self) -> float:
        """Mean waiting per case that is the team's (not the customer's)."""
        return self.waiting_time_mean_s - (self.customer_time_mean_s or 0.0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``value_adding`` is null when every activity counts)."""
        return {
            "cases": self.cases,
            "lead_time_mean_s": self.lead_time_mean_s,
            "processing_time_mean_s": self.processing_time_mean_s,
            "waiting_time_mean_s": self.waiting_time_mean_s,
            "team_waiting_time_mean_s": self.team_waiting_time_mean_s,
            "customer_time_mean_s": self.customer_time_mean_s,
            "value_adding_time_mean_s": self.value_adding_time_mean_s,
            "pce": self.pce,
            "pce_without_customer": self.pce_without_customer,
            "time_basis": self.time_basis,
            "value_adding": list(self.value_adding) if self.value_adding else None,
        }


@dataclass(frozen=True, slots=True)
class BottlenecksResult:
    """Activities and transitions ranked by time added, and the value stream.

    With a :class:`CustomerSide`, activities are ranked by the team's waiting.
    """

    activities: tuple[ActivityBottleneck, ...]
    transitions: tuple[TransitionBottleneck, ...]
    value_stream: ValueStream
    time_basis: TimeBasis
    note: str
    customer_side: CustomerSide | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "time_basis": self.time_basis,
            "note": self.note,
            "customer_side": None
            if self.customer_side is None
            else self.customer_side.to_dict(),
            "value_stream": self.value_stream.to_dict(),
            "activities": [a.to_dict() for a in self.activities],
            "transitions": [t.to_dict() for t in self.transitions],
        }


def _literal_list(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _timed_with_side(timed: str, side: CustomerSide | None) -> str:
    """``WITH t0, t``: timed instances with ``prev_activity`` and ``cust`` (customer's wait)."""
    return customer_waits_sql(timed, side.sql() if side is not None else "false")


def _value_stream(
    log: EventLog,
    timed_cs: str,
    value_adding: Sequence[str] | None,
    side: CustomerSide | None,
) -> ValueStream:
    va = (
        f"activity IN ({_literal_list(list(value_adding))})" if value_adding else "true"
    )
    lead = seconds_between("min(least(enabled_ts, start_ts))", "max(end_ts)")
    vs = log.fetchone(
        continue_with(
            f"""{timed_cs},
        c AS (
          SELECT case_id, {lead} AS lead_s, coalesce(sum(service_s), 0) AS proc_s,
            coalesce(sum(waiting_s), 0) AS wait_s,
            coalesce(sum(CASE WHEN {va} AND occurrence = 1 THEN service_s ELSE 0 END),
              0) AS va_s,
            coalesce(sum(CASE WHEN cust THEN waiting_s ELSE 0 END), 0) AS cust_s
          FROM t GROUP BY case_id
        )
        SELECT count(*), avg(lead_s), avg(proc_s), avg(wait_s), avg(va_s),
          avg(cust_s), avg(lead_s - cust_s)
        FROM c
        """
        )
    )
    lead_mean = float(vs[1] or 0.0)
    team_lead = float(vs[6] or 0.0)
    return ValueStream(
        cases=int(vs[0]),
        lead_time_mean_s=lead_mean,
        processing_time_mean_s=float(vs[2] or 0.0),
        waiting_time_mean_s=float(vs[3] or 0.0),
        value_adding_time_mean_s=float(vs[4] or 0.0),
        pce=(float(vs[4]) / lead_mean) if lead_mean > 0 else None,
        value_adding=tuple(value_adding) if value_adding else None,
        customer_time_mean_s=None if side is None else float(vs[5] or 0.0),
        pce_without_customer=(float(vs[4]) / team_lead)
        if side is not None and team_lead > 0
        else None,
        time_basis="measured" if log.has_start_times else "estimated",
    )


def value_stream(
    log: EventLog,
    *,
    value_adding: Sequence[str] | None = None,
    customer_side: CustomerSide | None = None,
) -> ValueStream:
    """Mean lead, processing, waiting and value-adding time per case, and the PCE.

    The one value-stream computation of servops (:func:`bottlenecks` and the blueprint
    value stream report it). Value-adding time is the service time of the *first*
    execution of each value-adding activity in a case: a repeat is rework, not value.

    Parameters
    ----------
    log
        The event log (without start times the times are estimates).
    value_adding
        Activities whose processing adds value; all when ``None``.
    customer_side
        Which waits are the customer's (then ``customer_time_mean_s`` and
        ``pce_without_customer`` are given).

    Examples
    --------
    >>> round(value_stream(tiny_log).lead_time_mean_s)
    7380
    """
    _check_value_adding(log, value_adding)
    timed = timed_instances_sql(
        has_start=log.has_start_times, enabled=enabled_column(log.attributes)
    )
    side = customer_side if customer_side else None
    return _value_stream(log, _timed_with_side(timed, side), value_adding, side)


def _check_value_adding(log: EventLog, value_adding: Sequence[str] | None) -> None:
    if value_adding is None:
        return
    known = {str(r[0]) for r in log.fetchall("SELECT DISTINCT activity FROM instances")}
    unknown = sorted(set(value_adding) - known)
    if unknown:
        msg = (
            f"value-adding activities must occur in the log; {unknown} do not. "
            f"Activities: {sorted(known)[:30]}"
        )
        raise InvalidParameterError(msg)


def bottlenecks(
    log: EventLog,
    *,
    value_adding: Sequence[str] | None = None,
    top: int | None = None,
    customer_side: CustomerSide | None = None,
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
    customer_side
        Which waits are the customer's (see the module docstring); ``None``: all
        waiting counts as the team's.

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
    _check_value_adding(log, value_adding)
    timed = timed_instances_sql(
        has_start=has_start, enabled=enabled_column(log.attributes)
    )
    side = customer_side if customer_side else None
    timed_cs = _timed_with_side(timed, side)
    stream = _value_stream(log, timed_cs, value_adding, side)
    total_lead = stream.lead_time_mean_s * stream.cases

    def share(x: float) -> float | None:
        return x / total_lead if total_lead > 0 else None  # no lead time: no share

    limit = f"LIMIT {int(top)}" if top is not None else ""
    rows = log.fetchall(
        continue_with(
            f"""{timed_cs}
        SELECT activity, count(*), avg(waiting_s), sum(waiting_s), sum(service_s),
          coalesce(sum(CASE WHEN cust THEN waiting_s END), 0) AS cust_s
        FROM t GROUP BY activity
        ORDER BY sum(waiting_s) - cust_s DESC, 4 DESC, 2 DESC, 1 {limit}
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
            float(cs),
        )
        for a, n, m, s, sv, cs in rows
    )

    def theirs(source: str, target: str) -> bool:
        return side is not None and (target in side.before or source in side.after)

    # the team's transitions first (customer-side time is not a bottleneck of the team)
    edges = sorted(
        discover_dfg(log).edges,
        key=lambda e: (
            theirs(e.source, e.target),
            -e.frequency * e.mean_s,
            -e.frequency,
            e.source,
            e.target,
        ),
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
            theirs(e.source, e.target),
        )
        for e in edges
    )
    return BottlenecksResult(
        activities=acts,
        transitions=trans,
        value_stream=stream,
        time_basis="measured" if has_start else "estimated",
        note="" if has_start else ESTIMATE_NOTE,
        customer_side=side,
    )
