"""What-if options from the twin: a few simple scenarios against the baseline.

The report's twin section and :func:`servops.improve.diagnose` both call
:func:`twin_whatifs`, so the options the diagnosis names are the ones the report shows.
With a model given it is used as it is; otherwise one is discovered from the log
(:func:`servops.sim.discover_model`) and checked against it
(:func:`servops.sim.validate_twin`: one run of as many cases as the log, until its end).
An unfit twin's options are marked as not to be trusted.

The scenarios tried (each one edit of :func:`servops.sim.apply_scenario`):

* ``staff``: one more person in the pool with the highest baseline utilisation;
* ``duration``: the staffed activity with the longest mean work 20 % faster;
* ``delay``: halve the waits before the staffed activity waited for longest (only when
  the model holds that wait as a delay: the wait for a pool is queueing, not a delay);
* ``repeats``: no repeats of the activity most likely to follow itself (above 5 %).

Each is replicated with common random numbers (the baseline's seeds); the change of the
mean cycle time (scenario - baseline) gets the paired 95 % interval of
:meth:`servops.sim.Comparison.differences`. Options are ordered by that change, the
largest reduction first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from servops._validation import check_interval
from servops.errors import ServopsError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from servops._typing import PathLike
    from servops.log import EventLog
    from servops.sim.model import Model
    from servops.sim.replications import Comparison, ReplicationResult
    from servops.sim.validate import ValidationResult, Verdict

__all__ = [
    "TWIN_CASES",
    "TWIN_REPLICATIONS",
    "TWIN_SEED",
    "TwinWhatIfs",
    "WhatIf",
    "twin_whatifs",
]

#: Cases per replication, replications and seed of the what-if runs (report default).
TWIN_CASES = 500
TWIN_REPLICATIONS = 5
TWIN_SEED = 20261121

Edit = Literal["staff", "duration", "delay", "repeats"]


@dataclass(frozen=True, slots=True)
class WhatIf:
    """One scenario's change of the twin's mean cycle time (seconds), with its interval.

    ``edit`` is the kind of change and ``subject`` the pool (``staff``) or activity it
    changes; ``label_zh`` is the label in Chinese (empty: the same as ``label``).
    ``addresses`` names the diagnosed problem the option acts on (``"waiting before
    L2"``, ``"rework"``) and ``problem_rank`` its rank, when the diagnosis ties it to one.
    """

    label: str
    change_s: float
    low_s: float
    high_s: float
    level: float = 0.95
    label_zh: str = ""
    edit: Edit | None = None
    subject: str = ""
    scenario: Mapping[str, Any] | None = None
    addresses: str | None = None
    problem_rank: int | None = None

    @property
    def significant(self) -> bool:
        """Whether the interval excludes no change."""
        return self.high_s < 0 or self.low_s > 0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "label": self.label,
            "label_zh": self.label_zh or self.label,
            "edit": self.edit,
            "subject": self.subject,
            "scenario": None if self.scenario is None else dict(self.scenario),
            "change_s": _json(self.change_s),
            "low_s": _json(self.low_s),
            "high_s": _json(self.high_s),
            "level": self.level,
            "significant": self.significant,
            "addresses": self.addresses,
            "problem_rank": self.problem_rank,
        }


def _json(x: float) -> float | None:
    return x if math.isfinite(x) else None


@dataclass(frozen=True, slots=True)
class TwinWhatIfs:
    """The twin, its check against the log, the baseline and every option tried.

    ``options`` and ``comparisons`` are in the same order (largest reduction of the mean
    cycle time first); ``check`` is ``None`` for a model given (not checked) or when the
    check could not run.
    """

    model: Model
    origin: Literal["given", "discovered"]
    check: ValidationResult | None
    baseline: ReplicationResult
    options: tuple[WhatIf, ...]
    comparisons: tuple[Comparison, ...]
    cases: int
    replications: int
    seed: int

    @property
    def verdict(self) -> Verdict | None:
        """The check's ``fit`` / ``questionable`` / ``unfit``; ``None`` when not checked."""
        return None if self.check is None else self.check.verdict

    @property
    def trusted(self) -> bool:
        """False for an unfit twin: its what-ifs are not to be trusted."""
        return self.verdict != "unfit"

    def best(self, n: int = 3) -> tuple[WhatIf, ...]:
        """The ``n`` options that shorten the mean cycle time most."""
        return self.options[:n]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (the model by name, the check's verdict and reasons)."""
        ct = self.baseline.estimates()["mean_cycle_time_s"]
        return {
            "model": self.model.name,
            "origin": self.origin,
            "activities": len(self.model.activities),
            "pools": len(self.model.pools),
            "verdict": self.verdict,
            "reasons": [] if self.check is None else list(self.check.reasons),
            "trusted": self.trusted,
            "cases": self.cases,
            "replications": self.replications,
            "seed": self.seed,
            "baseline_mean_cycle_time_s": _json(ct.mean),
            "baseline_ci95_s": [_json(ct.low), _json(ct.high)],
            "options": [w.to_dict() for w in self.options],
        }


def _means(result: ReplicationResult, key: str) -> dict[str, float]:
    """Baseline means of a per-pool or per-activity KPI group (finite, non-null)."""
    v = result.to_dict().get(key) or {}
    return {k: float(x) for k, x in v.items() if x is not None and math.isfinite(x)}


def candidates(
    model: Model, base: ReplicationResult
) -> list[tuple[Edit, str, str, str, dict[str, Any]]]:
    """The scenarios to try: ``(edit, subject, label, label_zh, scenario spec)``."""
    out: list[tuple[Edit, str, str, str, dict[str, Any]]] = []
    util = _means(base, "utilization")
    if util:
        pool = max(util, key=lambda p: util[p])
        out.append(
            (
                "staff",
                pool,
                f"One more person in {pool}",
                f"{pool} 增加一人",
                {"edits": [{"staff": {"pool": pool, "change": 1}}]},
            )
        )
    work = {
        a: act.duration.mean_s
        for a, act in model.activities.items()
        if act.pool is not None and act.duration.mean_s > 0
    }
    if work:
        act = max(work, key=lambda a: work[a])
        out.append(
            (
                "duration",
                act,
                f"{act} 20% faster",
                f"{act} 提速 20%",
                {"edits": [{"duration": {"activity": act, "factor": 0.8}}]},
            )
        )
    # Only waits before staff work: the wait before a system or customer step (an
    # auto-close timer, a customer's reply) is not the team's to halve.
    waits = {
        a: w
        for a, w in _means(base, "waiting_by_activity_s").items()
        if w and a in model.activities and model.activities[a].pool is not None
    }
    if waits:
        act = max(waits, key=lambda a: waits[a])
        a_model = model.activities[act]
        if a_model.delay is not None or a_model.delay_after:
            out.append(
                (
                    "delay",
                    act,
                    f"Halve the waiting before {act}",
                    f"{act} 前等待减半",
                    {"edits": [{"delay": {"activity": act, "factor": 0.5}}]},
                )
            )

    def self_loop(a: str) -> float:
        rows = [
            model.routing.successors(a),
            *model.routing.after.get(a, {}).values(),
            *model.routing.by_visit.get(a, {}).values(),
        ]
        return float(max(r.get(a, 0.0) for r in rows))

    loops = {a: self_loop(a) for a in model.activities}
    loops = {a: v for a, v in loops.items() if v > 0.05}
    if loops:
        act = max(loops, key=lambda a: loops[a])
        out.append(
            (
                "repeats",
                act,
                f"No repeats of {act}",
                f"{act} 不再重复",
                {"edits": [{"routing": {"from": act, "to": act, "p": 0.0}}]},
            )
        )
    return out


def _check(log: EventLog, model: Model, seed: int) -> ValidationResult | None:
    """The twin against the log (``None`` when it cannot be run)."""
    from servops.sim.run import simulate
    from servops.sim.validate import validate_twin

    end = log.fetchone('SELECT max("timestamp") FROM events')[0]
    try:
        run = simulate(model, cases=log.n_cases(), until=end, seed=seed)
        return validate_twin(log, run.log)
    except ServopsError:
        return None


def twin_whatifs(
    log: EventLog,
    model: Model | PathLike | Mapping[str, Any] | None = None,
    *,
    cases: int = TWIN_CASES,
    replications: int = TWIN_REPLICATIONS,
    seed: int = TWIN_SEED,
) -> TwinWhatIfs:
    """Try the few what-if scenarios of the module text on the twin of ``log``.

    Parameters
    ----------
    log
        The event log; its twin is discovered from it when ``model`` is ``None``, and
        then checked against it.
    model
        A simulation model (object, YAML path or mapping) to use as it is (not checked).
    cases, replications, seed
        Each scenario and the baseline run ``replications`` replications of ``cases``
        cases with the same seeds.

    Returns
    -------
    TwinWhatIfs

    Raises
    ------
    ServopsError
        The model cannot be read or discovered, or the baseline cannot run. A scenario
        that cannot be built or run is left out.

    Examples
    --------
    One M/M/1 desk: one more person, or faster work, shortens the mean cycle time.

    >>> m = {
    ...     "name": "mm1",
    ...     "time_unit": "minute",
    ...     "arrivals": {"rate": 0.8},
    ...     "activities": {
    ...         "Serve": {
    ...             "pool": "desk",
    ...             "duration": {"dist": "exponential", "mean": 1},
    ...         }
    ...     },
    ...     "pools": {"desk": {"size": 1}},
    ...     "routing": {"start": {"Serve": 1.0}, "Serve": {"end": 1.0}},
    ... }
    >>> w = twin_whatifs(tiny_log, m, cases=300, replications=3)
    >>> w.origin, w.verdict, [o.label for o in w.options]
    ('given', None, ['One more person in desk', 'Serve 20% faster'])
    >>> w.options[0].change_s < 0
    True
    """
    from servops.sim.discover import discover_model
    from servops.sim.model import load_model
    from servops.sim.replications import compare, replicate
    from servops.sim.scenario import apply_scenario

    check_interval(cases, "cases", "twin_whatifs", low=1, closed="left")
    check_interval(replications, "replications", "twin_whatifs", low=2, closed="left")
    if model is not None:
        m = load_model(model)
        origin: Literal["given", "discovered"] = "given"
        check = None
    else:
        m = discover_model(log, calendars=True)
        origin = "discovered"
        check = _check(log, m, seed)
    kw: dict[str, Any] = {"replications": replications, "cases": cases, "seed": seed}
    base = replicate(m, **kw)
    rows: list[tuple[WhatIf, Comparison]] = []
    for edit, subject, label, label_zh, spec in candidates(m, base):
        try:
            comp = compare(m, apply_scenario(m, spec), scenario_name=label, **kw)
        except ServopsError:
            continue
        d = comp.differences().get("mean_cycle_time_s")
        if d is None or not math.isfinite(d.mean):
            continue
        w = WhatIf(
            label,
            d.mean,
            d.low,
            d.high,
            label_zh=label_zh,
            edit=edit,
            subject=subject,
            scenario=spec,
        )
        rows.append((w, comp))
    rows.sort(key=lambda r: r[0].change_s)
    return TwinWhatIfs(
        model=m,
        origin=origin,
        check=check,
        baseline=base,
        options=tuple(w for w, _ in rows),
        comparisons=tuple(c for _, c in rows),
        cases=cases,
        replications=replications,
        seed=seed,
    )
