"""Live metrics on the blueprint: colour each step by waiting, frequency or standards.

:func:`overlay` measures every step in a log (through :mod:`servops.blueprint._metrics`)
and turns the chosen metric into a fill colour and a short label for the drawing. It
also marks where breaches of service standards and rework concentrate: the steps that,
largest first, make up 80 % of all breaches (or of all repeated occurrences) are *hot*
(the Pareto principle; Juran).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from servops._durations import format_duration
from servops._validation import check_choice
from servops.blueprint._metrics import step_stats

if TYPE_CHECKING:
    from collections.abc import Mapping

    from servops.blueprint.model import Blueprint
    from servops.log import EventLog
    from servops.mining.bottlenecks import CustomerSide

__all__ = ["Metric", "Overlay", "StepOverlay", "overlay"]

Metric = Literal["waiting", "frequency", "standard"]
METRICS: tuple[Metric, ...] = ("waiting", "frequency", "standard")

_GOOD, _WARN, _BAD, _NONE = "#bbf7d0", "#fde68a", "#fecaca", "#f3f4f6"


@dataclass(frozen=True, slots=True)
class StepOverlay:
    """The measures of one step and how to draw them."""

    step: str
    cases: int
    share: float
    mean_wait_s: float | None
    attainment: float | None
    target: float | None
    breaches: int
    rework_cases: int
    rework_share: float
    value: float | None
    label: str
    colour: str
    hot_breach: bool = False
    hot_rework: bool = False
    mean_customer_wait_s: float | None = None
    customer_side: bool = False

    @property
    def mean_team_wait_s(self) -> float | None:
        """Mean waiting before the step that is the team's (not the customer's)."""
        if self.mean_wait_s is None:
            return None
        return self.mean_wait_s - (self.mean_customer_wait_s or 0.0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "step": self.step,
            "cases": self.cases,
            "share": self.share,
            "mean_wait_s": self.mean_wait_s,
            "mean_team_wait_s": self.mean_team_wait_s,
            "mean_customer_wait_s": self.mean_customer_wait_s,
            "customer_side": self.customer_side,
            "attainment": self.attainment,
            "target": self.target,
            "breaches": self.breaches,
            "rework_cases": self.rework_cases,
            "rework_share": self.rework_share,
            "value": self.value,
            "label": self.label,
            "colour": self.colour,
            "hot_breach": self.hot_breach,
            "hot_rework": self.hot_rework,
        }


@dataclass(frozen=True, slots=True)
class Overlay:
    """Per-step overlay of one metric, keyed by step id."""

    metric: Metric
    cases: int
    steps: Mapping[str, StepOverlay]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "metric": self.metric,
            "cases": self.cases,
            "steps": [s.to_dict() for s in self.steps.values()],
        }


def _mix(c1: str, c2: str, t: float) -> str:
    a = [int(c1[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(c2[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(
        f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True)
    )


def heat(t: float) -> str:
    """A colour from pale green (0) through amber (0.5) to red (1).

    Examples
    --------
    >>> heat(0.0), heat(1.0)
    ('#dcfce7', '#f87171')
    """
    t = min(max(t, 0.0), 1.0)
    if t < 0.5:
        return _mix("#dcfce7", "#fde68a", t * 2)
    return _mix("#fde68a", "#f87171", (t - 0.5) * 2)


def blues(t: float) -> str:
    """A colour from near white (0) to strong blue (1)."""
    return _mix("#eff6ff", "#60a5fa", min(max(t, 0.0), 1.0))


def _hot(counts: dict[str, int]) -> set[str]:
    """Steps that, largest first, make up 80 % of the total."""
    total = sum(counts.values())
    out: set[str] = set()
    acc = 0
    for step, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if n <= 0 or acc >= 0.8 * total:
            break
        out.add(step)
        acc += n
    return out


def overlay(
    log: EventLog,
    blueprint: Blueprint,
    metric: Metric = "waiting",
    *,
    customer_side: CustomerSide | None = None,
) -> Overlay:
    """Measure each step in ``log`` and colour it by ``metric``.

    Parameters
    ----------
    log
        The event log.
    blueprint
        The blueprint whose steps map log activities.
    metric
        ``waiting`` (mean time from the previous event to the step, minus its
        processing time when the log has start times; coloured by the team's part,
        the customer's part labelled apart), ``frequency`` (share of cases with the
        step) or ``standard`` (share of cases meeting the step's standard: green at or
        above target, amber within 10 points, red below).
    customer_side
        Which waits are the customer's (:meth:`servops.kpi.KpiConfig.customer_side`,
        as bottlenecks and the value stream take it); without it all is the team's.

    Returns
    -------
    Overlay

    Examples
    --------
    >>> from servops.blueprint.model import parse_blueprint
    >>> bp = parse_blueprint('''
    ... name: tiny
    ... steps:
    ...   - {id: reg, name: Register, lane: customer, activities: [Register]}
    ...   - {id: res, name: Resolve, lane: backstage, activities: [Resolve, Triage]}
    ...   - {id: clo, name: Close, lane: frontstage, activities: [Close]}
    ... ''')
    >>> ov = overlay(tiny_log, bp, "frequency")
    >>> ov.steps["clo"].label, ov.steps["res"].rework_cases
    ('80% cases', 3)
    """
    check_choice(metric, "metric", "overlay", METRICS)
    stats = step_stats(log, blueprint, customer_side=customer_side)
    total = log.n_cases()
    waits = {s: st.mean_team_wait_s for s, st in stats.items() if s}
    max_wait = max(waits.values(), default=0.0)
    loops = blueprint.loop_steps()
    breaches = {s: st.measured - st.met for s, st in stats.items() if s}
    rework = {s: st.repeat_cases for s, st in stats.items() if s and s not in loops}
    hot_b, hot_r = _hot(breaches), _hot(rework)
    out: dict[str, StepOverlay] = {}
    for step in blueprint.steps:
        st = stats.get(step.id)
        cases = st.cases if st else 0
        share = cases / total if total else 0.0
        wait = st.mean_wait_s if st else None
        team_wait = st.mean_team_wait_s if st else None
        cust_wait = st.mean_customer_wait_s if st else None
        att = st.attainment if st and step.standard else None
        target = step.standard.target if step.standard else None
        value: float | None
        if not step.activities:
            value, label, colour = None, "", "#ffffff"
        elif metric == "waiting":
            value = team_wait
            label = "–"
            if st:
                label = f"wait {format_duration(team_wait)}"
                if cust_wait:
                    label += f" + customer {format_duration(cust_wait)}"
            scale = (
                math.log1p(team_wait or 0.0) / math.log1p(max_wait)
                if max_wait > 0
                else 0
            )
            colour = heat(scale) if st else _NONE
        elif metric == "frequency":
            value = share
            label = f"{share:.0%} cases"
            colour = blues(share)
        else:
            value = att
            if att is None:
                label, colour = ("" if step.standard is None else "–"), _NONE
            else:
                goal = target if target is not None else 0.9
                colour = _GOOD if att >= goal else _WARN if att >= goal - 0.1 else _BAD
                label = f"{att:.0%} met"
        out[step.id] = StepOverlay(
            step=step.id,
            cases=cases,
            share=share,
            mean_wait_s=wait,
            attainment=att,
            target=target,
            breaches=breaches.get(step.id, 0),
            rework_cases=st.repeat_cases if st else 0,
            rework_share=(st.repeat_cases / cases) if st and cases else 0.0,
            value=value,
            label=label,
            colour=colour,
            hot_breach=step.id in hot_b,
            hot_rework=step.id in hot_r,
            mean_customer_wait_s=cust_wait,
            customer_side=bool(st and st.customer_side),
        )
    return Overlay(metric=metric, cases=total, steps=out)
