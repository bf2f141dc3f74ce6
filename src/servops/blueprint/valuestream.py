r"""Value-stream view of a blueprint: lead time, value-adding time and waste per step.

For each step (see :mod:`servops.blueprint._metrics` for the exact definitions):

* *lead time*: from the completion of the case's previous event to the step's
  completion, summed over the step's occurrences;
* *value-adding time*: processing time of the first occurrence of steps marked
  ``value_adding``;
* waste: *waiting* (lead time minus processing, first occurrences), *rework* (the whole
  lead time of repeated occurrences) and *handovers* (occurrences whose resource differs
  from the previous event's, with the waiting they carry).

Process cycle efficiency (Womack & Jones, *Lean Thinking*, 1996; George, *Lean Six
Sigma for Service*, 2003) is

.. math::

    \mathrm{PCE} = \frac{\text{value-adding time}}{\text{lead time}}

over all cases, where a case's lead time is its first start to its last completion.
With start timestamps the totals are those of the one value-stream computation,
:func:`servops.mining.value_stream`, with the activities of the ``value_adding`` steps
(``summary``). Without start timestamps a step's processing time is its designed
``work_time`` (capped at the gap before it), and PCE is an estimate resting on those
figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from servops.blueprint._metrics import case_totals, step_stats
from servops.mining.bottlenecks import ValueStream
from servops.mining.bottlenecks import value_stream as log_value_stream

if TYPE_CHECKING:
    from servops.blueprint.model import Blueprint
    from servops.log import EventLog

__all__ = ["BlueprintValueStream", "StepValue", "value_stream"]


@dataclass(frozen=True, slots=True)
class StepValue:
    """Value-stream figures of one step (seconds are totals over the log)."""

    step: str
    name: str
    value_adding: bool
    cases: int
    instances: int
    lead_s: float
    processing_s: float
    value_adding_s: float
    waiting_s: float
    rework_s: float
    handovers: int
    handover_wait_s: float

    @property
    def mean_lead_s(self) -> float:
        """Mean lead time per occurrence."""
        return self.lead_s / self.instances if self.instances else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "step": self.step,
            "name": self.name,
            "value_adding": self.value_adding,
            "cases": self.cases,
            "instances": self.instances,
            "lead_s": self.lead_s,
            "mean_lead_s": self.mean_lead_s,
            "processing_s": self.processing_s,
            "value_adding_s": self.value_adding_s,
            "waiting_s": self.waiting_s,
            "rework_s": self.rework_s,
            "handovers": self.handovers,
            "handover_wait_s": self.handover_wait_s,
        }


@dataclass(frozen=True, slots=True)
class BlueprintValueStream:
    """Per-step value stream and the process cycle efficiency.

    ``summary`` is the log's :class:`~servops.mining.ValueStream` (means per case) with
    the activities of the value-adding steps; with start times ``pce`` is its PCE.
    """

    cases: int
    lead_s: float
    value_adding_s: float
    waiting_s: float
    rework_s: float
    handovers: int
    pce: float | None
    processing_basis: str
    steps: tuple[StepValue, ...]
    summary: ValueStream
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "summary": self.summary.to_dict(),
            "cases": self.cases,
            "lead_s": self.lead_s,
            "mean_case_lead_s": self.lead_s / self.cases if self.cases else None,
            "value_adding_s": self.value_adding_s,
            "waiting_s": self.waiting_s,
            "rework_s": self.rework_s,
            "handovers": self.handovers,
            "pce": self.pce,
            "processing_basis": self.processing_basis,
            "steps": [s.to_dict() for s in self.steps],
            "notes": list(self.notes),
        }


def value_stream(log: EventLog, blueprint: Blueprint) -> BlueprintValueStream:
    """Lead time, value-adding time and waste per step; process cycle efficiency.

    Parameters
    ----------
    log
        The event log.
    blueprint
        The blueprint (``value_adding`` and ``work_time`` of its steps matter here).

    Returns
    -------
    BlueprintValueStream
        Steps in time order; events of no step appear as ``(unmapped)``.

    Examples
    --------
    >>> from servops.blueprint.model import parse_blueprint
    >>> bp = parse_blueprint('''
    ... name: tiny
    ... steps:
    ...   - {id: reg, name: Register, lane: customer, activities: [Register]}
    ...   - {id: tri, name: Triage, lane: frontstage, activities: [Triage]}
    ...   - {id: res, name: Resolve, lane: backstage, activities: [Resolve],
    ...      value_adding: true, work_time: 10 min}
    ...   - {id: clo, name: Close, lane: frontstage, activities: [Close]}
    ... ''')
    >>> vs = value_stream(tiny_log, bp)
    >>> vs.value_adding_s / 60, vs.processing_basis
    (40.0, 'work_time')
    """
    stats = step_stats(log, blueprint)
    totals = case_totals(log)
    rows: list[StepValue] = []
    names = {s.id: s for s in blueprint.steps}
    for sid in [*blueprint.order(), ""]:
        st = stats.get(sid)
        if st is None:
            continue
        step = names.get(sid)
        rows.append(
            StepValue(
                step=sid or "(unmapped)",
                name=step.name if step else "(activities of no step)",
                value_adding=bool(step and step.value_adding),
                cases=st.cases,
                instances=st.instances,
                lead_s=st.lead_s,
                processing_s=st.processing_s,
                value_adding_s=st.va_processing_s,
                waiting_s=st.first_wait_s,
                rework_s=st.rework_s,
                handovers=st.handovers,
                handover_wait_s=st.handover_wait_s,
            )
        )
    va = sum(r.value_adding_s for r in rows)
    has_work = any(s.work_time is not None for s in blueprint.steps)
    basis = (
        "start_timestamps"
        if log.has_start_times
        else ("work_time" if has_work else "none")
    )
    notes = []
    if basis == "work_time":
        notes.append(
            "the log has no start times: processing time is each step's "
            "designed work_time (capped at the gap before it); PCE is an "
            "estimate"
        )
    elif basis == "none":
        notes.append(
            "the log has no start times and no step gives a work_time, so "
            "value-adding time cannot be measured (PCE unknown)"
        )
    if not any(s.value_adding for s in blueprint.steps):
        notes.append("no step is marked value_adding: true")
    va_activities = sorted(
        {a for s in blueprint.steps if s.value_adding for a in s.activities}
    )
    known = {str(r[0]) for r in log.fetchall("SELECT DISTINCT activity FROM instances")}
    summary = log_value_stream(
        log, value_adding=[a for a in va_activities if a in known] or None
    )
    if not va_activities:
        pce = None  # nothing is value-adding by design: unmeasurable, not 0 %
    elif basis == "start_timestamps":
        pce = summary.pce
    else:
        pce = va / totals.lead_s if totals.lead_s > 0 and basis != "none" else None
    return BlueprintValueStream(
        cases=totals.cases,
        lead_s=totals.lead_s,
        value_adding_s=va,
        waiting_s=sum(r.waiting_s for r in rows),
        rework_s=sum(r.rework_s for r in rows),
        handovers=sum(r.handovers for r in rows),
        pce=pce,
        processing_basis=basis,
        steps=tuple(rows),
        summary=summary,
        notes=tuple(notes),
    )
