"""before_after on dependent cases: block bootstrap of arrival days (issue 19)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from benchmarks.bench_before_after import aa_log, mmc_model
from scipy import stats

import servops as so
from servops.errors import InvalidParameterError
from servops.improve import before_after, beforeafter
from servops.improve.censoring import censored_differences
from servops.improve.intervals import (
    Statistic,
    _block_weights,
    _weighted_stat_rows,
    block_bootstrap_differences,
    block_length,
    bootstrap_differences,
    expanded_alpha,
    newcombe_interval,
    optimal_block_length,
)
from tests.unit.improve.synth import START, tickets
from tests.unit.improve.test_beforeafter import CHANGE, _planted


def test_weighted_statistics_are_those_of_the_repeated_sample():
    rng = np.random.default_rng(4)
    x = np.sort(rng.exponential(size=9))
    w = rng.integers(0, 4, (50, 9)).astype(float)
    w[:, 0] += 1  # no empty resample
    quantiles: list[tuple[Statistic, float]] = [("median", 0.5), ("p90", 0.9)]
    for stat, q in quantiles:
        got = _weighted_stat_rows(x, w, stat)
        want = [np.quantile(np.repeat(x, row.astype(int)), q) for row in w]
        np.testing.assert_allclose(got, want)
    np.testing.assert_allclose(
        _weighted_stat_rows(x, w, "mean"),
        [np.repeat(x, row.astype(int)).mean() for row in w],
    )


def test_block_weights_draw_whole_periods_in_circular_blocks():
    # 5 periods, values 0,0,1,2,2,3,4 ; blocks of 2 cut to 5 periods a resample
    u = np.array([0, 0, 1, 2, 2, 3, 4])
    w = _block_weights(u, 2, 400, np.random.default_rng(0))
    per_period = w[:, [0, 2, 3, 5, 6]]
    assert (per_period.sum(axis=1) == 5).all()
    # values of the same period always come together
    assert (w[:, 0] == w[:, 1]).all() and (w[:, 3] == w[:, 4]).all()
    # each block is two consecutive periods (4 -> 0 wraps round): a period drawn as
    # the first of a block brings the next one, so neighbours co-occur more often
    together = (per_period[:, 4] > 0) & (per_period[:, 0] > 0)
    apart = (per_period[:, 4] > 0) & (per_period[:, 2] > 0)
    assert together.mean() > apart.mean()


def test_one_period_blocks_are_the_cluster_bootstrap_by_hand():
    # two periods a side, block 1: each resample is (p0, p0), (p0, p1), (p1, p0) or
    # (p1, p1); the before mean takes the values 1, 2 (twice as likely) and 3
    w = _block_weights(np.array([0, 1]), 1, 4000, np.random.default_rng(1))
    means = _weighted_stat_rows(np.array([1.0, 3.0]), w, "mean")
    values, counts = np.unique(means, return_counts=True)
    assert values.tolist() == [1.0, 2.0, 3.0]
    assert counts / counts.sum() == pytest.approx([0.25, 0.5, 0.25], abs=0.03)


def test_expanded_alpha_by_hand():
    # K = 12: z = sqrt(12 / 11) * t(0.975, 11) = 1.04447 * 2.20099 = 2.29887
    assert expanded_alpha(0.95, 12) == pytest.approx(stats.norm.sf(2.29887), rel=1e-4)
    assert expanded_alpha(0.95, 1.0) == expanded_alpha(0.95, 2.0)  # at least 2


def test_block_length_reads_the_dependence_of_the_daily_means():
    rng = np.random.default_rng(0)
    day = np.repeat(np.arange(80), 10)
    iid = rng.normal(size=800)
    assert (
        block_length(
            iid[:400], iid[400:], units_before=day[:400], units_after=day[400:]
        )
        <= 3
    )
    level = np.zeros(80)
    for t in range(1, 80):
        level[t] = 0.9 * level[t - 1] + rng.normal()
    x = level[day] + rng.normal(size=800)
    assert (
        block_length(x[:400], x[400:], units_before=day[:400], units_after=day[400:])
        >= 4
    )
    # a constant series has no dependence to read
    assert optimal_block_length(np.ones(20)) == 1.0
    with pytest.raises(InvalidParameterError, match="at least 3"):
        optimal_block_length([1.0, 2.0])


def test_block_bootstrap_bad_input():
    with pytest.raises(InvalidParameterError, match="one period per value"):
        block_bootstrap_differences(
            [1.0, 2], [1.0, 2], units_before=[0], units_after=[0, 1]
        )
    with pytest.raises(InvalidParameterError, match="at least 2 periods"):
        block_bootstrap_differences(
            [1.0, 2], [1.0, 2], units_before=[0, 0], units_after=[0, 1]
        )
    with pytest.raises(InvalidParameterError, match="'block' parameter"):
        block_bootstrap_differences(
            [1.0, 2], [1.0, 2], units_before=[0, 1], units_after=[0, 1], block=0
        )


def test_none_is_the_case_bootstrap_and_day_is_the_default():
    log = _planted()
    none = before_after(log, CHANGE, "lead_time", seed=1, dependence="none")
    assert none.resampling is not None and none.resampling.method == "bca"
    assert none.effects["median"].method == "bca"
    day = before_after(log, CHANGE, "lead_time", seed=1)
    rs = day.resampling
    assert rs is not None and rs.dependence == "day" and rs.block == 7
    # 200 tickets a side over 30 days each: one period per calendar day, whole-week
    # blocks, 4.3 a side: too few, so widened to cover the case interval too
    assert rs.periods_before == 30 and rs.periods_after == 30 and not rs.enough
    assert day.effects["median"].method == "block-percentile-widened"
    assert day.effects["median"].low <= none.effects["median"].low
    assert day.effects["median"].estimate == none.effects["median"].estimate
    assert day.to_dict()["resampling"] == rs.to_dict()
    with pytest.raises(InvalidParameterError, match="'dependence' parameter"):
        before_after(log, CHANGE, "lead_time", dependence="month")  # type: ignore[arg-type]


def test_none_reproduces_the_independent_bootstrap():
    log = _planted()
    r = before_after(
        log, CHANGE, "lead_time", seed=3, n_resamples=300, dependence="none"
    )
    import servops as so

    cm = so.kpi.case_metrics(log).sort_by("case_id")
    lead = np.array(cm.column("lead_time_s").to_pylist())
    after = np.array([t >= r.change_at for t in cm.column("arrived_at").to_pylist()])
    want = bootstrap_differences(lead[~after], lead[after], n_resamples=300, seed=3)
    # compared as values: a doctest run of intervals.py may load a second Interval class
    assert r.effects["p90"].to_dict() == want["p90"].to_dict()


def test_too_few_periods_to_judge_is_said():
    # 8 days before, 8 after: fewer than 10 blocks on a side
    arrivals = np.concatenate(
        [np.linspace(720 - 191, 719, 80), np.linspace(720, 911, 80)]
    )
    lead = np.random.default_rng(2).uniform(1, 5, 160)
    r = before_after(tickets(arrivals, lead), CHANGE, "lead_time", seed=1)
    assert r.resampling is not None and not r.resampling.enough
    assert any(n.startswith("Too few periods to judge") for n in r.notes)
    assert "Too few periods to judge" in r.summary
    assert all(iv.method == "block-percentile-widened" for iv in r.effects.values())
    # widened to cover the case-resampling interval as well (Newcombe's, for a rate)
    flags = np.random.default_rng(5).uniform(size=160) < 0.3
    rate = before_after(tickets(arrivals, lead, reopened=flags), CHANGE, "reopened")
    iv = rate.effects["rate"]
    nc = newcombe_interval(int(flags[:80].sum()), 80, int(flags[80:].sum()), 80)
    assert iv.low <= nc.low and iv.high >= nc.high and iv.estimate == nc.estimate
    weekly = before_after(
        tickets(arrivals, lead), CHANGE, "lead_time", dependence="week"
    )
    assert weekly.resampling is not None and weekly.resampling.periods_before <= 3


def test_adjusted_difference_resamples_the_same_days():
    rng = np.random.default_rng(3)
    n = 300
    arrivals = np.concatenate(
        [np.sort(rng.uniform(0, 719, n)), np.sort(rng.uniform(720, 1439, n))]
    )
    prio = np.where(rng.uniform(size=2 * n) < 0.3, "P1", "P3")
    lead = np.where(prio == "P1", 2.0, 10.0) + rng.uniform(-0.5, 0.5, 2 * n)
    r = before_after(
        tickets(arrivals, lead, priority=prio), CHANGE, "lead_time", seed=2
    )
    adj = r.adjusted
    assert adj is not None and adj.difference.method == "block-percentile"
    assert adj.difference.low < 0 < adj.difference.high


def _weekday_desk(days: int = 72, per_day: int = 10):
    """``days`` of arrivals a side; weekend arrivals wait 48 h more (a weekday make-up
    that moves the lead time), independent days; the change time."""
    rng = np.random.default_rng(7)
    n = days * per_day
    arrivals = np.sort(rng.uniform(0, 2 * days * 24, 2 * n))
    weekend = np.array(
        [(START + timedelta(hours=float(h))).weekday() >= 5 for h in arrivals]
    )
    lead = 2.0 + 48.0 * weekend + rng.exponential(4.0, 2 * n)
    return tickets(arrivals, lead), START + timedelta(days=days)


def test_seasonal_blocks_are_whole_weeks_starting_on_their_weekday(monkeypatch):
    # Politis's seasonal block bootstrap (_DAY_STARTS = "phase"): the rule's block
    # rounded up to whole weeks, each block starting on the weekday of the day it
    # replaces; the interval is block_bootstrap_differences' with those blocks (the
    # same draws from the same seed)
    log, at = _weekday_desk()
    monkeypatch.setattr(beforeafter, "_DAY_STARTS", "phase")
    r = before_after(log, at, "lead_time", mix=[], seed=4, n_resamples=400)
    rs = r.resampling
    assert rs is not None and rs.block == 7
    assert (rs.periods_before, rs.periods_after) == (72, 72) and rs.enough
    cm = so.kpi.case_metrics(log).sort_by("case_id")
    lead = np.array(cm.column("lead_time_s").to_pylist())
    arrived = cm.column("arrived_at").to_pylist()
    after = np.array([t >= at for t in arrived])
    day = np.array([t.date().toordinal() for t in arrived])
    sides = {
        "before": lead[~after],
        "after": lead[after],
        "units_before": day[~after],
        "units_after": day[after],
    }
    assert block_length(**sides, cycle=7, whole_cycles=True) == 7
    want = block_bootstrap_differences(
        **sides, block=7, cycle=7, starts="phase", n_resamples=400, seed=4
    )
    assert {k: v.to_dict() for k, v in r.effects.items()} == {
        k: v.to_dict() for k, v in want.items()
    }
    # blocks of the rule's length starting on any day: other draws, other intervals
    monkeypatch.setattr(beforeafter, "_DAY_STARTS", "any")
    anywhere = before_after(log, at, "lead_time", mix=[], seed=4, n_resamples=400)
    rs = anywhere.resampling
    assert rs is not None and rs.block == block_length(**sides, cycle=7)
    want = block_bootstrap_differences(
        **sides, block=rs.block, cycle=7, n_resamples=400, seed=4
    )
    assert anywhere.effects["mean"].to_dict() == want["mean"].to_dict()
    assert anywhere.effects["mean"] != r.effects["mean"]


def test_seasonal_blocks_with_open_cases(monkeypatch):
    # the same desk seen 12 h before its last arrival: the cases still open are
    # right-censored at their wait, and the censored statistics are resampled in the
    # same whole-week blocks starting on their weekday
    full, at = _weekday_desk()
    cm = so.kpi.case_metrics(full).sort_by("case_id")
    arrived = cm.column("arrived_at").to_pylist()
    end = max(arrived) - timedelta(hours=12)
    log = full.where(f"\"timestamp\" <= TIMESTAMPTZ '{end.isoformat()}'")
    monkeypatch.setattr(beforeafter, "_DAY_STARTS", "phase")
    r = before_after(log, at, "lead_time", mix=[], seed=4, n_resamples=400)
    assert r.censoring is not None and r.censoring.open_after > 0
    rs = r.resampling
    assert rs is not None and rs.block == 7 and rs.enough
    lead = np.array(cm.column("lead_time_s").to_pylist())
    keep = np.array([t <= end for t in arrived])
    waited = np.array([(end - t).total_seconds() for t in arrived])
    is_open = keep & (
        np.array([t.timestamp() for t in arrived]) + lead > end.timestamp()
    )
    x = np.where(is_open, waited, lead)[keep]
    c = is_open[keep]
    day = np.array([t.date().toordinal() for t in arrived])[keep]
    after = np.array([t >= at for t in arrived])[keep]
    want = censored_differences(
        (x[~after], c[~after]),
        (x[after], c[after]),
        statistics=("median", "p90", "restricted_mean"),
        horizon_s=r.censoring.horizon_s,
        units_before=day[~after],
        units_after=day[after],
        block=7,
        cycle=7,
        starts="phase",
        n_resamples=400,
        seed=4,
    )
    assert r.effects["median"].to_dict() == want["median"].to_dict()


def _aa_hits(dependence: str, seeds: range, cases: int) -> int:
    model = mmc_model()
    hits = 0
    for s in seeds:
        log, at = aa_log(model, cases, 1000 + s)
        r = before_after(
            log,
            at,
            "lead_time",
            mix=[],
            seed=s,
            n_resamples=300,
            dependence=dependence,  # type: ignore[arg-type]
        )
        hits += int(r.effects["mean"].excludes(0.0))
    return hits


@pytest.mark.slow
def test_aa_on_a_queue_quick():
    # M/M/10 at utilisation 0.9, no change: resampling cases calls 90 % of mean
    # lead-time differences significant (benchmarks/RESULTS.md); 4 seeds: today's
    # method rejects in at least 3, the day blocks in at most 1
    seeds = range(4)
    assert _aa_hits("none", seeds, 9000) >= 3
    assert _aa_hits("day", seeds, 9000) <= 1


@pytest.mark.slow
def test_aa_on_a_queue_holds_alpha_over_seeds():
    # 30 runs of 15,000 cases (about 34 days a side): day blocks stay within the
    # binomial 99 % band around 5 % (at most 5 of 30; measured 3 of 40 in RESULTS),
    # while resampling cases rejects in most runs (measured 36 of 40)
    seeds = range(30)
    upper = int(stats.binom.ppf(0.995, len(seeds), 0.05))
    assert _aa_hits("day", seeds, 15000) <= upper
    assert _aa_hits("none", seeds, 15000) >= 20
