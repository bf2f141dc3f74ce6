"""Interrupted time series: hand-computed fit, statsmodels parity, false-positive rate."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from servops.errors import InvalidParameterError
from servops.improve.its import interrupted_time_series, metric_its, newey_west_lags
from tests.unit.improve.synth import tickets


def test_hand_computed_segments():
    # before: 0 1 0 1 at t = 0..3 -> line 0.2 + 0.2 t; after: 5 6 5 6 at t = 4..7 ->
    # 5.2 + 0.2 (t - 4). The pre-change line gives 1.0 at t = 4: level +4.2, no slope
    # change; residuals -0.2, 0.6, -0.6, 0.2 on both sides.
    r = interrupted_time_series([0.0, 1, 0, 1, 5, 6, 5, 6], 4, maxlags=0, inference="t")
    assert r.params == pytest.approx([0.2, 0.2, 4.2, 0.0], abs=1e-12)
    assert r.level_change.estimate == pytest.approx(4.2)
    assert r.slope_change.estimate == pytest.approx(0.0, abs=1e-12)
    assert r.fitted[:4] == pytest.approx([0.2, 0.4, 0.6, 0.8])
    assert r.counterfactual[4:] == pytest.approx([1.0, 1.2, 1.4, 1.6])
    assert r.effect_at_end.estimate == pytest.approx(4.2)
    # with no lags, HAC is White's HC0 times n / (n - k): check one variance by hand
    x = np.column_stack(
        [
            np.ones(8),
            np.arange(8),
            np.r_[np.zeros(4), np.ones(4)],
            np.r_[np.zeros(4), np.arange(4)],
        ]
    )
    u = np.array([-0.2, 0.6, -0.6, 0.2] * 2)
    bread = np.linalg.inv(x.T @ x)
    meat = (x * u[:, None] ** 2).T @ x
    v = bread @ meat @ bread * 8 / 4
    assert r.se == pytest.approx(np.sqrt(np.diag(v)), rel=1e-12)
    assert r.df == 4 and r.lags == 0
    assert r.summary.startswith("Level rose by 4.2")
    assert r.summary.endswith("no change in trend.")


def test_newey_west_lag_rule():
    assert [newey_west_lags(n) for n in (8, 26, 52, 100, 365)] == [2, 2, 3, 4, 5]


@pytest.mark.parametrize("daily", [False, True])
def test_parity_with_statsmodels_ols_hac(daily):
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(11)
    n, cut = 70, 40
    e = rng.normal(size=n)
    y = np.empty(n)
    y[0] = e[0]
    for i in range(1, n):
        y[i] = 0.4 * y[i - 1] + e[i]
    t = np.arange(n, dtype=float)
    y += 10 + 0.05 * t - 1.5 * (t >= cut)
    dow = np.arange(n) % 7 if daily else None
    r = interrupted_time_series(y, cut, day_of_week=dow, maxlags=3, inference="t")
    d = np.asarray(t >= cut, dtype=float)
    cols = [np.ones(n), t, d, (t - cut) * d]
    if daily:
        cols += [np.asarray(dow == k, dtype=float) for k in range(1, 7)]
    fit = sm.OLS(y, np.column_stack(cols)).fit(
        cov_type="HAC", cov_kwds={"maxlags": 3, "use_correction": True}, use_t=True
    )
    assert np.max(np.abs(r.params - fit.params)) < 1e-8
    assert np.max(np.abs(r.se - fit.bse)) < 1e-8
    lo, hi = fit.conf_int()[2]
    assert abs(r.level_change.low - lo) < 1e-8 and abs(r.level_change.high - hi) < 1e-8
    assert abs(r.p_level - fit.pvalues[2]) < 1e-8
    assert abs(r.p_slope - fit.pvalues[3]) < 1e-8


def test_planted_level_drop_is_found_with_the_bootstrap():
    rng = np.random.default_rng(5)
    n, cut = 52, 26
    y = 20 + rng.normal(0, 1, n) - 3.0 * (np.arange(n) >= cut)
    r = interrupted_time_series(y, cut, unit="h", period="week", seed=1)
    assert r.level_change.low < -3.0 < r.level_change.high
    assert r.level_change.high < 0
    assert r.p_level < 0.01
    assert r.summary.startswith("Level dropped by 3")
    assert r.level_change.method == "newey-west, AR(1) bootstrap-t"


def _null_series(seed: int, n: int, rho: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    e = rng.normal(size=n)
    y = np.empty(n)
    y[0] = e[0] / np.sqrt(1 - rho**2)
    for i in range(1, n):
        y[i] = rho * y[i - 1] + e[i]
    return y


def test_false_positive_rate_without_a_change_is_alpha():
    # 300 null series (white noise, 52 weeks, change half-way): the level-change test
    # at alpha = 5 % must reject within the 99 % binomial interval of 300 x 0.05
    seeds = 300
    hits = sum(
        interrupted_time_series(
            _null_series(s, 52, 0.0), 26, n_boot=299, seed=s
        ).p_level
        < 0.05
        for s in range(seeds)
    )
    lo, hi = (float(stats.binom.ppf(q, seeds, 0.05)) for q in (0.005, 0.995))
    assert lo <= hits <= hi, hits


@pytest.mark.slow
def test_false_positive_rate_with_autocorrelation_and_the_t_tests_excess():
    seeds = 1000
    boot = t_hits = 0
    for s in range(seeds):
        y = _null_series(s, 52, 0.3)
        boot += interrupted_time_series(y, 26, seed=s).p_level < 0.05
        t_hits += interrupted_time_series(y, 26, inference="t").p_level < 0.05
    # the bootstrap stays near alpha (measured 6.5 %); plain HAC t over-rejects (15 %)
    assert boot / seeds < 0.085
    assert t_hits / seeds > 0.11


def test_bad_inputs():
    with pytest.raises(InvalidParameterError, match="at least 3 periods"):
        interrupted_time_series([1.0, 2, 3, 4, 5, 6], 2)
    with pytest.raises(InvalidParameterError, match="NaN"):
        interrupted_time_series([1.0, 2, np.nan, 4, 5, 6, 7, 8], 4)
    with pytest.raises(InvalidParameterError, match="inference"):
        interrupted_time_series([1.0, 2, 3, 4, 5, 6, 7, 8], 4, inference="z")  # type: ignore[arg-type]


def test_metric_its_on_a_log_with_a_planted_drop():
    rng = np.random.default_rng(2)
    n = 1400
    arrivals = np.sort(rng.uniform(0, 70 * 24, n))
    lead = np.where(arrivals < 35 * 24, 9.0, 6.0) + rng.normal(0, 1.0, n)
    log = tickets(arrivals, np.clip(lead, 1.0, None))
    change = datetime(2026, 4, 6, tzinfo=UTC)  # START + 35 days, a Monday
    r = metric_its(log, "lead_time", change, by="day", seed=3)
    assert r.metric == "lead_time"
    assert "dow_Tue" in r.names
    assert r.level_change.low < -3.0 < r.level_change.high
    assert r.summary.startswith("Lead time per day: level dropped by 3")


def test_daily_series_without_mondays_is_not_collinear():
    # closures only Wednesday to Sunday (as the demo's reopen series): the first day
    # present is the reference, so the dummies and the intercept stay independent
    days = [d for d in range(70) if d % 7 in (2, 3, 4, 5, 6)]
    rng = np.random.default_rng(8)
    y = 5 + rng.normal(0, 1, len(days)) - 2.0 * (np.array(days) >= 35)
    dow = [d % 7 for d in days]
    cut = sum(d < 35 for d in days)
    r = interrupted_time_series(y, cut, times=days, day_of_week=dow, seed=1)
    assert r.names[4:] == ("dow_Thu", "dow_Fri", "dow_Sat", "dow_Sun")
    assert np.all(np.isfinite(r.se)) and np.all(r.se > 0)
    assert r.level_change.low < -2.0 < r.level_change.high


def test_a_weekday_seen_only_after_the_change_is_left_out():
    # weekdays before the change, only weekends after it (as a short demo's series):
    # Saturday + Sunday equal the level change, so Sunday's dummy is dropped and the
    # fit stays defined (it raised numpy's LinAlgError 'Singular matrix')
    days = [d for d in range(28) if d % 7 < 5] + [
        d for d in range(28, 56) if d % 7 >= 5
    ]
    rng = np.random.default_rng(3)
    y = 5 + rng.normal(0, 0.5, len(days)) - 2.0 * (np.array(days) >= 28)
    cut = sum(d < 28 for d in days)
    dow = [d % 7 for d in days]
    r = interrupted_time_series(y, cut, times=days, day_of_week=dow, seed=1)
    assert "dow_Sat" in r.names
    assert "dow_Sun" not in r.names
    assert np.all(np.isfinite(r.se)) and np.all(r.se > 0)
    assert r.level_change.low < -2.0 < r.level_change.high


@given(
    a=st.floats(-100, 100),
    b=st.floats(-5, 5),
    seed=st.integers(0, 10_000),
)
@settings(max_examples=40, deadline=None)
def test_a_trend_that_was_there_before_changes_neither_level_nor_slope(a, b, seed):
    # adding a + b·t to the series moves only the intercept and the trend: the
    # segmented regression reads change only at the change
    y = np.random.default_rng(seed).normal(size=30)
    t = np.arange(30)
    r0 = interrupted_time_series(y, 15, inference="t")
    r1 = interrupted_time_series(y + a + b * t, 15, inference="t")
    assert r1.level_change.estimate == pytest.approx(r0.level_change.estimate, abs=1e-7)
    assert r1.slope_change.estimate == pytest.approx(r0.slope_change.estimate, abs=1e-7)
    assert r1.se == pytest.approx(r0.se, rel=1e-6, abs=1e-9)


def test_round_off_below_zero_in_the_hac_variance_is_zero_not_nan():
    # 12 days, 9 coefficients: the intercept's Newey-West variance is 0 up to
    # round-off (-7.7e-15 for this draw); its square root warned and gave NaN
    rng = np.random.default_rng(3)
    n = int(rng.integers(8, 14))
    y = rng.normal(10, 1, n)
    dow = rng.integers(0, 7, n).tolist()
    r = interrupted_time_series(y, n // 2, n_boot=99, seed=3, day_of_week=dow)
    assert np.isfinite(r.se).all() and (r.se >= 0).all()
    assert np.isfinite([r.level_change.low, r.level_change.high]).all()
