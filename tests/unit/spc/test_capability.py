"""Capability indices, DPMO and sigma level against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from servops.errors import InvalidParameterError
from servops.spc import capability, dpmo, sigma_level
from tests.unit.spc.test_charts import RINGS


def test_individuals_against_numpy_and_scipy():
    rng = np.random.default_rng(3)
    x = rng.normal(10.2, 0.5, 200)
    r = capability(x, lsl=8.0, usl=12.0)
    s_within = np.mean(np.abs(np.diff(x))) / (2 / math.sqrt(math.pi))
    s_overall = np.std(x, ddof=1)
    mu = x.mean()
    assert r.within_method == "mr"
    assert r.sigma_within == pytest.approx(s_within)
    assert r.sigma_overall == pytest.approx(s_overall)
    assert r.cp == pytest.approx(4 / (6 * s_within))
    assert r.cpk == pytest.approx(min(12 - mu, mu - 8) / (3 * s_within))
    assert r.pp == pytest.approx(4 / (6 * s_overall))
    assert r.ppk == pytest.approx(min(12 - mu, mu - 8) / (3 * s_overall))
    tau = math.sqrt(np.sum((x - 10.0) ** 2) / (x.size - 1))
    assert r.cpm == pytest.approx(2 / (3 * tau))
    expected = stats.norm.cdf(8, mu, s_overall) + stats.norm.sf(12, mu, s_overall)
    assert r.ppm_expected_overall == pytest.approx(1e6 * expected)
    assert r.dpmo == r.ppm_expected_overall
    assert r.sigma_level == pytest.approx(stats.norm.isf(expected) + 1.5)


def test_piston_rings_cp_as_in_montgomery():
    # Spec 74 ± 0.05 mm, σ̂ = R̄/d2 = 0.023/2.326 = 0.0099, Cp = 1.68 (Montgomery,
    # section 6.2.2, from R̄ rounded to 0.023; unrounded R̄ = 0.02324 gives 1.668)
    r = capability(RINGS, lsl=73.95, usl=74.05, within="rbar")
    assert r.sigma_within == pytest.approx(0.02324 / 2.326, rel=2e-4)
    assert r.cp == pytest.approx(1.68, abs=0.015)


def test_pooled_within_for_subgroups():
    groups = [[1.0, 2.0, 4.0], [2.0, 3.0], [1.0, 5.0, 2.0, 4.0]]
    r = capability(groups, usl=10.0)
    from servops.spc.constants import c4

    ss = sum(np.sum((np.array(g) - np.mean(g)) ** 2) for g in groups)
    assert r.within_method == "pooled"
    assert r.sigma_within == pytest.approx(math.sqrt(ss / 6) / c4(7))
    flat = capability([1.0, 2.0, 4.0, 2.0, 3.0], usl=10.0, size=2)
    assert flat.within_method == "pooled"


def test_one_sided_specs():
    x = [5.0, 5.5, 4.8, 5.2, 5.1, 4.9]
    up = capability(x, usl=7.0)
    assert up.cp is None and up.pp is None and up.cpl is None
    assert up.cpk == up.cpu
    assert up.cpm is None  # no target, no midpoint
    lo = capability(x, lsl=4.0, target=5.0)
    assert lo.cpk == lo.cpl
    assert lo.cpm is not None


def test_observed_ppm_and_dict():
    r = capability([1.0, 2.0, 3.0, 10.0], lsl=0.0, usl=5.0)
    assert r.ppm_observed == pytest.approx(250_000)
    d = r.to_dict()
    assert "1.5" in d["sigma_level_note"]
    r0 = capability([1.0, 2.0, 3.0, 10.0], lsl=0.0, usl=5.0, shift=0.0)
    assert r.sigma_level - r0.sigma_level == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("d", "level"),
    [(3.4, 6.0), (233, 5.0), (6210, 4.0), (66807, 3.0), (308538, 2.0), (690000, 1.0)],
)
def test_sigma_level_table(d, level):
    # the Six Sigma conversion table (with the 1.5σ shift)
    assert sigma_level(d) == pytest.approx(level, abs=0.01)
    assert sigma_level(d, shift=0.0) == pytest.approx(level - 1.5, abs=0.01)


def test_dpmo():
    assert dpmo(5, 1000) == 5000.0
    assert dpmo(12, 400, 3) == pytest.approx(10_000)
    with pytest.raises(InvalidParameterError, match="cannot exceed"):
        dpmo(10, 2, 3)
    with pytest.raises(InvalidParameterError, match="'units' parameter"):
        dpmo(1, 0)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({}, "at least one spec limit"),
        ({"lsl": 5.0, "usl": 5.0}, "lsl < usl"),
        ({"usl": 5.0, "within": "rbar"}, "needs subgroups"),
        ({"usl": 5.0, "within": "magic"}, "'within' parameter"),
    ],
)
def test_bad_capability_input(kw, match):
    with pytest.raises(InvalidParameterError, match=match):
        capability([1.0, 2.0, 3.0], **kw)


def test_too_few_values():
    with pytest.raises(InvalidParameterError, match="at least 2 finite values"):
        capability([1.0], usl=3.0)
