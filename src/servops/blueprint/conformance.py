r"""Check the real process against the blueprint: token replay, deviations, standards.

Token-based replay (Rozinat & van der Aalst 2008, "Conformance checking of processes
based on monitoring real behavior", Information Systems 33(1)) plays each case on the
blueprint's Petri net (:meth:`~servops.blueprint.Blueprint.petri_net`), counting
produced ``p``, consumed ``c``, missing ``m`` and remaining ``r`` tokens. The log's
fitness is

.. math::

    f = \tfrac12 \left(1 - \frac{\sum m}{\sum c}\right)
      + \tfrac12 \left(1 - \frac{\sum r}{\sum p}\right)

summed over cases, as PM4Py's ``fitness_token_based_replay`` reports it. The net has no
silent transitions and one transition per step, so replay is deterministic. Events whose
activity maps to no step are left out of the token counts (as PM4Py does for activities
not in the model) and reported as *unexpected*.

Each distinct step sequence (variant) is replayed once and weighted by its case count.

Deviations, counted in cases:

``skipped``
    a step the flow required never happened in the case (a token was missing and the
    step that should have produced it never ran; or a token was left waiting for a step
    that never ran).
``wrong_order``
    a step ran before the step that enables it, which ran later in the case.
``rework``
    a step ran more than once, although it lies on no loop of the flow.
``unexpected``
    an activity in the log that no step maps.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from servops.blueprint._metrics import UNMAPPED, step_stats, step_variants

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from servops.blueprint.model import Blueprint, PetriNet
    from servops.log import EventLog

__all__ = [
    "ConformanceResult",
    "Deviation",
    "ReplayCounts",
    "StepConformance",
    "check_conformance",
    "token_replay",
]

DeviationKind = Literal["skipped", "wrong_order", "rework", "unexpected"]


@dataclass(frozen=True, slots=True)
class Deviation:
    """One kind of deviation at one step, and how many cases show it."""

    kind: DeviationKind
    step: str
    cases: int
    share: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "step": self.step,
            "cases": self.cases,
            "share": self.share,
        }


@dataclass(frozen=True, slots=True)
class StepConformance:
    """How one step fares in the log: frequency, repeats and its service standard."""

    step: str
    name: str
    cases: int
    instances: int
    repeat_cases: int
    standard: str | None
    measured: int
    met: int
    standard_attainment: float | None
    target: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "step": self.step,
            "name": self.name,
            "cases": self.cases,
            "instances": self.instances,
            "repeat_cases": self.repeat_cases,
            "standard": self.standard,
            "measured": self.measured,
            "met": self.met,
            "standard_attainment": self.standard_attainment,
            "target": self.target,
        }


@dataclass(frozen=True, slots=True)
class ReplayCounts:
    """Token counts of a replay (summed over cases) and the fitness they give."""

    produced: int
    consumed: int
    missing: int
    remaining: int
    cases: int
    fitting_cases: int

    @property
    def fitness(self) -> float:
        """``½(1 − m/c) + ½(1 − r/p)``; 1.0 for an empty log."""
        if self.consumed == 0 or self.produced == 0:
            return 1.0
        return 0.5 * (1 - self.missing / self.consumed) + 0.5 * (
            1 - self.remaining / self.produced
        )


@dataclass(frozen=True, slots=True)
class ConformanceResult:
    """Fitness, deviations and per-step standard attainment of a log on a blueprint."""

    blueprint: str
    fitness: float
    cases: int
    fitting_cases: int
    variants: int
    tokens: ReplayCounts
    deviations: tuple[Deviation, ...]
    steps: tuple[StepConformance, ...]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what ``servops blueprint check --json`` prints)."""
        return {
            "blueprint": self.blueprint,
            "fitness": self.fitness,
            "cases": self.cases,
            "fitting_cases": self.fitting_cases,
            "variants": self.variants,
            "tokens": {
                "produced": self.tokens.produced,
                "consumed": self.tokens.consumed,
                "missing": self.tokens.missing,
                "remaining": self.tokens.remaining,
            },
            "deviations": [d.to_dict() for d in self.deviations],
            "steps": [s.to_dict() for s in self.steps],
            "notes": list(self.notes),
        }


def _reachable(net: PetriNet) -> dict[str, set[str]]:
    """Transitions reachable from each place along the arcs of the net."""
    out: dict[str, set[str]] = {}
    for place in net.places:
        seen: set[str] = set()
        stack = [t for t in net.transitions if place in net.inputs[t]]
        while stack:
            t = stack.pop()
            if t in seen:
                continue
            seen.add(t)
            for q in net.outputs[t]:
                stack.extend(u for u in net.transitions if q in net.inputs[u])
        out[place] = seen
    return out


class _Net:
    """A Petri net with the look-ups replay needs, computed once."""

    def __init__(self, net: PetriNet) -> None:
        self.net = net
        self.transitions = set(net.transitions)
        reach = _reachable(net)
        self.entry: dict[str, list[str]] = {}
        self.exit: dict[str, list[str]] = {}
        for place in net.places:
            prods = net.producers(place)
            # producers upstream of the place (not inside a loop through it)
            entry = [p for p in prods if p not in reach[place]]
            self.entry[place] = entry or prods
            cons = net.consumers(place)
            # consumers that lead on, not back into the place
            exits = [
                c
                for c in cons
                if c == "end"
                or not any(place in net.outputs[u] for u in _after(net, reach, c))
            ]
            self.exit[place] = exits or cons


def _after(net: PetriNet, reach: dict[str, set[str]], t: str) -> set[str]:
    """``t`` and every transition reachable after it."""
    out = {t}
    for q in net.outputs[t]:
        out |= reach[q]
    return out


def _replay_one(
    nx: _Net, trace: Sequence[str], loops: set[str]
) -> tuple[int, int, int, int, set[tuple[DeviationKind, str]]]:
    """Replay one trace of step ids; returns (p, c, m, r, deviations)."""
    net = nx.net
    transitions = nx.transitions
    marking: Counter[str] = Counter(net.initial)
    produced = len(net.initial)
    consumed = missing = 0
    devs: set[tuple[DeviationKind, str]] = set()
    skipped: set[str] = set()
    for k, t in enumerate(trace):
        if t not in transitions:
            devs.add(("unexpected", t.removeprefix(UNMAPPED)))
            continue
        for place in net.inputs[t]:
            if marking[place] < 1:
                missing += 1
                marking[place] += 1
                producers = nx.entry[place]
                real = [p for p in producers if p not in ("start", t)]
                if any(p in trace[k + 1 :] for p in real):
                    devs.add(("wrong_order", t))
                elif real and not any(p in trace[:k] for p in real):
                    label = "|".join(real)
                    devs.add(("skipped", label))
                    skipped.update(real)
            marking[place] -= 1
        consumed += len(net.inputs[t])
        for place in net.outputs[t]:
            marking[place] += 1
        produced += len(net.outputs[t])
    final = Counter(net.final)
    for place in final:
        if marking[place] < final[place]:
            lack = final[place] - marking[place]
            missing += lack
            real = [p for p in nx.entry[place] if p != "start"]
            if real and not any(p in trace for p in real):
                devs.add(("skipped", "|".join(real)))
                skipped.update(real)
    remaining = 0
    for place, n in marking.items():
        left = max(0, n - final.get(place, 0))
        remaining += left
        if left > 0:
            exits = [c for c in nx.exit[place] if c != "end"]
            if (
                exits
                and not any(c in trace for c in exits)
                and not skipped & set(exits)
            ):
                devs.add(("skipped", "|".join(exits)))
                skipped.update(exits)
    consumed += len(net.final)
    counts = Counter(s for s in trace if s in transitions)
    devs.update(("rework", s) for s, n in counts.items() if n > 1 and s not in loops)
    return produced, consumed, missing, remaining, devs


def token_replay(
    net: PetriNet,
    variants: Iterable[tuple[Sequence[str], int]],
    *,
    loops: set[str] | None = None,
) -> tuple[ReplayCounts, dict[tuple[DeviationKind, str], int]]:
    r"""Replay step sequences on ``net``, each weighted by its number of cases.

    Parameters
    ----------
    net
        The Petri net (from :meth:`Blueprint.petri_net`).
    variants
        ``(sequence of step ids, number of cases)`` pairs; ids that are not
        transitions of the net are left out of the token counts.
    loops
        Steps whose repetition is designed (not rework).

    Returns
    -------
    tuple
        The summed token counts, and cases per ``(kind, step)`` deviation.

    Examples
    --------
    >>> from servops.blueprint.model import parse_blueprint
    >>> bp = parse_blueprint(
    ...     "name: x\nsteps:\n- {id: a, name: A, lane: customer, "
    ...     "activities: [A]}\n- {id: b, name: B, lane: backstage, "
    ...     "activities: [B]}\nflow: ['start -> a -> b -> end']"
    ... )
    >>> counts, devs = token_replay(bp.petri_net(), [(("a", "b"), 3), (("b",), 1)])
    >>> round(counts.fitness, 4), devs
    (0.9091, {('skipped', 'a'): 1})
    """
    loops = loops or set()
    p = c = m = r = cases = fitting = 0
    devs: Counter[tuple[DeviationKind, str]] = Counter()
    nx = _Net(net)
    for trace, n in variants:
        vp, vc, vm, vr, vd = _replay_one(nx, tuple(trace), loops)
        p, c, m, r = p + vp * n, c + vc * n, m + vm * n, r + vr * n
        cases += n
        fitting += n if vm == 0 and vr == 0 else 0
        for d in vd:
            devs[d] += n
    return ReplayCounts(p, c, m, r, cases, fitting), dict(devs)


_KIND_ORDER = {"skipped": 0, "wrong_order": 1, "rework": 2, "unexpected": 3}


def check_conformance(log: EventLog, blueprint: Blueprint) -> ConformanceResult:
    """Replay ``log`` on the blueprint's flow: fitness, deviations, standard attainment.

    Parameters
    ----------
    log
        The event log; activities map to steps through each step's ``activities``.
    blueprint
        The blueprint.

    Returns
    -------
    ConformanceResult

    Examples
    --------
    >>> from servops.blueprint.model import parse_blueprint
    >>> bp = parse_blueprint('''
    ... name: tiny
    ... steps:
    ...   - {id: reg, name: Register, lane: customer, activities: [Register]}
    ...   - {id: tri, name: Triage, lane: frontstage, activities: [Triage]}
    ...   - {id: res, name: Resolve, lane: backstage, activities: [Resolve],
    ...      standard: resolve within 2 h}
    ...   - {id: clo, name: Close, lane: frontstage, activities: [Close]}
    ... flow: ["start -> reg -> tri -> res -> clo -> end"]
    ... ''')
    >>> r = check_conformance(tiny_log, bp)
    >>> r.cases, round(r.fitness, 3)
    (5, 0.909)
    >>> sorted(
    ...     (d.kind, d.step, d.cases) for d in r.deviations
    ... )  # doctest: +NORMALIZE_WHITESPACE
    [('skipped', 'clo', 1), ('skipped', 'res', 1), ('skipped', 'tri', 1),
     ('unexpected', 'Escalate', 1)]
    """
    net = blueprint.petri_net()
    variants = step_variants(log, blueprint)
    counts, devs = token_replay(net, variants, loops=blueprint.loop_steps())
    total = counts.cases
    deviations = tuple(
        sorted(
            (
                Deviation(kind, step, n, n / total if total else 0.0)
                for (kind, step), n in devs.items()
            ),
            key=lambda d: (-d.cases, _KIND_ORDER[d.kind], d.step),
        )
    )
    stats = step_stats(log, blueprint)
    steps = []
    for s in blueprint.steps:
        if s.id not in net.transitions and s.standard is None:
            continue
        st = stats.get(s.id)
        steps.append(
            StepConformance(
                step=s.id,
                name=s.name,
                cases=st.cases if st else 0,
                instances=st.instances if st else 0,
                repeat_cases=st.repeat_cases if st else 0,
                standard=s.standard.text if s.standard else None,
                measured=st.measured if st else 0,
                met=st.met if st else 0,
                standard_attainment=st.attainment if st and s.standard else None,
                target=s.standard.target if s.standard else None,
            )
        )
    notes = list(net.notes)
    if not log.has_start_times and any(
        s.standard and s.standard.reference == "duration" for s in blueprint.steps
    ):
        notes.append(
            "the log has no start times, so 'duration' standards cannot be measured"
        )
    return ConformanceResult(
        blueprint=blueprint.name,
        fitness=counts.fitness,
        cases=total,
        fitting_cases=counts.fitting_cases,
        variants=len(variants),
        tokens=counts,
        deviations=deviations,
        steps=tuple(steps),
        notes=tuple(notes),
    )
