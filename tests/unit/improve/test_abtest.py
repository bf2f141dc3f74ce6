"""A/B tests: sample sizes against statsmodels, simulated error rates and power."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import special, stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    proportions_ztest,
    samplesize_proportions_2indep_onetail,
)

from servops.errors import InvalidParameterError
from servops.improve.abtest import (
    _z_test,
    ab_test,
    fixed_horizon_test,
    power_proportions,
    sample_size_means,
    sample_size_proportions,
    sequential_log_evalues,
    sequential_test,
)
from servops.improve.intervals import exact_interval
from tests.unit.improve.synth import tickets

RUNS = 2000


def _alpha_band(rate: float, runs: int) -> tuple[float, float]:
    """99 % exact binomial band of an observed rejection share at true rate ``rate``."""
    lo = stats.binom.ppf(0.005, runs, rate) / runs
    hi = stats.binom.ppf(0.995, runs, rate) / runs
    return float(lo), float(hi)


def test_sample_size_proportions_by_hand():
    # p 0.3 -> 0.4, alpha 0.05, power 0.8: pbar 0.35
    za, zb = 1.959963984540054, 0.8416212335729143
    root = za * math.sqrt(0.35 * 0.65 * 2) + zb * math.sqrt(0.21 + 0.24)
    assert sample_size_proportions(0.3, 0.4).n_control == math.ceil(root**2 / 0.01)
    assert sample_size_proportions(0.3, 0.4).n_control == 356


@given(
    p1=st.floats(0.05, 0.9),
    d=st.floats(0.02, 0.09),
    power=st.sampled_from([0.7, 0.8, 0.9]),
    ratio=st.sampled_from([0.5, 1.0, 2.0]),
)
def test_sample_size_proportions_parity_with_statsmodels(p1, d, power, ratio):
    ours = sample_size_proportions(p1, p1 + d, power=power, ratio=ratio)
    # statsmodels: diff = prop1 - prop2, prop2 the control, returns nobs1 (the
    # treatment arm) with nobs2 = ratio * nobs1, so its ratio is our 1 / ratio
    ref = samplesize_proportions_2indep_onetail(
        d, p1, power, ratio=1 / ratio, alpha=0.05, alternative="two-sided"
    )
    # we round n_control up first, then n_treatment = ratio * n_control up
    assert (
        math.ceil(ref - 1e-6)
        <= ours.n_treatment
        <= math.ceil(ref - 1e-6) + math.ceil(ratio)
    )
    # and the power at the planned size is at least the target
    assert (
        power_proportions(ours.n_control, ours.n_treatment, p1, p1 + d) >= power - 1e-3
    )


@given(
    es=st.floats(0.05, 1.5),
    power=st.sampled_from([0.7, 0.8, 0.9]),
    ratio=st.sampled_from([0.5, 1.0, 3.0]),
)
def test_sample_size_means_parity_with_statsmodels(es, power, ratio):
    ours = sample_size_means(es * 100.0, 100.0, power=power, ratio=ratio)
    ref = NormalIndPower().solve_power(
        effect_size=es, alpha=0.05, power=power, ratio=ratio
    )
    # statsmodels also counts the (tiny) chance of rejecting in the wrong tail
    assert ours.n_control in (math.ceil(ref - 1e-6), math.ceil(ref - 1e-6) + 1)


def test_fixed_horizon_parity_with_statsmodels():
    r = fixed_horizon_test(30, 100, 45, 100)
    z, p = proportions_ztest([45, 30], [100, 100])
    assert r.z == pytest.approx(z) and r.p_value == pytest.approx(p)
    assert r.significant
    assert r.difference.estimate == pytest.approx(0.15)


def test_bad_plans():
    with pytest.raises(InvalidParameterError, match="must differ"):
        sample_size_proportions(0.3, 0.3)
    with pytest.raises(InvalidParameterError, match="'power' parameter"):
        sample_size_proportions(0.3, 0.4, power=1.0)
    with pytest.raises(InvalidParameterError, match="'delta' parameter"):
        sample_size_means(0.0, 1.0)
    with pytest.raises(InvalidParameterError, match="1-D sequence of 0 and 1"):
        sequential_test([0, 2], [1, 1])


def test_sequential_evalue_by_hand():
    # a = 1 (uniform prior): after m discordant pairs all favouring treatment,
    # E = B(1 + m, 1) / B(1, 1) * 2^m = 2^m / (m + 1); concordant pairs change nothing
    e = np.exp(sequential_log_evalues([0, 1, 0, 0], [1, 1, 1, 1], concentration=1))
    assert e.tolist() == pytest.approx([1.0, 1.0, 4 / 3, 2.0])
    # one success each way: B(2, 2) / B(1, 1) * 4 = 4 / 6
    e2 = np.exp(sequential_log_evalues([1, 0], [0, 1], concentration=1))
    assert e2[-1] == pytest.approx(4 / 6)


def test_sequential_evalue_is_a_martingale_under_the_null():
    # E[E_m] = 1 under H0 for every m (a nonnegative martingale starting at 1):
    # exact expectation over all 2^m discordant sequences of a fair coin
    m = 12
    a = 3.0
    wins = np.arange(m + 1)
    log_e = (
        special.betaln(a + wins, a + m - wins) - special.betaln(a, a) + m * math.log(2)
    )
    weights = stats.binom.pmf(wins, m, 0.5)
    assert float((weights * np.exp(log_e)).sum()) == pytest.approx(1.0)


def _aa(rng, n, p=0.3, runs=RUNS):
    return rng.random((runs, n)) < p, rng.random((runs, n)) < p


def test_aa_fixed_horizon_false_positive_rate_is_alpha():
    rng = np.random.default_rng(1)
    c, t = _aa(rng, 400)
    _, p = _z_test(
        c.sum(1).astype(float),
        np.full(RUNS, 400.0),
        t.sum(1).astype(float),
        np.full(RUNS, 400.0),
    )
    fpr = float((p < 0.05).mean())
    lo, hi = _alpha_band(0.05, RUNS)
    assert lo <= fpr <= hi, fpr


def test_peeking_at_the_fixed_horizon_test_inflates_false_positives():
    # looking after every 20 pairs and stopping at the first p < 0.05: far above 5 %
    rng = np.random.default_rng(2)
    c, t = _aa(rng, 400)
    looks = np.arange(20, 401, 20)
    cc, ct = np.cumsum(c, 1)[:, looks - 1], np.cumsum(t, 1)[:, looks - 1]
    n = np.broadcast_to(looks.astype(float), cc.shape)
    _, p = _z_test(cc.astype(float), n, ct.astype(float), n)
    fpr = float((p < 0.05).any(axis=1).mean())
    assert fpr > 0.15, fpr


@pytest.mark.parametrize("p", [0.05, 0.3, 0.7])
def test_aa_sequential_test_holds_alpha_under_continuous_peeking(p):
    # looked at after every single pair, up to 2000 pairs
    rng = np.random.default_rng(3)
    c, t = _aa(rng, 2000, p=p, runs=1000)
    log_e = sequential_log_evalues(c, t)
    fpr = float((log_e.max(axis=1) >= math.log(20)).mean())
    # Ville: at most alpha; the exact 99 % upper bound of the observed share
    assert exact_interval(round(fpr * 1000), 1000, level=0.98).low <= 0.05, fpr


def test_planted_effect_found_with_planned_power():
    plan = sample_size_proportions(0.3, 0.4, power=0.8)
    rng = np.random.default_rng(4)
    n = plan.n_control
    c = rng.random((RUNS, n)) < 0.3
    t = rng.random((RUNS, n)) < 0.4
    _, p = _z_test(
        c.sum(1).astype(float),
        np.full(RUNS, float(n)),
        t.sum(1).astype(float),
        np.full(RUNS, float(n)),
    )
    found = float((p < 0.05).mean())
    lo, hi = _alpha_band(0.8, RUNS)
    assert lo - 0.01 <= found <= hi + 0.01, found


def test_sequential_test_finds_a_planted_effect():
    # 0.3 -> 0.4 with up to 3x the fixed-horizon size: found in most runs, and early
    plan = sample_size_proportions(0.3, 0.4)
    rng = np.random.default_rng(5)
    n = 3 * plan.n_control
    c = rng.random((500, n)) < 0.3
    t = rng.random((500, n)) < 0.4
    log_e = sequential_log_evalues(c, t)
    hit = log_e >= math.log(20)
    power = float(hit.any(axis=1).mean())
    assert power > 0.8, power
    first = np.argmax(hit, axis=1)[hit.any(axis=1)] + 1
    assert np.median(first) < 2 * plan.n_control


def test_ab_test_on_a_log_with_variants():
    # 120 cases alternate A/B; A reopens 30 of 60, B 6 of 60
    n = 120
    variant = np.array(["A", "B"] * (n // 2))
    reopened = np.zeros(n, dtype=bool)
    reopened[np.flatnonzero(variant == "A")[:30]] = True
    reopened[np.flatnonzero(variant == "B")[:6]] = True
    log = tickets(
        np.arange(n) * 3.0, np.full(n, 2.0), reopened=reopened, variant=variant
    )
    r = ab_test(log, "variant", "reopened")
    assert (r.control, r.treatment, r.n_control, r.n_treatment) == ("A", "B", 60, 60)
    assert r.fixed is not None and r.fixed.difference.estimate == pytest.approx(-0.4)
    assert r.fixed == fixed_horizon_test(30, 60, 6, 60)
    assert r.sequential is not None and r.sequential.rejected
    assert r.summary.startswith("Reopen rate: B 10.0 % vs A 50.0 % (-40.0 points")
    d = ab_test(log, "variant", "lead_time", control="B")
    assert (d.control, d.treatment) == ("B", "A")
    assert d.effects["median"].estimate == pytest.approx(0.0)
    assert d.sequential is None and d.p_value is not None


def test_ab_test_bad_input():
    log = tickets(
        np.arange(6) * 3.0, np.full(6, 2.0), variant=np.array(["A", "B", "C"] * 2)
    )
    with pytest.raises(InvalidParameterError, match="compares two"):
        ab_test(log, "variant", "fcr")
    with pytest.raises(InvalidParameterError, match="'variant_column'"):
        ab_test(log, "arm", "fcr")
    with pytest.raises(InvalidParameterError, match="'treatment' variant 'D'"):
        ab_test(log, "variant", "fcr", control="A", treatment="D")
    r = ab_test(log, "variant", "fcr", control="A", treatment="B")
    assert "2 case(s) of other variants are left out." in r.notes


def test_sample_ratio_mismatch_is_named():
    # 30 A and 90 B where 50/50 was planned: binomial p ~ 1e-8
    variant = np.array(["A"] * 30 + ["B"] * 90)
    log = tickets(np.arange(120) * 3.0, np.full(120, 2.0), variant=variant)
    r = ab_test(log, "variant", "fcr", expected_share=0.5)
    assert r.srm_p_value == pytest.approx(stats.binomtest(90, 120, 0.5).pvalue)
    assert any(n.startswith("Sample ratio mismatch: B has 90 of 120") for n in r.notes)
    fine = ab_test(log, "variant", "fcr", expected_share=0.75)
    assert fine.srm_p_value is not None and fine.srm_p_value > 0.5
    assert not any("mismatch" in n for n in fine.notes)
