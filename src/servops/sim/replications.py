"""Replications, 95 % confidence intervals, and baseline-versus-scenario comparisons.

A single run of a queue at high utilisation is noisy (at ρ = 0.95 even a million
customers leave about ±10 % on the mean wait), so decisions rest on ``R`` independent
replications: the estimate is the mean over replications and its 95 % interval is
``x̄ ± t(0.975, R−1) · s / √R`` (Student's t). Replication ``r`` of every model uses
the same seed, so baseline and scenario share their random streams (common random
numbers) and the paired difference has a much tighter interval than the two estimates
on their own (Law, *Simulation Modeling and Analysis*, §11.2).
"""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from servops.errors import InvalidParameterError
from servops.sim.kernel import Kpis, run_kernel, seed_int
from servops.sim.model import Model, load_model
from servops.sim.run import as_seconds, is_count

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from datetime import timedelta

    from servops._typing import PathLike, Seed

__all__ = ["Comparison", "Estimate", "ReplicationResult", "compare", "replicate"]


@dataclass(frozen=True, slots=True)
class Estimate:
    """A mean over replications with its 95 % confidence interval."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        """Half the width of the interval."""
        return (self.high - self.low) / 2

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the interval."""
        return self.low <= value <= self.high

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "mean": _json(self.mean),
            "ci95": [_json(self.low), _json(self.high)],
            "n": self.n,
        }


def _json(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def estimate(
    values: list[float] | np.ndarray,
    *,
    bounds: tuple[float, float] = (-math.inf, math.inf),
) -> Estimate:
    """Mean and 95 % t-interval of replication values (NaNs ignored).

    ``bounds`` are the values the quantity can take: the interval is cut to them (a
    utilisation's interval never reaches past 100 %, a duration's never below 0).

    Examples
    --------
    >>> e = estimate([1.0, 2.0, 3.0])
    >>> round(e.mean, 3), round(e.low, 3), round(e.high, 3)
    (2.0, -0.484, 4.484)
    >>> e = estimate([1.0, 2.0, 3.0], bounds=(0.0, 3.5))
    >>> round(e.low, 3), round(e.high, 3)
    (0.0, 3.5)
    """
    from scipy import stats

    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    m = float(x.mean())
    if n == 1:
        return Estimate(m, math.nan, math.nan, 1)
    h = float(stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / math.sqrt(n))
    lo, hi = bounds
    return Estimate(m, max(m - h, lo), min(m + h, hi), n)


#: KPIs that are shares (in [0, 1]); every KPI of a run is at least 0.
_SHARES = ("utilization.", "sla_attainment", "abandonment_rate")


def _bounds(name: str) -> tuple[float, float]:
    return (0.0, 1.0) if name.startswith(_SHARES) else (0.0, math.inf)


#: Scalar KPIs summarised over replications.
SCALARS = (
    "cases",
    "arrived",
    "abandoned",
    "mean_cycle_time_s",
    "median_cycle_time_s",
    "p90_cycle_time_s",
    "mean_waiting_time_s",
    "mean_case_waiting_time_s",
    "throughput_per_hour",
    "sla_attainment",
    "abandonment_rate",
)


def _metrics(k: Kpis) -> Iterator[tuple[str, float]]:
    d = k.to_dict()
    for name in SCALARS:
        v = d[name]
        yield name, math.nan if v is None else float(v)
    for pool, u in k.utilization.items():
        yield f"utilization.{pool}", u
    for act, w in k.waiting_by_activity_s.items():
        yield f"waiting_by_activity_s.{act}", w


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, v in flat.items():
        head, dot, tail = key.partition(".")
        if dot:
            out.setdefault(head, {})[tail] = v
        else:
            out[key] = v
    return out


@dataclass(frozen=True, slots=True)
class ReplicationResult:
    """KPIs of ``R`` replications of one model, with means and 95 % intervals."""

    model: Model
    runs: tuple[Kpis, ...]
    seed: int

    def estimates(self) -> dict[str, Estimate]:
        """Every KPI as an :class:`Estimate` (keys like ``utilization.agents``)."""
        values: dict[str, list[float]] = {}
        for k in self.runs:
            for name, v in _metrics(k):
                values.setdefault(name, []).append(v)
        return {name: estimate(v, bounds=_bounds(name)) for name, v in values.items()}

    def __getitem__(self, name: str) -> Estimate:
        return self.estimates()[name]

    def to_dict(self) -> dict[str, Any]:
        """Means at the top level, intervals under ``ci95``.

        Top-level keys: ``cases``, ``mean_cycle_time_s``, ``utilization`` (per pool)…
        """
        est = self.estimates()
        means = _nest({k: _json(e.mean) for k, e in est.items()})
        ci = _nest({k: [_json(e.low), _json(e.high)] for k, e in est.items()})
        return {
            "model": self.model.name,
            "replications": len(self.runs),
            "seed": self.seed,
            **means,
            "ci95": ci,
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    """Baseline against scenario, replication by replication (common random numbers)."""

    baseline: ReplicationResult
    scenario: ReplicationResult
    scenario_name: str = "scenario"

    def differences(self) -> dict[str, Estimate]:
        """Scenario minus baseline for each KPI, with the paired 95 % interval."""
        base: dict[str, list[float]] = {}
        scen: dict[str, list[float]] = {}
        for k in self.baseline.runs:
            for n, v in _metrics(k):
                base.setdefault(n, []).append(v)
        for k in self.scenario.runs:
            for n, v in _metrics(k):
                scen.setdefault(n, []).append(v)
        out = {}
        for n in base:
            if n in scen and len(scen[n]) == len(base[n]):
                out[n] = estimate(np.asarray(scen[n]) - np.asarray(base[n]))
        return out

    def to_dict(self) -> dict[str, Any]:
        """``baseline``, ``scenario`` and ``difference`` (mean and ``ci95`` per KPI)."""
        diff = _nest({k: e.to_dict() for k, e in self.differences().items()})
        return {
            "scenario_name": self.scenario_name,
            "baseline": self.baseline.to_dict(),
            "scenario": self.scenario.to_dict(),
            "difference": diff,
        }


def _one(args: tuple[Model, int | None, float | None, int, int, float | None]) -> Kpis:
    model, cases, until_s, seed, warmup, sla_s = args
    return run_kernel(
        model,
        cases=cases,
        until_s=until_s,
        seed=seed,
        keep_log=False,
        warmup_cases=warmup,
        sla_s=sla_s,
    ).kpis


def replication_seeds(seed: int, replications: int) -> list[int]:
    """The seed of each replication (the same for every model: common random numbers)."""
    ss = np.random.SeedSequence(seed)
    return [
        int(s.generate_state(1, dtype=np.uint64)[0] >> 1)
        for s in ss.spawn(replications)
    ]


def replicate(
    model: Model | PathLike | Mapping[str, Any],
    *,
    replications: int = 10,
    cases: int | None = None,
    until: timedelta | float | None = None,
    seed: Seed = None,
    warmup: int = 0,
    sla: timedelta | None = None,
    workers: int = 1,
) -> ReplicationResult:
    """Run ``replications`` independent replications (KPIs only, constant memory).

    Parameters
    ----------
    workers
        Processes to run replications in parallel (1: in this process).

    Other parameters are those of :func:`servops.sim.simulate`.

    Examples
    --------
    >>> m = load_model(TINY.parents[2] / "docs" / "examples" / "mmc.yaml")
    >>> r = replicate(m, replications=4, cases=3000, seed=2)
    >>> len(r.runs), r["cases"].mean
    (4, 3000.0)
    """
    m = load_model(model)
    if not is_count(replications, low=1):
        msg = (
            f"The 'replications' parameter of replicate must be an int >= 1. "
            f"Got {replications!r} instead."
        )
        raise InvalidParameterError(msg)
    if not is_count(workers, low=1):
        msg = f"The 'workers' parameter of replicate must be an int >= 1. Got {workers!r}."
        raise InvalidParameterError(msg)
    base = seed_int(seed)
    until_s = as_seconds(until, start=m.start, name="until")
    sla_s = sla.total_seconds() if sla is not None else None
    jobs = [
        (m, cases, until_s, s, warmup, sla_s)
        for s in replication_seeds(base, replications)
    ]
    if workers == 1 or replications == 1:
        runs = [_one(j) for j in jobs]
    else:
        with ProcessPoolExecutor(max_workers=min(workers, replications)) as ex:
            runs = list(ex.map(_one, jobs))
    return ReplicationResult(model=m, runs=tuple(runs), seed=base)


def compare(
    baseline: Model | PathLike | Mapping[str, Any],
    scenario: Model | PathLike | Mapping[str, Any],
    *,
    replications: int = 10,
    cases: int | None = None,
    until: timedelta | float | None = None,
    seed: Seed = None,
    warmup: int = 0,
    sla: timedelta | None = None,
    workers: int = 1,
    scenario_name: str = "scenario",
) -> Comparison:
    """Replicate baseline and scenario with the same seeds and compare them.

    Examples
    --------
    >>> from servops.sim.scenario import apply_scenario
    >>> m = load_model(TINY.parents[2] / "docs" / "examples" / "mmc.yaml")
    >>> more = apply_scenario(
    ...     m, {"edits": [{"staff": {"pool": "agents", "change": 1}}]}
    ... )
    >>> c = compare(m, more, replications=5, cases=5000, seed=1)
    >>> c.differences()["mean_waiting_time_s"].high < 0
    True
    """
    s = seed_int(seed)
    kw: dict[str, Any] = {
        "replications": replications,
        "cases": cases,
        "until": until,
        "seed": s,
        "warmup": warmup,
        "sla": sla,
        "workers": workers,
    }
    return Comparison(
        replicate(baseline, **kw),
        replicate(scenario, **kw),
        scenario_name=scenario_name,
    )
