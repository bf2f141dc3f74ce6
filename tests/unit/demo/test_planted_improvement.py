"""The demo's planted improvement, and before/after checked on the demo's twin.

The generator plants a change whose true effect is known by construction (the Access
reopen chance falls by REOPEN_CUT); the twin discovered from the demo desk is used for
simulation studies of the before/after comparison: with no change (A/A) its
false-positive rate on the reopen rate stays within the binomial interval of alpha, and
a planted change of the planned size is found with about the planned power.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest
from benchmarks.bench_before_after import (
    CASES_TWIN,
    WARMUP,
    aa_log,
    changed_model,
    twin_model,
)
from benchmarks.sim_power_study import (
    CUT,
    first_visit_reopen,
    planned_days,
    planted_days_log,
)
from scipy import stats

from servops.demo.generator import REOPEN_CUT, generate_service_desk
from servops.errors import InvalidParameterError
from servops.improve import (
    before_after,
    plan_before_after,
    power_proportions,
    sample_size_proportions,
)
from servops.improve.beforeafter import MIN_BLOCKS

ALPHA = 0.05


def _first_reopen(data, *, after: datetime | None) -> tuple[int, int]:
    """Access cases created after (or before) ``after`` that were resolved / reopened."""
    t = data.events.to_pylist()
    created = {
        r["case_id"]: r["timestamp"] for r in t if r["activity"] == "Ticket created"
    }
    access = {r["case_id"] for r in t if r["category"] == "Access"}
    resolved = {r["case_id"] for r in t if r["activity"] == "Resolved"}
    reopened = {r["case_id"] for r in t if r["activity"] == "Reopened"}
    keep = {c for c in access & resolved if after is None or created[c] >= after}
    return len(keep & reopened), len(keep)


def test_default_log_is_unchanged_and_midway_is_a_working_morning():
    plain = generate_service_desk(cases=400, seed=3)
    assert plain.improved_at is None
    planted = generate_service_desk(cases=400, seed=3, improve_at="midway")
    at = planted.improved_at
    assert at is not None
    assert (at.hour, at.minute, at.weekday() < 5) == (8, 0, True)
    arrivals = sorted(
        r["timestamp"]
        for r in plain.events.to_pylist()
        if r["activity"] == "Ticket created"
    )
    middle = arrivals[len(arrivals) // 2]
    assert middle < at <= middle + timedelta(days=4)
    # a change after the last arrival changes nothing
    late = generate_service_desk(
        cases=400, seed=3, improve_at=arrivals[-1] + timedelta(seconds=1)
    )
    assert late.events.equals(plain.events)
    assert late.feedback.equals(plain.feedback)


def test_midway_in_a_log_shorter_than_a_day_is_the_middle_ticket():
    data = generate_service_desk(cases=20, seed=3, improve_at="midway")
    arrivals = sorted(
        r["timestamp"]
        for r in data.events.to_pylist()
        if r["activity"] == "Ticket created"
    )
    assert data.improved_at == arrivals[len(arrivals) // 2]


def test_the_planted_cut_is_the_true_effect():
    # same seed with and without the change: among Access tickets created after it,
    # the reopen rate falls by REOPEN_CUT (within 3.5 standard errors)
    with_cut = generate_service_desk(cases=2500, seed=5, improve_at="midway")
    at = with_cut.improved_at
    without = generate_service_desk(cases=2500, seed=5, improve_at=None)
    k1, n1 = _first_reopen(with_cut, after=at)
    k0, n0 = _first_reopen(without, after=at)
    diff = k1 / n1 - k0 / n0
    se = math.sqrt(k1 / n1 * (1 - k1 / n1) / n1 + k0 / n0 * (1 - k0 / n0) / n0)
    assert abs(diff + REOPEN_CUT) < 3.5 * se


def test_bad_improve_at():
    with pytest.raises(InvalidParameterError, match="'improve_at' parameter"):
        generate_service_desk(cases=20, improve_at=datetime(2026, 9, 20))


@pytest.fixture(scope="module")
def twin():
    """The twin of the demo desk (no planted change) and the demo's KPI config."""
    return twin_model()


def _upper(n: int, p: float = ALPHA, level: float = 0.99) -> int:
    """The most false positives out of ``n`` that the binomial interval allows."""
    return int(stats.binom.ppf(1 - (1 - level) / 2, n, p))


def _lower(n: int, p: float = ALPHA, level: float = 0.99) -> int:
    """The fewest false positives out of ``n`` that the binomial interval allows."""
    return int(stats.binom.ppf((1 - level) / 2, n, p))


def _aa_false_positives(
    model,
    cfg,
    runs: int,
    cases: int,
    metrics: tuple[str, ...],
    n_resamples: int = 2000,
) -> dict[tuple[str, str], int]:
    """A/A at steady state (the warm-up dropped), ``before_after``'s default blocks."""
    hits: dict[tuple[str, str], int] = {}
    for s in range(runs):
        log, at = aa_log(model, cases, 1000 + s, WARMUP["twin"])
        for metric in metrics:
            ba = before_after(
                log, at, metric, config=cfg, mix=[], seed=s, n_resamples=n_resamples
            )
            for stat, iv in ba.effects.items():
                key = (metric, stat)
                hits[key] = hits.get(key, 0) + int(iv.excludes(0.0))
    return hits


def test_aa_on_the_twin_quick(twin):
    model, cfg = twin
    runs = 12
    hits = _aa_false_positives(model, cfg, runs, 400, ("reopened",))
    assert hits[("reopened", "rate")] <= _upper(runs)
    # the day blocks of a six-week A/A run (43 days a side): the rule reads the
    # first-response block with each weekday's mean taken out (3 days; 28 read with
    # the weekday cycle, before session 24) and it is rounded up to a whole week
    # whose blocks start on the weekday they replace (session 26): 6 blocks a side,
    # so the interval is widened to cover the case-resampling one
    log, at = aa_log(model, CASES_TWIN, 1000, WARMUP["twin"])
    ba = before_after(log, at, "first_response", config=cfg, mix=[], seed=0)
    rs = ba.resampling
    assert rs is not None and rs.block is not None
    assert (rs.periods_before, rs.periods_after) == (43, 43)
    assert rs.block == 7 and not rs.enough, rs
    assert rs.method == "block-percentile-widened"


@pytest.mark.slow
def test_aa_on_the_twin_holds_alpha(twin):
    # 120 A/A runs at steady state (two weeks of warm-up dropped), about 6 weeks a
    # side, before_after's default day blocks (1,000 resamples, as the benchmark, whose
    # 120 runs these are): every statistic within the two-sided binomial 99 % band of
    # 5 % (1 to 13 of 120), so neither too many false positives nor a conservative
    # interval. Measured (benchmarks/RESULTS.md, "Issue 19 session 26: seasonal
    # blocks"; open cases right-censored, so lead time has median / p90 / restricted
    # mean): lead time 12 / 7 / 2, first response 4 / 4 / 4, reopen rate 3. The
    # blocks are whole weeks starting on the weekday they replace (6 a side, so
    # widened to cover the case interval); blocks of the rule's 2-3 days starting
    # anywhere (sessions 24-25) gave first response 0 / 0 / 0 of 120, below the band
    # (a resample's weekday make-up varied). The median lead time is near the top
    # (0.10) under every block rule tried. Before the twin's capacity fix its L2 was
    # saturated and lead time rejected in 37-53 % of runs.
    model, cfg = twin
    runs = 120
    hits = _aa_false_positives(
        model,
        cfg,
        runs,
        CASES_TWIN,
        ("lead_time", "first_response", "reopened"),
        n_resamples=1000,
    )
    assert len(hits) == 7
    for key, k in hits.items():
        assert _lower(runs) <= k <= _upper(runs), (key, k, hits)


@pytest.fixture(scope="module")
def day_baseline_and_plan(twin):
    """The twin's day baseline (20,000 cases) and the plan for the planted cut."""
    model, cfg = twin
    changed, _ = changed_model("twin", model, "reopen")
    return planned_days(model, changed, cfg)


@pytest.fixture(scope="module")
def day_plan(day_baseline_and_plan):
    return day_baseline_and_plan[1]


@pytest.fixture(scope="module")
def planted_study(twin, day_plan) -> tuple[int, int, int, float]:
    """Runs with the reopen cut planted, the plan's days a side; runs whose interval
    lies below 0 by ``before_after``'s default (day blocks) and by resampling cases
    (``none``, Newcombe); the mean cases a side."""
    model, cfg = twin
    changed, metric = changed_model("twin", model, "reopen")
    runs = 200
    found_day = found_cases = 0
    cases = 0.0
    for s in range(runs):
        log, at = planted_days_log(model, changed, day_plan.days, 5000 + 2 * s)
        default = before_after(log, at, metric, config=cfg, mix=[], seed=s)
        rs = default.resampling
        assert rs is not None
        assert (rs.periods_before, rs.periods_after) == (day_plan.days,) * 2
        by_cases = before_after(
            log, at, metric, config=cfg, mix=[], seed=s, dependence="none"
        )
        found_day += int(default.effects["rate"].high < 0)
        found_cases += int(by_cases.effects["rate"].high < 0)
        cases += (default.before.measured + default.after.measured) / 2 / runs
    return runs, found_day, found_cases, cases


# A planted 5-point cut of the first-visit reopen chance (the twin's 14.1 % to 9.1 %),
# planned by plan_before_after from a 20,000-case baseline of the twin (59 cases a
# day, design effect 1.03) for the effect on the reopen rate measured (14.01 % to
# 9.07 % over 20,000 cases each: -4.94 points): 70 days a side, ~4,130 cases, power
# 1.00 (MIN_BLOCKS binds: 10 one-week blocks, the seasonal block bootstrap's; with
# session 25's 2-day blocks it was 20 days, power 0.91, and 172 of 200 were found).
# 200 runs: the binomial 99 % band of the plan's power is 200 of 200, which holds
# 0.6 or alpha with chance below 1e-13. Measured: all found, by the default and by
# Newcombe (benchmarks/RESULTS.md, "Issue 19 session 26: seasonal blocks", runs
# 0-99; this test, 200: 309 s CPU). The informative check is the 2-point cut there
# (85 days, power 0.80: 73 of 100). 1.5-1.9 s CPU a run (a twin run cut to 70 days
# a side, 1.1-1.3 s; two before_after, 0.5-0.6 s).
# benchmarks/sim_power_study.py prints the runs (its default is this plan).


@pytest.mark.slow
def test_the_plan_holds_for_cases_resampled_independently(planted_study, twin):
    # Newcombe's interval on the same logs, against the case-by-case power of the
    # cases the plan's days held
    runs, _, found_cases, cases = planted_study
    n = round(cases)
    p0 = first_visit_reopen(twin[0])
    power = power_proportions(n, n, p0, p0 - 0.05)
    lo, hi = stats.binom.interval(0.99, runs, power)
    assert lo <= found_cases <= hi, (found_cases, runs, n, power)


@pytest.mark.slow
def test_a_planted_change_is_found_with_the_planned_power(planted_study, day_plan):
    # before_after's default, day blocks, on the plan's days a side: found within
    # the binomial 99 % band of the power the plan states
    runs, found_day, _, cases = planted_study
    lo, hi = stats.binom.interval(0.99, runs, day_plan.power)
    # the band tells the plan's power from 0.6 and from alpha
    assert stats.binom.sf(lo - 1, runs, 0.6) < 1e-3
    assert stats.binom.sf(lo - 1, runs, ALPHA) < 1e-3
    assert lo <= found_day <= hi, (found_day, runs, day_plan, cases)


def test_planned_power_check_is_meaningful(twin, day_baseline_and_plan):
    # the plan's baseline is the twin's own rate, and the plan counts days: it needs
    # more than the case-by-case plan's 11 days and holds MIN_BLOCKS blocks of the
    # usual block length (a week); at the case-by-case plan's days every block length
    # leaves fewer, so the interval there is "too few periods to judge"
    base, plan = day_baseline_and_plan
    p = first_visit_reopen(twin[0])
    assert 0.08 < p < 0.2
    assert base.mean == pytest.approx(p, abs=0.01)
    n = sample_size_proportions(p, p - 0.05).n_control
    assert plan.case_by_case == pytest.approx(n, rel=0.05)
    assert plan.days >= MIN_BLOCKS * plan.block
    short = math.ceil(n / base.cases_per_day)
    assert plan.days > short
    assert plan.power >= 0.8
    assert plan.effect == pytest.approx(CUT, abs=0.005)
    assert plan.block == 7 and plan.days == MIN_BLOCKS * 7
    assert plan_before_after(base, plan.effect, days=short).p_widened == 1.0
