"""Intervals: hand-computed values, parity with scipy/statsmodels, coverage simulations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
)

from servops.errors import InvalidParameterError
from servops.improve.intervals import (
    _loo,
    bootstrap_differences,
    exact_interval,
    newcombe_interval,
    statistic_value,
    wilson_interval,
)


def test_wilson_by_hand():
    # x = 8, n = 10, z = 1.959964: centre (0.8 + z²/20) / (1 + z²/10)
    z = 1.959963984540054
    centre = (0.8 + z * z / 20) / (1 + z * z / 10)
    half = z / (1 + z * z / 10) * math.sqrt(0.8 * 0.2 / 10 + z * z / 400)
    iv = wilson_interval(8, 10)
    assert iv.low == pytest.approx(centre - half, abs=1e-12)
    assert iv.high == pytest.approx(centre + half, abs=1e-12)
    assert (round(iv.low, 4), round(iv.high, 4)) == (0.4902, 0.9433)


def test_exact_by_hand():
    # x = 0: upper end solves (1 - p)^n = alpha / 2; x = n: lower end solves p^n = alpha/2
    assert exact_interval(0, 10).high == pytest.approx(1 - 0.025 ** (1 / 10))
    assert exact_interval(10, 10).low == pytest.approx(0.025 ** (1 / 10))
    assert exact_interval(0, 10).low == 0.0
    assert exact_interval(10, 10).high == 1.0


@given(
    n=st.integers(1, 400),
    frac=st.floats(0, 1),
    level=st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_parity_with_statsmodels_one_rate(n, frac, level):
    x = round(frac * n)
    for ours, method in ((wilson_interval, "wilson"), (exact_interval, "beta")):
        iv = ours(x, n, level=level)
        low, high = proportion_confint(x, n, alpha=1 - level, method=method)
        assert iv.low == pytest.approx(low, abs=1e-9)
        assert iv.high == pytest.approx(high, abs=1e-9)
        assert iv.low <= iv.estimate <= iv.high


def test_newcombe_paper_examples():
    # Newcombe (1998) Stat Med 17:873, table II, method 10
    # (a) 56/70 vs 48/80; by hand for 0/10 vs 0/20: the Wilson upper ends are
    # z²/(n + z²) = 0.2775 (n = 10) and 0.1611 (n = 20), the estimates are 0
    cases = [
        ((48, 80, 56, 70), (0.0524, 0.3339)),
        ((0, 20, 0, 10), (-0.1611, 0.2775)),
    ]
    for (xb, nb, xa, na), (lo, hi) in cases:
        iv = newcombe_interval(xb, nb, xa, na)
        assert (round(iv.low, 4), round(iv.high, 4)) == (lo, hi)


@given(
    nb=st.integers(1, 300),
    na=st.integers(1, 300),
    fb=st.floats(0, 1),
    fa=st.floats(0, 1),
)
def test_newcombe_parity_with_statsmodels(nb, na, fb, fa):
    xb, xa = round(fb * nb), round(fa * na)
    iv = newcombe_interval(xb, nb, xa, na)
    low, high = confint_proportions_2indep(xa, na, xb, nb, method="newcomb")
    assert iv.low == pytest.approx(low, abs=1e-9)
    assert iv.high == pytest.approx(high, abs=1e-9)


def test_bad_counts_are_refused():
    with pytest.raises(InvalidParameterError, match="'successes' parameter"):
        wilson_interval(11, 10)
    with pytest.raises(InvalidParameterError, match="'n' parameter"):
        exact_interval(0, 0)
    with pytest.raises(InvalidParameterError, match="whole numbers"):
        wilson_interval(2.5, 10)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'level' parameter"):
        wilson_interval(2, 10, level=95)


def test_wilson_coverage_simulation():
    # 4000 binomial draws at p = 0.1, n = 60: coverage near 95 % (Wilson is close)
    rng = np.random.default_rng(5)
    xs = rng.binomial(60, 0.1, 4000)
    covers = {
        x: wilson_interval(x, 60).low <= 0.1 <= wilson_interval(x, 60).high
        for x in range(61)
    }
    cov = np.mean([covers[int(x)] for x in xs])
    assert 0.93 < cov < 0.97


@pytest.mark.parametrize("stat", ["mean", "median", "p90"])
def test_leave_one_out_matches_brute_force(stat):
    rng = np.random.default_rng(1)
    for n in (2, 3, 4, 7, 20):
        x = rng.exponential(size=n)
        fast = np.sort(_loo(x, stat))
        slow = np.sort([statistic_value(np.delete(x, i), stat) for i in range(n)])
        np.testing.assert_allclose(fast, slow, rtol=1e-12)


def test_bootstrap_point_estimates_are_the_sample_statistics():
    before = np.array([1.0, 2, 3, 4, 100])
    after = np.array([1.0, 1, 2, 2, 3, 50])
    d = bootstrap_differences(before, after, seed=3, n_resamples=500)
    assert d["mean"].estimate == pytest.approx(59 / 6 - 22)
    assert d["median"].estimate == pytest.approx(2.0 - 3.0)
    assert d["p90"].estimate == pytest.approx(
        np.quantile(after, 0.9) - np.quantile(before, 0.9)
    )


def test_bootstrap_is_seeded():
    x, y = np.arange(30.0), np.arange(30.0) ** 1.1
    a = bootstrap_differences(x, y, seed=9, n_resamples=300)
    b = bootstrap_differences(x, y, seed=9, n_resamples=300)
    assert a == b


@pytest.mark.parametrize("method", ["percentile", "BCa"])
@pytest.mark.parametrize("stat", ["mean", "median"])
def test_bootstrap_parity_with_scipy(method, stat):
    rng = np.random.default_rng(11)
    before = rng.lognormal(3.0, 0.8, 300)
    after = rng.lognormal(2.8, 0.8, 250)
    ours = bootstrap_differences(
        before,
        after,
        statistics=(stat,),
        method="bca" if method == "BCa" else "percentile",
        n_resamples=4000,
        seed=1,
    )[stat]
    f = np.mean if stat == "mean" else np.median
    ref = stats.bootstrap(
        (before, after),
        lambda b, a, axis: f(a, axis=axis) - f(b, axis=axis),
        method=method,
        n_resamples=4000,
        random_state=2,
    ).confidence_interval
    width = ref.high - ref.low
    # two Monte Carlo runs differ by a few per cent of the width
    assert ours.low == pytest.approx(ref.low, abs=0.1 * width)
    assert ours.high == pytest.approx(ref.high, abs=0.1 * width)


def test_bca_acceleration_matches_scipy_exactly():
    # same resamples -> same BCa interval: check via scipy's internals on the jackknife
    from servops.improve.intervals import _acceleration

    rng = np.random.default_rng(4)
    b, a = rng.exponential(size=15), rng.exponential(size=12)
    n_b, n_a = b.size, a.size
    nums = dens = 0.0
    for x, n in ((b, n_b), (a, n_a)):
        theta = np.array([np.median(np.delete(x, i)) for i in range(n)])
        u = (n - 1) * (theta.mean() - theta)
        nums += (u**3).sum() / n**3
        dens += (u**2).sum() / n**2
    assert _acceleration((b, a), "median") == pytest.approx(nums / (6 * dens**1.5))


def test_bootstrap_coverage_simulation():
    # difference of means of two exponentials (true difference 0.5): BCa covers ~95 %
    rng = np.random.default_rng(21)
    hits = 0
    runs = 200
    for _ in range(runs):
        b = rng.exponential(2.0, 80)
        a = rng.exponential(1.5, 80)
        iv = bootstrap_differences(
            b, a, statistics=("mean",), n_resamples=500, seed=rng
        )["mean"]
        hits += iv.low <= -0.5 <= iv.high
    # binomial 99 % band around 0.95 for 200 runs is about 0.91-0.99
    assert 0.89 <= hits / runs <= 0.99


def test_bootstrap_bad_input():
    with pytest.raises(InvalidParameterError, match="'before' sample"):
        bootstrap_differences([1.0], [1.0, 2.0])
    with pytest.raises(InvalidParameterError, match="NaN"):
        bootstrap_differences([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(InvalidParameterError, match="'method' parameter"):
        bootstrap_differences([1.0, 2], [1.0, 2.0], method="bc")  # type: ignore[arg-type]
