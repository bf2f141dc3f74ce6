"""Before/after on simulated queues: A/A false positives and power, by resampling.

In a queue a case's waiting carries over to the next cases, so resampling cases
independently (``dependence="none"``, the method before issue 19's fix) makes the
intervals too narrow. This study runs ``servops.improve.before_after`` on logs from the
project's own simulator with no change between the halves (A/A) and counts how often
each resampling calls the difference significant at alpha = 5 %; then on logs with a
planted change (power).

Queues (each run drops the cases arriving in its first WARMUP[queue] days: the
simulator starts empty):

* ``mmc``: docs/examples/mmc.yaml read in hours (9 arrivals an hour, mean service 1 h,
  10 agents: utilisation 0.9, about 216 cases a day), CASES_MMC cases (about 70 days);
  warm-up 3 days (it relaxes within hours).
* ``twin``: the demo desk's twin (``discover_model`` of 1,500 demo cases, seed 11, with
  calendars: nights and weekends, L1/L2 backlogs), CASES_TWIN cases after a warm-up of
  14 days: from empty, the mean lead time of the week's arrivals (40 runs) is 80 h in
  the first week and 83-86 h from the second on; the weekly means of a 190-week run
  have lag-1 autocorrelation 0.39 and an integrated autocorrelation time of 1.4 weeks
  (``benchmarks/RESULTS.md``, "Before/after on the twin at steady state"), so two
  weeks is twice what it takes.

A/A: one run split at the middle arrival of the kept cases; metrics lead time (mean,
median, p90) on both, first response and the reopen rate on the twin.
Power: the same number of kept cases on each side of a change, each side from its
own run after its own warm-up (the after side at the changed model's steady state,
starting at the change): mmc with mean service 0.9 h (utilisation 0.81); the twin with
the Resolved -> Reopened chance 5 points lower (``--change reopen``) or one more L2
agent (``--change l2``). The true effect is the difference of the two models'
long-run means (``true_effect``); the power is planned from the twin itself: the
spread of the A/A estimates at the same run length (normal approximation).

Block rules (issue 19, session 24): besides ``before_after``'s own resamplings
(``none``, ``day``, ``week``), ``--dependence`` takes the day-block rules side by side on
the same logs, each computed as ``before_after`` does (the same cases, days, seed use and
"too few periods" widening): ``pw`` the Politis-White block of the daily means,
blocks start anywhere (``before_after`` before session 24); ``pw7`` the block of the
daily means with each weekday's mean taken out, blocks start anywhere; ``gsbb`` that
block, and each block starts on the weekday it replaces (``cycle=7``); ``sbb`` the
``gsbb`` block rounded up to whole weeks (Politis's seasonal block bootstrap, blocks
a multiple of the cycle). Their block lengths are printed.

Weekday shares (issue 19, session 25), ``before_after`` itself with its day blocks
changed: ``day-phase`` post-stratifies every resample by weekday (each weekday keeps
its share of the side's cases: ``shares="phase"`` of ``block_bootstrap_differences``;
not the default, too narrow); ``day-weeks`` is ``day-phase`` with the block rounded up
to whole weeks (each circular block then holds every weekday once, as Politis's
seasonal block bootstrap, but starting on any day); ``day-pooled`` weights both sides'
cases to the pooled weekday shares, in the estimate too (a weekday-standardised
effect, ``pooled_intervals``); ``day-drawn`` weekdays weighing as drawn, blocks of
the rule's length starting on any day (the default of sessions 24-25).

Seasonal blocks (issue 19, session 26), ``before_after`` itself: ``day-sbb`` blocks
of whole weeks, each starting on the weekday of the day it replaces (Politis's
seasonal block bootstrap, ``_DAY_STARTS = "phase"``): the ``sbb`` rule above, with
the open cases censored and everything else as ``before_after`` does. The A/A tables
also print each rule's mean interval width relative to the first ``--dependence``,
and the mean of the A/A estimates (the raw difference, the same for every rule but
``day-pooled``; it should centre on 0).

Run: PYTHONPATH=. .venv/bin/python benchmarks/bench_before_after.py [--seeds 100]
[--power-seeds 40] [--queues mmc,twin] [--dependence none,day,week|pw,pw7,gsbb,sbb]
[--change reopen]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml
from scipy import stats

import servops as so
from servops._validation import as_rng
from servops.demo.generator import generate_service_desk
from servops.improve import before_after, beforeafter
from servops.improve.beforeafter import (
    DURATION_METRICS,
    MIN_BLOCKS,
    _open_cases,
    _widened,
    arrival_periods,
    metric_values,
)
from servops.improve.censoring import CensoredStatistic, censored_statistics_rows
from servops.improve.intervals import (
    Interval,
    _block_weights,
    _phase_shares,
    _weighted_stat_rows,
    block_bootstrap_differences,
    block_length,
    expanded_alpha,
)
from servops.kpi import load_config
from servops.kpi.cases import case_metrics, resolve_config
from servops.sim.discover import discover_model
from servops.sim.model import load_model
from servops.sim.run import simulate
from servops.sim.scenario import apply_scenario

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from servops.kpi.config import KpiConfig
    from servops.sim.model import Model

ROOT = Path(__file__).resolve().parents[1]
KPI = Path(so.__file__).parent / "demo" / "kpi.yaml"
DEPENDENCE = ("none", "day", "week")
#: Day-block rules compared on the same logs: name -> (cycle of the block length,
#: cycle of the block starts, whether blocks are whole cycles).
RULES: dict[str, tuple[int | None, int | None, bool]] = {
    "pw": (None, None, False),
    "pw7": (7, None, False),
    "gsbb": (7, 7, False),
    "sbb": (7, 7, True),
}
#: Block lengths each rule chose, (queue-free) rule -> one per interval computed.
BLOCKS: dict[str, list[int]] = {}
#: ``before_after``'s day blocks, the effect standardised to both sides' weekday shares.
POOLED = "day-pooled"
#: ``before_after``'s day-block variants: name -> (weekday shares, block starts,
#: whole weeks starting anywhere).
SHARES: dict[str, tuple[str, str, bool]] = {
    "day-drawn": ("drawn", "any", False),
    "day-phase": ("phase", "any", False),
    "day-weeks": ("phase", "any", True),
    "day-sbb": ("drawn", "phase", False),
}
#: Interval widths, (metric, statistic, rule) -> one per finite interval computed.
WIDTHS: dict[tuple[str, str, str], list[float]] = {}
WARMUP = {"mmc": timedelta(days=3), "twin": timedelta(days=14)}
CASES_MMC = 15000
CASES_TWIN = 5000
ALPHA = 0.05


def mmc_model(mean_service_h: float = 1.0) -> Model:
    """docs/examples/mmc.yaml in hours at utilisation 0.9 (or the given service)."""
    spec = yaml.safe_load((ROOT / "docs" / "examples" / "mmc.yaml").read_text())
    spec["time_unit"] = "hour"
    spec["arrivals"]["rate"] = 9.0
    spec["activities"]["Serve"]["duration"]["mean"] = mean_service_h
    return load_model(spec)


def twin_model() -> tuple[Model, KpiConfig]:
    """The demo desk's twin and the demo's KPI config."""
    log = so.read_log(generate_service_desk(cases=1500, seed=11).events)
    return discover_model(log, calendars=True), load_config(KPI, log)


def _relabel(log: so.EventLog, tag: str) -> pa.Table:
    t = log.to_arrow("events")
    ids = pa.array([f"{tag}-{c}" for c in t.column("case_id").to_pylist()])
    return t.set_column(t.schema.get_field_index("case_id"), "case_id", ids)


def after_warmup(
    model: Model,
    cases: int,
    seed: int,
    warmup: timedelta,
    start: datetime | None = None,
) -> pa.Table:
    """Events of about ``cases`` cases arriving after ``warmup`` of a run of ``model``.

    The run starts ``warmup`` before ``start`` (default: the model's start) and
    simulates the warm-up's expected arrivals on top of ``cases``; the cases arriving
    in the warm-up are dropped (their work still occupied the pools).
    """
    m = model if start is None else replace(model, start=start - warmup)
    extra = round(model.arrivals.mean_rate_per_s * warmup.total_seconds())
    events = simulate(m, cases=cases + extra, seed=seed).log.to_arrow("events")
    first = events.group_by("case_id").aggregate([("timestamp", "min")])
    keep = first.filter(
        pc.greater_equal(first.column("timestamp_min"), m.start + warmup)
    )
    return events.filter(pc.is_in(events.column("case_id"), keep.column("case_id")))


def _split(events: pa.Table) -> tuple[so.EventLog, datetime]:
    """The log and the middle case arrival."""
    first = events.group_by("case_id").aggregate([("timestamp", "min")])
    arrivals = sorted(first.column("timestamp_min").to_pylist())
    return so.read_log(events), arrivals[len(arrivals) // 2]


def aa_log(
    model: Model, cases: int, seed: int, warmup: timedelta = WARMUP["mmc"]
) -> tuple[so.EventLog, datetime]:
    """One run of ``model`` with no change, after the warm-up; the split time."""
    return _split(after_warmup(model, cases, seed, warmup))


def planted_log(
    model: Model, changed: Model, cases: int, seed: int, warmup: timedelta
) -> tuple[so.EventLog, datetime]:
    """``cases`` of ``model`` then ``cases`` of ``changed``; the change time.

    Each side after its own warm-up: the after side is the changed model's steady
    state from the change on (no transition between the two).
    """
    before = after_warmup(model, cases, seed, warmup)
    first = before.group_by("case_id").aggregate([("timestamp", "min")])
    at = pc.max(first.column("timestamp_min")).as_py() + timedelta(hours=1)
    after = after_warmup(changed, cases, seed + 1, warmup, start=at)
    both = pa.concat_tables(
        [_relabel(so.read_log(before), "b"), _relabel(so.read_log(after), "a")],
        promote_options="default",
    )
    return so.read_log(both), at


def true_effect(
    model: Model,
    changed: Model,
    metric: str,
    config: KpiConfig | None,
    warmup: timedelta,
    cases: int = 40000,
    runs: int = 3,
) -> tuple[float, float]:
    """Long-run mean of ``metric`` under ``changed`` minus under ``model``; its SE."""
    diffs = []
    for r in range(runs):
        means = []
        for m, seed in ((model, 90 + r), (changed, 190 + r)):
            log = so.read_log(after_warmup(m, cases, seed, warmup))
            cfg = config if config is not None else None
            x = metric_values(case_metrics(log, resolve_config(cfg, log)), metric)
            means.append(float(np.nanmean(x)))
        diffs.append(means[1] - means[0])
    return float(np.mean(diffs)), float(np.std(diffs, ddof=1) / math.sqrt(runs))


def intervals(
    log: so.EventLog,
    at: datetime,
    metric: str,
    dependence: str,
    seed: int,
    n_resamples: int,
    config: KpiConfig | None = None,
) -> dict[str, Interval]:
    """``before_after``'s intervals of the effect, per statistic (or a day-block
    rule's, :data:`RULES`)."""
    if dependence in RULES:
        return rule_intervals(log, at, metric, dependence, seed, n_resamples, config)
    if dependence == POOLED:
        return pooled_intervals(log, at, metric, seed, n_resamples, config)
    shares, starts, whole = SHARES.get(
        dependence, (beforeafter._DAY_SHARES, beforeafter._DAY_STARTS, False)
    )

    def weeks(*args: Any, **kwargs: Any) -> int:
        return 7 * -(-block_length(*args, **kwargs) // 7)

    with (
        mock.patch.object(beforeafter, "_DAY_SHARES", shares),
        mock.patch.object(beforeafter, "_DAY_STARTS", starts),
        mock.patch.object(
            beforeafter, "block_length", weeks if whole else block_length
        ),
    ):
        r = before_after(
            log,
            at,
            metric,
            config=config,
            mix=[],
            seed=seed,
            n_resamples=n_resamples,
            dependence="day" if dependence in SHARES else dependence,  # type: ignore[arg-type]
        )
    return dict(r.effects)


def pooled_intervals(
    log: so.EventLog,
    at: datetime,
    metric: str,
    seed: int,
    n_resamples: int,
    config: KpiConfig | None = None,
    level: float = 0.95,
) -> dict[str, Interval]:
    """The weekday-standardised effect with ``before_after``'s day blocks (``POOLED``).

    The cases ``before_after`` compares (open ones right-censored at their wait), its
    day-block length (``cycle=7``) and its statistics, but each side's cases weighted
    so that each arrival weekday has its share of both sides' cases, in the estimate
    and in every block resample (``_phase_shares`` with the pooled shares). The
    "too few periods" widening is not applied (the twin's A/A runs have 14-20 blocks
    a side).
    """
    cfg = resolve_config(config, log)
    cases = case_metrics(log, cfg).sort_by("case_id")
    arrived = cases.column("arrived_at").to_pylist()
    after = np.array([t >= at for t in arrived], dtype=bool)
    values = metric_values(cases, metric)
    censored, waited, _, _ = _open_cases(log, cases, cfg, values, metric, None)
    use = ~np.isnan(values) | censored
    x = np.where(censored, waited, values)
    units = arrival_periods(arrived, "day", cfg.timezone)
    assert units is not None
    sides = [use & ~after, use & after]
    block = block_length(
        x[sides[0]],
        x[sides[1]],
        units_before=units[sides[0]],
        units_after=units[sides[1]],
        cycle=7,
    )
    BLOCKS.setdefault(POOLED, []).append(block)
    pooled = np.bincount(units[use] % 7, minlength=7) / int(use.sum())
    duration = metric in DURATION_METRICS
    horizon = (
        float(min(x[sides[0]].max(), x[sides[1]].max()))
        if duration and censored[use].any()
        else None
    )
    names: tuple[CensoredStatistic, ...] = (
        ("mean",)
        if not duration
        else ("median", "p90", "restricted_mean")
        if horizon is not None
        else ("mean", "median", "p90")
    )
    rng = as_rng(seed)
    boot = {k: np.zeros(n_resamples) for k in names}
    theta = dict.fromkeys(names, 0.0)
    periods = []
    for sign, side in zip((-1.0, 1.0), sides, strict=True):
        order = np.argsort(x[side], kind="stable")
        xs, cs, days = x[side][order], censored[side][order], units[side][order]
        u = np.unique(days, return_inverse=True)[1].astype(np.int64)
        phase = (days % 7).astype(np.int64)
        periods.append(int(u.max()) + 1)

        def stats_(w: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
            if horizon is not None:
                return censored_statistics_rows(xs, cs, w, names, horizon_s=horizon)  # noqa: B023
            return {k: _weighted_stat_rows(xs, w, k) for k in names}  # type: ignore[arg-type]  # noqa: B023

        one = _phase_shares(np.ones((1, xs.size)), phase, pooled)
        for k, v in stats_(one).items():
            theta[k] += sign * float(v[0])
        for start in range(0, n_resamples, 200):
            m = min(200, n_resamples - start)
            w = _block_weights(u, min(block, periods[-1]), m, rng)
            for k, v in stats_(_phase_shares(w, phase, pooled)).items():
                boot[k][start : start + m] += sign * v
    alpha = expanded_alpha(level, min(periods) / block)
    out: dict[str, Interval] = {}
    for k in names:
        d = boot[k]
        # a resample whose quantile is not reached counts as unbounded (as before_after)
        low = float(np.quantile(np.where(np.isnan(d), -1e300, d), alpha))
        high = float(np.quantile(np.where(np.isnan(d), 1e300, d), 1 - alpha))
        out["rate" if not duration else k] = Interval(
            theta[k], low, high, level, "block-percentile"
        )
    return out


def rule_intervals(
    log: so.EventLog,
    at: datetime,
    metric: str,
    rule: str,
    seed: int,
    n_resamples: int,
    config: KpiConfig | None = None,
    level: float = 0.95,
) -> dict[str, Interval]:
    """The day-block intervals ``before_after`` computes, with ``rule``'s blocks."""
    length_cycle, start_cycle, whole = RULES[rule]
    cfg = resolve_config(config, log)
    cases = case_metrics(log, cfg).sort_by("case_id")
    arrived = cases.column("arrived_at").to_pylist()
    after = np.array([t >= at for t in arrived], dtype=bool)
    values = metric_values(cases, metric)
    ok = ~np.isnan(values)
    xb, xa = values[ok & ~after], values[ok & after]
    units = arrival_periods(arrived, "day", cfg.timezone)
    assert units is not None
    ub, ua = units[ok & ~after], units[ok & after]
    rng = as_rng(seed)
    block = block_length(xb, xa, units_before=ub, units_after=ua, cycle=length_cycle)
    if whole and start_cycle is not None:
        block = start_cycle * -(-block // start_cycle)
    BLOCKS.setdefault(rule, []).append(block)
    duration = metric in DURATION_METRICS
    boot = block_bootstrap_differences(
        xb,
        xa,
        units_before=ub,
        units_after=ua,
        block=block,
        cycle=length_cycle,
        starts="any" if start_cycle is None else "phase",
        statistics=("mean", "median", "p90") if duration else ("mean",),
        level=level,
        n_resamples=n_resamples,
        seed=rng,
    )
    effects = {str(k): v for k, v in boot.items()}
    if not duration:
        effects = {"rate": effects["mean"]}
    if min(np.unique(ub).size, np.unique(ua).size) / block < MIN_BLOCKS:
        kind = "duration" if duration else "rate"
        effects = _widened(effects, xb, xa, kind, level, n_resamples, rng)
    return effects


def significant(
    log: so.EventLog,
    at: datetime,
    metric: str,
    dependence: str,
    seed: int,
    n_resamples: int,
    config: KpiConfig | None = None,
) -> dict[str, int]:
    """Per statistic: -1 / +1 when the interval lies below / above 0, else 0."""
    return {
        k: (0 if not iv.excludes(0.0) else (1 if iv.low > 0 else -1))
        for k, iv in intervals(
            log, at, metric, dependence, seed, n_resamples, config
        ).items()
    }


def rate(k: int, n: int) -> str:
    """``k/n`` with its Clopper–Pearson 95 % interval."""
    lo, hi = stats.binomtest(k, n).proportion_ci(0.95)
    return f"{k / n:.3f} [{lo:.2f}-{hi:.2f}]"


def setup(queue: str) -> tuple[Model, KpiConfig | None, int, tuple[str, ...]]:
    """The queue's model, KPI config, cases per run and A/A metrics."""
    if queue == "mmc":
        return mmc_model(), None, CASES_MMC, ("lead_time",)
    model, cfg = twin_model()
    return model, cfg, CASES_TWIN, ("lead_time", "first_response", "reopened")


def aa_study(
    queue: str,
    seeds: int,
    n_resamples: int,
    first_seed: int = 1000,
    dependence: tuple[str, ...] = DEPENDENCE,
    first_run: int = 0,
) -> tuple[dict[tuple[str, str, str], int], dict[tuple[str, str], list[float]]]:
    """A/A: (metric, statistic, dependence) -> runs called significant; and the
    estimates (metric, statistic) -> one per run (their spread plans the power)."""
    model, cfg, cases, metrics = setup(queue)
    hits: dict[tuple[str, str, str], int] = {}
    estimates: dict[tuple[str, str], list[float]] = {}
    for s in range(first_run, first_run + seeds):
        log, at = aa_log(model, cases, first_seed + s, WARMUP[queue])
        for metric in metrics:
            for dep in dependence:
                for stat, iv in intervals(
                    log, at, metric, dep, s, n_resamples, cfg
                ).items():
                    key = (metric, stat, dep)
                    hits[key] = hits.get(key, 0) + int(iv.excludes(0.0))
                    if math.isfinite(iv.high - iv.low):
                        WIDTHS.setdefault(key, []).append(iv.high - iv.low)
                    if dep == dependence[0]:
                        estimates.setdefault((metric, stat), []).append(iv.estimate)
        if (s + 1 - first_run) % 20 == 0:  # partial counts, for a loaded host
            print(f"  {s + 1 - first_run} runs: {hits}", file=sys.stderr, flush=True)
    return hits, estimates


def changed_model(queue: str, model: Model, change: str) -> tuple[Model, str]:
    """The planted change and the metric it moves."""
    if queue == "mmc":
        return mmc_model(0.9), "lead_time"
    if change == "l2":
        edit = {"staff": {"pool": "L2 work team", "change": 1}}
        return apply_scenario(model, {"edits": [edit]}), "lead_time"
    after_resolved = model.routing.by_visit.get("Resolved", {}).get(1)
    p0 = float((after_resolved or model.routing.successors("Resolved"))["Reopened"])
    edit = {"routing": {"from": "Resolved", "to": "Reopened", "p": p0 - 0.05}}
    return apply_scenario(model, {"edits": [edit]}), "reopened"


def power_study(
    queue: str,
    seeds: int,
    n_resamples: int,
    change: str = "reopen",
    dependence: tuple[str, ...] = DEPENDENCE,
    cases: int | None = None,
    truth: float | None = None,
) -> tuple[str, dict[tuple[str, str, str], int], dict[tuple[str, str, str], int]]:
    """A planted improvement: the metric; (metric, stat, dep) -> runs that found it
    (interval below 0) and runs whose interval held the true effect (the difference
    of the two models' long-run means: only for ``mean`` and ``rate``)."""
    model, cfg, n_aa, _ = setup(queue)
    changed, metric = changed_model(queue, model, change)
    per_side = cases if cases is not None else n_aa // 2
    if truth is None:
        truth, se = true_effect(model, changed, metric, cfg, WARMUP[queue])
        print(
            f"true effect on the mean {metric}: {truth:.5g} (SE {se:.2g})", flush=True
        )
    found: dict[tuple[str, str, str], int] = {}
    covered: dict[tuple[str, str, str], int] = {}
    for s in range(seeds):
        log, at = planted_log(model, changed, per_side, 5000 + 2 * s, WARMUP[queue])
        for dep in dependence:
            for stat, iv in intervals(
                log, at, metric, dep, s, n_resamples, cfg
            ).items():
                key = (metric, stat, dep)
                found[key] = found.get(key, 0) + int(iv.high < 0)
                if stat in ("mean", "rate"):
                    covered[key] = covered.get(key, 0) + int(iv.low <= truth <= iv.high)
        if (s + 1) % 10 == 0:  # partial counts, for long runs on a loaded host
            print(f"  {s + 1} runs: {found} {covered}", file=sys.stderr, flush=True)
    return metric, found, covered


def planned_power(
    truth: float, aa_estimates: list[float], alpha: float = ALPHA
) -> float:
    """Power of a two-sided test at ``alpha`` for an effect ``truth`` whose estimate
    has the spread of the A/A estimates (normal approximation)."""
    sd = float(np.std(aa_estimates, ddof=1))
    z = stats.norm.ppf(1 - alpha / 2)
    return float(
        stats.norm.cdf(abs(truth) / sd - z) + stats.norm.cdf(-abs(truth) / sd - z)
    )


def print_table(
    title: str, counts: dict[tuple[str, str, str], int], n: int, deps: tuple[str, ...]
) -> None:
    print(f"\n{title}")
    print("| metric | statistic | " + " | ".join(deps) + " |")
    print("|---|---|" + "---|" * len(deps))
    for metric, stat in dict.fromkeys((m, s) for m, s, _ in counts):
        cells = [rate(counts[(metric, stat, d)], n) for d in deps]
        print(f"| {metric} | {stat} | " + " | ".join(cells) + " |")


def print_widths(deps: tuple[str, ...]) -> None:
    """Each rule's mean interval width over the first's, per statistic (then reset)."""
    if len(deps) < 2:
        return
    for metric, stat in dict.fromkeys((m, s) for m, s, _ in WIDTHS):
        base = WIDTHS.get((metric, stat, deps[0]))
        if not base:
            continue
        cells = [
            f"{d} {np.mean(WIDTHS[(metric, stat, d)]) / np.mean(base):.3f}"
            for d in deps[1:]
            if WIDTHS.get((metric, stat, d))
        ]
        print(
            f"width {metric} {stat}: {deps[0]} {np.mean(base):.4g} (mean); "
            + ", ".join(cells)
        )
    WIDTHS.clear()


def print_blocks(queue: str) -> None:
    """The block lengths each day-block rule chose since the last call (then reset)."""
    for rule, blocks in BLOCKS.items():
        b = np.array(blocks)
        q = np.percentile(b, [0, 25, 50, 75, 100])
        print(
            f"{queue} {rule}: block length (days) over {b.size} intervals: "
            f"min {q[0]:.0f}, quartiles {q[1]:.0f} / {q[2]:.0f} / {q[3]:.0f}, "
            f"max {q[4]:.0f}"
        )
    BLOCKS.clear()


def main() -> None:
    """Print the A/A false-positive rates and the power, per queue and resampling."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=100, help="A/A runs per queue")
    ap.add_argument(
        "--first-run",
        type=int,
        default=0,
        help="A/A runs from this one (split a study)",
    )
    ap.add_argument("--power-seeds", type=int, default=40, help="runs with a change")
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--queues", default="mmc,twin")
    ap.add_argument("--dependence", default=",".join(DEPENDENCE))
    ap.add_argument("--change", default="reopen", choices=("reopen", "l2"))
    ap.add_argument("--power-cases", type=int, default=None, help="cases a side")
    ap.add_argument(
        "--truth", type=float, default=None, help="true effect (default: measured)"
    )
    args = ap.parse_args()
    deps = tuple(args.dependence.split(","))
    t0 = time.process_time()
    for queue in args.queues.split(","):
        estimates: dict[tuple[str, str], list[float]] = {}
        if args.seeds:
            hits, estimates = aa_study(
                queue,
                args.seeds,
                args.resamples,
                dependence=deps,
                first_run=args.first_run,
            )
            print_table(
                f"{queue}: A/A, {args.seeds} runs, share called significant at 5 %",
                hits,
                args.seeds,
                deps,
            )
            for (metric, stat), est in estimates.items():
                print(
                    f"A/A {metric} {stat}: mean of the estimates {np.mean(est):.4g} "
                    f"(its SE {np.std(est, ddof=1) / math.sqrt(len(est)):.2g}), "
                    f"sd {np.std(est, ddof=1):.4g}"
                )
            print_widths(deps)
            print_blocks(queue)
        if args.power_seeds:
            metric, found, covered = power_study(
                queue,
                args.power_seeds,
                args.resamples,
                args.change,
                deps,
                args.power_cases,
                args.truth,
            )
            print_table(
                f"{queue}: planted improvement ({args.change}), {args.power_seeds} "
                "runs, share found (interval below 0)",
                found,
                args.power_seeds,
                deps,
            )
            print_table(
                f"{queue}: share of intervals holding the true effect",
                covered,
                args.power_seeds,
                deps,
            )
            print_blocks(queue)
        print(f"({time.process_time() - t0:.0f} s CPU so far)", flush=True)


if __name__ == "__main__":
    main()
