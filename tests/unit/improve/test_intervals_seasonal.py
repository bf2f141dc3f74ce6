"""Block length and block starts with a weekly cycle (``cycle``), issue 19 session 24."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from servops.errors import InvalidParameterError
from servops.improve.censoring import censored_differences
from servops.improve.intervals import (
    Interval,
    _block_weights,
    block_bootstrap_differences,
    block_length,
)

#: A desk's weekday profile, Monday first: busy Mondays, empty-ish weekends.
WEEK = np.array([9.0, 6, 5, 5, 7, 1, 0])


def _split(x, day):
    h = x.size // 2
    return {
        "before": x[:h],
        "after": x[h:],
        "units_before": day[:h],
        "units_after": day[h:],
    }


def test_a_pure_weekly_cycle_is_not_dependence():
    # 10 values a day over 12 weeks, each day's values its weekday's level: with each
    # weekday's mean taken out nothing is left, so there is nothing to block (1);
    # read as it is, the cycle looks like dependence lasting for weeks
    day = np.repeat(np.arange(84), 10)
    x = WEEK[day % 7]
    assert block_length(**_split(x, day), cycle=7) == 1
    assert block_length(**_split(x, day)) >= 7


def test_weekly_cycle_with_independent_days_gives_short_blocks():
    # the same cycle plus independent noise: with cycle=7 the block is what the rule
    # gives on white noise (1-3 at this length), without it the cycle's weeks
    with_cycle, without = [], []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        day = np.repeat(np.arange(84), 10)
        x = WEEK[day % 7] + rng.normal(size=day.size)
        with_cycle.append(block_length(**_split(x, day), cycle=7))
        without.append(block_length(**_split(x, day)))
    assert np.median(with_cycle) <= 2 and max(with_cycle) <= 5
    assert min(without) >= 7


def test_dependence_between_days_still_gives_long_blocks():
    # the weekly cycle on top of a day level that moves slowly (AR(1), 0.9 a day):
    # taking the weekday means out leaves the dependence to be read
    blocks = []
    for seed in range(10):
        rng = np.random.default_rng(seed)
        level = np.zeros(84)
        for t in range(1, 84):
            level[t] = 0.9 * level[t - 1] + rng.normal()
        day = np.repeat(np.arange(84), 10)
        x = WEEK[day % 7] + level[day] + rng.normal(size=day.size)
        blocks.append(block_length(**_split(x, day), cycle=7))
    assert np.median(blocks) >= 5 and min(blocks) >= 3


def test_missing_days_keep_their_weekday():
    # weekends empty (no values): the phases come from the day numbers, not from the
    # position in the series, so the five-day cycle is still taken out
    day = np.repeat(np.arange(84), 10)
    weekday = day[day % 7 < 5]
    x = WEEK[weekday % 7]
    assert block_length(**_split(x, weekday), cycle=7) == 1


def test_seasonal_starts_keep_each_weekdays_count():
    # 3 weeks of days 0..20 (phase = day % 7): with blocks of 1 every resample holds
    # each weekday exactly 3 times; with blocks of 7 starting on the right weekday every
    # block is a whole week (no wrap: 21 is a multiple of 7)
    u = np.arange(21)
    phase = u % 7
    for b in (1, 7):
        w = _block_weights(u, b, 500, np.random.default_rng(b), phase)
        per_weekday = np.stack([w[:, phase == p].sum(axis=1) for p in range(7)])
        assert (per_weekday == 3).all()
    # without the phases a resample of single days misses some weekdays
    w = _block_weights(u, 1, 500, np.random.default_rng(1))
    per_weekday = np.stack([w[:, phase == p].sum(axis=1) for p in range(7)])
    assert (per_weekday != 3).any(axis=0).mean() > 0.9


def test_seasonal_starts_draw_every_day_of_the_weekday_alike():
    # a start of phase p is drawn uniformly among the periods of phase p
    u = np.arange(21)
    w = _block_weights(u, 1, 6000, np.random.default_rng(2), u % 7)
    share = w.sum(axis=0) / 6000  # expected appearances: 1 each
    assert share == pytest.approx(np.ones(21), abs=0.06)


def test_seasonal_bootstrap_spread_is_the_sampling_spread():
    # independent days, a strong weekday profile, each side 12 weeks: the spread of
    # the mean difference across calendars is sqrt(2 (s_day^2 + s^2 / n) / D) since
    # the weekdays are fixed; resampling days regardless of their weekday adds the
    # profile's own variance (8.8 here) and gives intervals sqrt(9.9 / 1.1) = 3 times
    # as wide
    rng = np.random.default_rng(5)
    day = np.repeat(np.arange(168), 10)
    x = WEEK[day % 7] + rng.normal(size=168)[day] + rng.normal(size=day.size)
    sides = _split(x, day)
    true_sd = np.sqrt(2 * (1 + 1 / 10) / 84)
    z = 1.96 * 2
    width = {}
    for cycle in (None, 7):
        iv = block_bootstrap_differences(
            **sides,
            block=1,
            cycle=cycle,
            starts="any" if cycle is None else "phase",
            statistics=("mean",),
            seed=1,
        )["mean"]
        width[cycle] = iv.high - iv.low
    # the expanded interval over 84 blocks is about 1 % wider than the plain one
    assert width[7] == pytest.approx(z * true_sd, rel=0.15)
    assert width[None] > 2.5 * width[7]


def test_a_cycle_sets_the_block_length_and_blocks_start_anywhere():
    # cycle=7 with block=None is the plain block bootstrap at the seasonal block length
    rng = np.random.default_rng(3)
    day = np.repeat(np.arange(84), 5)
    x = WEEK[day % 7] + rng.normal(size=day.size)
    sides = _split(x, day)
    b = block_length(**sides, cycle=7)
    assert b < block_length(**sides)
    auto = block_bootstrap_differences(**sides, cycle=7, n_resamples=200, seed=4)
    fixed = block_bootstrap_differences(**sides, block=b, n_resamples=200, seed=4)
    assert auto == fixed


def test_whole_cycles_round_the_block_up_to_whole_weeks():
    # the rule's block, rounded up to a multiple of the cycle (at least one cycle):
    # Politis's seasonal block bootstrap
    rng = np.random.default_rng(3)
    day = np.repeat(np.arange(84), 5)
    level = np.zeros(84)
    for t in range(1, 84):
        level[t] = 0.9 * level[t - 1] + rng.normal()
    for x in (WEEK[day % 7] + rng.normal(size=day.size), level[day]):
        sides = _split(x, day)
        b = block_length(**sides, cycle=7)
        weeks = block_length(**sides, cycle=7, whole_cycles=True)
        assert weeks % 7 == 0
        assert b <= weeks < b + 7
    # a pure cycle: block 1 becomes one week
    sides = _split(WEEK[day % 7], day)
    assert block_length(**sides, cycle=7, whole_cycles=True) == 7
    with pytest.raises(InvalidParameterError, match="'whole_cycles' parameter"):
        block_length(**sides, whole_cycles=True)


def uncensored_restricted_mean(sides: dict[str, Any], **kw: Any) -> Interval:
    """``censored_differences``' restricted-mean interval with nothing censored and the
    horizon past every value: the restricted mean is the mean."""
    return censored_differences(
        (sides["before"], np.zeros(len(sides["before"]), dtype=bool)),
        (sides["after"], np.zeros(len(sides["after"]), dtype=bool)),
        statistics=("restricted_mean",),
        horizon_s=100.0,
        units_before=sides["units_before"],
        units_after=sides["units_after"],
        **kw,
    )["restricted_mean"]


def test_censored_seasonal_blocks_are_the_block_bootstraps():
    # nothing censored and the horizon past every value: the restricted mean is the
    # mean, and censored_differences with same-weekday starts draws the very blocks
    # block_bootstrap_differences draws (same seed), so the intervals agree
    rng = np.random.default_rng(6)
    day = np.repeat(np.arange(84), 5)
    x = WEEK[day % 7] + rng.normal(size=84)[day] + rng.normal(size=day.size)
    sides = _split(x, day)
    open_ = np.zeros(x.size // 2, dtype=bool)
    ends = {}
    for starts in ("phase", "any"):
        kw: dict[str, Any] = {
            "block": 7,
            "cycle": 7,
            "starts": starts,
            "n_resamples": 400,
            "seed": 8,
        }
        plain = block_bootstrap_differences(**sides, statistics=("mean",), **kw)
        censored = uncensored_restricted_mean(sides, **kw)
        ends[starts] = (censored.low, censored.high)
        assert ends[starts] == pytest.approx((plain["mean"].low, plain["mean"].high))
        assert censored.estimate == pytest.approx(plain["mean"].estimate)
    # the starts reach the draws: the two rules resample different calendars
    assert abs(ends["phase"][0] - ends["any"][0]) > 1e-3
    with pytest.raises(InvalidParameterError, match="'phase' only with a 'cycle'"):
        censored_differences(
            (sides["before"], open_),
            (sides["after"], open_),
            statistics=("median",),
            units_before=sides["units_before"],
            units_after=sides["units_after"],
            starts="phase",
        )


def test_cycle_bad_input():
    sides = _split(np.arange(20.0), np.repeat(np.arange(10), 2))
    for bad in (1, 0, True, 2.5):
        with pytest.raises(InvalidParameterError, match="'cycle' parameter"):
            block_length(**sides, cycle=bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidParameterError, match="'cycle' parameter"):
            block_bootstrap_differences(**sides, cycle=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'phase' only with a 'cycle'"):
        block_bootstrap_differences(**sides, starts="phase")
    with pytest.raises(InvalidParameterError, match="'starts' parameter"):
        block_bootstrap_differences(**sides, cycle=7, starts="week")  # type: ignore[arg-type]
    halves = _split(np.arange(20.0), np.repeat(np.arange(10) + 0.5, 2))
    with pytest.raises(InvalidParameterError, match="whole numbers when 'cycle'"):
        block_length(**halves, cycle=7)
    # without a cycle any sortable period will do
    assert block_length(**halves) >= 1
