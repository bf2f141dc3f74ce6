"""Block resamples that keep each weekday's share of the cases (``shares="phase"``).

Issue 19 session 25: day blocks that start anywhere let a resample hold, say, three
Mondays fewer; post-stratifying each resample by weekday takes that make-up out of the
interval while the blocks still carry the dependence between days.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from servops.errors import InvalidParameterError
from servops.improve.intervals import (
    _block_weights,
    _phase_shares,
    _weighted_stat_rows,
    block_bootstrap_differences,
)
from tests.unit.improve.test_intervals_seasonal import (
    WEEK,
    _split,
    uncensored_restricted_mean,
)


def test_phase_shares_by_hand():
    # values of phases 0, 0, 1, 1 (shares 1/2 each); a resample that drew them
    # 2, 1, 1, 0 times holds phase 0 three times and phase 1 once: phase 0's weights
    # are scaled by (1/2) * 4 / 3 and phase 1's by (1/2) * 4 / 1
    phase = np.array([0, 0, 1, 1])
    w = np.array([[2.0, 1, 1, 0], [1, 1, 1, 1], [2, 2, 0, 0]])
    got = _phase_shares(w, phase)
    assert got[0] == pytest.approx([4 / 3, 2 / 3, 2, 0])
    # already at the sample's shares: unchanged
    assert (got[1] == w[1]).all()
    # phase 1 not drawn at all: nothing to scale, phase 0 keeps the whole weight
    assert (got[2] == w[2]).all()
    # the mean is each phase's resampled mean at the sample's shares:
    # 1/2 * (2 * 1 + 1 * 2) / 3 + 1/2 * 10
    x = np.array([1.0, 2, 10, 20])
    mean = _weighted_stat_rows(x, got, "mean")
    assert mean[0] == pytest.approx(0.5 * 4 / 3 + 0.5 * 10)
    assert mean[1] == pytest.approx(x.mean())
    # other shares (e.g. both sides' pooled): phase 0 a quarter of the weight
    pooled = _phase_shares(w[1:2], phase, np.array([0.25, 0.75]))
    assert pooled[0] == pytest.approx([0.5, 0.5, 1.5, 1.5])


def test_phase_shares_keep_totals_and_the_samples_shares():
    rng = np.random.default_rng(0)
    u = np.repeat(np.arange(40), rng.integers(1, 9, size=40))  # uneven days
    phase = u % 7
    w = _block_weights(u, 3, 300, rng)
    got = _phase_shares(w, phase)
    assert got.sum(axis=1) == pytest.approx(w.sum(axis=1))
    want = np.bincount(phase) / phase.size
    drawn_all = np.stack([w[:, phase == p].sum(axis=1) for p in range(7)]).T > 0
    shares = np.stack([got[:, phase == p].sum(axis=1) for p in range(7)]).T
    shares /= got.sum(axis=1, keepdims=True)
    full = drawn_all.all(axis=1)
    assert full.mean() > 0.9
    assert shares[full] == pytest.approx(np.broadcast_to(want, shares[full].shape))
    # the drawn shares did vary: the scaling changed something
    assert not np.allclose(got, w)


def test_one_phase_is_the_plain_block_bootstrap():
    # weekly periods with a cycle of 7 days all share one phase: nothing to balance,
    # the same seed gives the same interval as weighing the phases as drawn
    rng = np.random.default_rng(1)
    week = np.repeat(np.arange(0, 7 * 30, 7), 6)
    x = rng.exponential(size=week.size)
    sides = _split(x, week)
    kw: dict[str, Any] = {"block": 2, "cycle": 7, "n_resamples": 300, "seed": 2}
    assert block_bootstrap_differences(
        **sides, shares="phase", **kw
    ) == block_bootstrap_differences(**sides, shares="drawn", **kw)


def test_a_pure_weekly_cycle_has_no_spread_with_phase_shares():
    # each value its weekday's level, the same calendar on both sides: the difference
    # of means is 0 in every calendar; resampled days with their weekday make-up
    # drawn still give a wide interval, balanced ones give exactly 0
    day = np.repeat(np.arange(84), 10)
    x = WEEK[day % 7]
    sides = _split(x, day)
    kw: dict[str, Any] = {"block": 2, "cycle": 7, "statistics": ("mean",), "seed": 3}
    drawn = block_bootstrap_differences(**sides, **kw)["mean"]
    balanced = block_bootstrap_differences(**sides, shares="phase", **kw)["mean"]
    assert drawn.high - drawn.low > 0.5
    assert balanced.low == pytest.approx(0, abs=1e-9)
    assert balanced.high == pytest.approx(0, abs=1e-9)
    # the censored path (nothing censored, horizon past every value: the restricted
    # mean is the mean) balances the same way
    ivs = uncensored_restricted_mean(
        sides, block=2, cycle=7, shares="phase", n_resamples=300, seed=3
    )
    assert (ivs.low, ivs.high) == pytest.approx((0, 0), abs=1e-9)


def test_phase_shares_spread_is_the_sampling_spread():
    # independent days, a strong weekday profile, 12 weeks a side (as
    # test_intervals_seasonal's gsbb check): with the weekday shares fixed the
    # interval has the width of the spread across calendars, not the profile's
    rng = np.random.default_rng(5)
    day = np.repeat(np.arange(168), 10)
    x = WEEK[day % 7] + rng.normal(size=168)[day] + rng.normal(size=day.size)
    true_sd = np.sqrt(2 * (1 + 1 / 10) / 84)
    iv = block_bootstrap_differences(
        **_split(x, day),
        block=1,
        cycle=7,
        shares="phase",
        statistics=("mean",),
        seed=1,
    )["mean"]
    assert iv.high - iv.low == pytest.approx(2 * 1.96 * true_sd, rel=0.15)


def test_shares_bad_input():
    sides = _split(np.arange(20.0), np.repeat(np.arange(10), 2))
    with pytest.raises(InvalidParameterError, match="'phase' only with a 'cycle'"):
        block_bootstrap_differences(**sides, shares="phase")
    with pytest.raises(InvalidParameterError, match="'shares' parameter"):
        block_bootstrap_differences(**sides, cycle=7, shares="weekday")  # type: ignore[arg-type]
