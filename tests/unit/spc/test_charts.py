"""Control charts against Montgomery's textbook examples, and their invariants."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servops.errors import InvalidParameterError, NotFittedError
from servops.spc import ControlChart, Rules, as_subgroups, control_limits

# Montgomery, Introduction to SQC (7th ed.), table 6.3: piston-ring inside diameters (mm),
# 25 subgroups of 5. Published: x̿ = 74.001, R̄ = 0.023, S̄ = 0.0094; X̄-R limits 73.988 /
# 74.014, R UCL 0.049 (D4 R̄ = 0.0486); X̄-S limits 73.988 / 74.014, S UCL 0.0196.
RINGS = np.array(
    [
        [74.030, 74.002, 74.019, 73.992, 74.008],
        [73.995, 73.992, 74.001, 74.011, 74.004],
        [73.988, 74.024, 74.021, 74.005, 74.002],
        [74.002, 73.996, 73.993, 74.015, 74.009],
        [73.992, 74.007, 74.015, 73.989, 74.014],
        [74.009, 73.994, 73.997, 73.985, 73.993],
        [73.995, 74.006, 73.994, 74.000, 74.005],
        [73.985, 74.003, 73.993, 74.015, 73.988],
        [74.008, 73.995, 74.009, 74.005, 74.004],
        [73.998, 74.000, 73.990, 74.007, 73.995],
        [73.994, 73.998, 73.994, 73.995, 73.990],
        [74.004, 74.000, 74.007, 74.000, 73.996],
        [73.983, 74.002, 73.998, 73.997, 74.012],
        [74.006, 73.967, 73.994, 74.000, 73.984],
        [74.012, 74.014, 73.998, 73.999, 74.007],
        [74.000, 73.984, 74.005, 73.998, 73.996],
        [73.994, 74.012, 73.986, 74.005, 74.007],
        [74.006, 74.010, 74.018, 74.003, 74.000],
        [73.984, 74.002, 74.003, 74.005, 73.997],
        [74.000, 74.010, 74.013, 74.020, 74.003],
        [73.982, 74.001, 74.015, 74.005, 73.996],
        [74.004, 73.999, 73.990, 74.006, 74.009],
        [74.010, 73.989, 73.990, 74.009, 74.014],
        [74.015, 74.008, 73.993, 74.000, 74.010],
        [73.982, 73.984, 73.995, 74.017, 74.013],
    ]
)
# Example 7.1: frozen orange-juice cans, 30 samples of 50, nonconforming cans.
# Published: p̄ = 0.2313, UCL 0.4102, LCL 0.0524; samples 15 and 23 out; revised without
# them: p̄ = 0.2150, UCL 0.3893, LCL 0.0407.
OJ = [
    12,
    15,
    8,
    10,
    4,
    7,
    16,
    9,
    14,
    10,
    5,
    6,
    17,
    12,
    22,
    8,
    10,
    5,
    13,
    11,
    20,
    18,
    24,
    15,
    9,
    12,
    7,
    13,
    9,
    6,
]
# Example 7.3: nonconformities on 26 samples of 100 printed-circuit boards.
# Published: c̄ = 19.85, UCL 33.22, LCL 6.48; samples 6 and 20 out.
BOARDS = [
    21,
    24,
    16,
    12,
    15,
    5,
    28,
    20,
    31,
    25,
    20,
    24,
    16,
    19,
    10,
    17,
    13,
    22,
    18,
    39,
    30,
    24,
    16,
    19,
    17,
    15,
]
# Example 6.5: cost of processing mortgage loans, 20 weeks. Published: x̄ = 300.5,
# MR̄ = 7.79, UCL 321.22, LCL 279.78, MR UCL 25.45; in control.
LOANS = [
    310,
    288,
    297,
    298,
    307,
    303,
    294,
    297,
    308,
    306,
    294,
    299,
    297,
    299,
    314,
    295,
    293,
    306,
    301,
    304,
]
# Table 9.1 (CUSUM and EWMA examples): μ0 = 10, σ = 1, shift of 1σ from observation 21.
# Published tabular CUSUM (k = 0.5, h = 5): C⁺ first exceeds H at observation 29, 5.28.
SHIFT = [
    9.45,
    7.99,
    9.29,
    11.66,
    12.16,
    10.18,
    8.04,
    11.46,
    9.20,
    10.34,
    9.03,
    11.47,
    10.51,
    9.40,
    10.08,
    9.37,
    10.62,
    10.31,
    8.52,
    10.84,
    10.90,
    9.33,
    12.29,
    11.50,
    10.60,
    11.08,
    10.38,
    11.62,
    11.31,
    10.52,
]


def lims(chart, part):
    return tuple(round(v, 4) for v in chart.limits_[part])


def test_xbar_r_piston_rings():
    c = ControlChart("xbar_r").fit(RINGS)
    lcl, center, ucl = c.limits_["xbar"]
    assert center == pytest.approx(74.001, abs=5e-4)
    assert (lcl, ucl) == pytest.approx((73.988, 74.014), abs=6e-4)
    r_lcl, r_bar, r_ucl = c.limits_["range"]
    assert r_bar == pytest.approx(0.023, abs=5e-4)
    assert r_lcl == 0.0
    assert r_ucl == pytest.approx(2.114 * r_bar, rel=5e-4)
    assert c.result_.signals == []


def test_xbar_s_piston_rings():
    c = ControlChart("xbar_s").fit(RINGS)
    lcl, center, ucl = c.limits_["xbar"]
    s_bar = c.limits_["stdev"][1]
    assert s_bar == pytest.approx(0.0094, abs=5e-5)
    assert (lcl, ucl) == pytest.approx((73.988, 74.014), abs=6e-4)
    assert c.limits_["stdev"][2] == pytest.approx(0.0196, abs=5e-5)
    # independent: the textbook factors A3, B4 on S̄
    assert ucl - center == pytest.approx(1.427 * s_bar, rel=5e-4)
    assert c.limits_["stdev"][2] == pytest.approx(2.089 * s_bar, rel=5e-4)


def test_p_chart_orange_juice_and_revised_limits():
    c = ControlChart("p", size=50).fit(OJ)
    assert lims(c, "p") == pytest.approx((0.0524, 0.2313, 0.4102), abs=1e-4)
    assert [s.index + 1 for s in c.result_.primary.signals] == [15, 23]
    rev = ControlChart("p", size=50, drop_out_of_control=True, max_passes=1).fit(OJ)
    assert rev.excluded_ == (14, 22)
    assert lims(rev, "p") == pytest.approx((0.0407, 0.2150, 0.3893), abs=1e-4)
    # the excluded points stay on the chart and still signal
    assert {s.index for s in rev.result_.primary.signals} >= {14, 22}
    # iterating to the end also drops sample 21 (0.40 > 0.3893)
    full = ControlChart("p", size=50, drop_out_of_control=True).fit(OJ)
    assert full.excluded_ == (14, 20, 22)


def test_c_chart_circuit_boards():
    c = ControlChart("c").fit(BOARDS)
    assert lims(c, "c") == pytest.approx((6.4814, 19.8462, 33.2109), abs=1e-4)
    assert [s.index + 1 for s in c.result_.primary.signals] == [6, 20]
    assert c.result_.primary.rules.tests == (1, 2, 3, 4)


def test_imr_mortgage_loans():
    c = ControlChart("imr").fit(LOANS)
    assert lims(c, "individuals") == pytest.approx((279.79, 300.5, 321.21), abs=6e-3)
    assert c.limits_["moving_range"][1] == pytest.approx(7.79, abs=5e-3)
    assert c.limits_["moving_range"][2] == pytest.approx(
        25.45, abs=1e-2
    )  # 3.267 · 7.79
    assert c.result_.signals == []
    assert math.isnan(c.result_.part("moving_range").points[0])


def test_cusum_montgomery_table_9_1():
    r = ControlChart("cusum", target=10, known_sigma=1, h=5).fit(SHIFT).result_
    up = r.primary.points
    assert up[28] == pytest.approx(5.28, abs=5e-3)
    assert [s.index + 1 for s in r.primary.signals] == [29, 30]
    # reference: the tabular CUSUM by hand
    cp = 0.0
    for i, x in enumerate(SHIFT):
        cp = max(0.0, x - 10.5 + cp)
        assert up[i] == pytest.approx(cp)


def test_ewma_equals_pandas_ewm_and_exact_limits():
    lam, L = 0.1, 2.7
    r = (
        ControlChart("ewma", target=10, known_sigma=1, lam=lam, sigma=L)
        .fit(SHIFT)
        .result_
    )
    ref = pd.Series([10.0, *SHIFT]).ewm(alpha=lam, adjust=False).mean().to_numpy()[1:]
    assert r.primary.points == pytest.approx(ref)
    i = np.arange(1, len(SHIFT) + 1)
    width = L * np.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * i)))
    assert r.primary.ucl == pytest.approx(10 + width)
    assert r.primary.ucl[-1] == pytest.approx(10.62, abs=5e-3)  # Montgomery's limit
    assert r.primary.ucl[0] == pytest.approx(10.27, abs=5e-3)
    assert [s.index + 1 for s in r.primary.signals] == [29, 30]


def test_u_and_p_charts_with_variable_sizes():
    defects = np.array([4, 9, 3, 12, 6])
    units = np.array([10, 20, 8, 15, 12])
    r = control_limits(defects, kind="u", sizes=units)
    u_bar = defects.sum() / units.sum()
    assert r.primary.center[0] == pytest.approx(u_bar)
    assert r.primary.ucl == pytest.approx(u_bar + 3 * np.sqrt(u_bar / units))
    assert r.primary.lcl == pytest.approx(
        np.maximum(0, u_bar - 3 * np.sqrt(u_bar / units))
    )
    d = r.to_dict()["charts"][0]
    assert isinstance(d["ucl"], list)
    assert isinstance(d["center"], float)
    n = np.array([100, 80, 120, 100])
    p = control_limits([5, 4, 20, 6], kind="p", sizes=n)
    pb = 35 / 400
    assert p.primary.ucl == pytest.approx(pb + 3 * np.sqrt(pb * (1 - pb) / n))
    assert [s.index for s in p.primary.signals] == [2]
    np_r = control_limits([5, 4, 20, 6], kind="np", sizes=n)
    assert np_r.primary.center == pytest.approx(n * pb)


def test_xbar_s_unequal_subgroups_sbar_and_pooled():
    groups = [[1.0, 2.0, 4.0], [2.0, 3.0], [1.0, 5.0, 2.0, 4.0]]
    from servops.spc.constants import c4

    s = np.array([np.std(g, ddof=1) for g in groups])
    c4n = np.array([c4(len(g)) for g in groups])
    h = c4n**2 / (1 - c4n**2)
    sbar = ControlChart("xbar_s").fit(groups)
    assert sbar.sigma_ == pytest.approx(np.sum(h * s / c4n) / h.sum())
    pooled = ControlChart("xbar_s", sigma_method="pooled").fit(groups)
    ss = sum(np.sum((np.array(g) - np.mean(g)) ** 2) for g in groups)
    assert pooled.sigma_ == pytest.approx(math.sqrt(ss / 6) / c4(7))
    allv = np.concatenate([np.array(g) for g in groups])
    assert pooled.center_ == pytest.approx(allv.mean())
    xbar = pooled.result_.primary
    assert xbar.ucl - xbar.center == pytest.approx(
        3 * pooled.sigma_ / np.sqrt([3, 2, 4])
    )


def test_estimator_and_function_twin_agree():
    cases: list[tuple[Any, Any, dict[str, Any]]] = [
        ("imr", LOANS, {}),
        ("xbar_r", RINGS, {}),
        ("xbar_s", RINGS, {}),
        ("p", OJ, {"sizes": 50}),
        ("c", BOARDS, {}),
        ("ewma", SHIFT, {}),
        ("cusum", SHIFT, {}),
    ]
    for kind, data, kw in cases:
        a = ControlChart(kind, sigma=2.5).fit(data, **kw).result_
        b = control_limits(data, kind=kind, sigma=2.5, **kw)
        assert a.to_dict() == b.to_dict(), kind


def test_phase_two_uses_the_fixed_limits():
    c = ControlChart("imr").fit(LOANS)
    r = c.monitor([300.0, 301.0, 340.0], labels=["w21", "w22", "w23"])
    assert r.phase == "II"
    assert r.primary.ucl[0] == pytest.approx(c.limits_["individuals"][2])
    assert [(n, s.index, s.test) for n, s in r.signals] == [
        ("individuals", 2, 1),
        ("moving_range", 2, 1),
    ]
    assert r.to_dict()["charts"][0]["signals"][0]["label"] == "w23"
    sub = ControlChart("xbar_r").fit(RINGS).monitor(RINGS[:3] + 0.05)
    assert {s.index for s in sub.primary.signals} == {0, 1, 2}


def test_rules_per_chart_kind():
    c = ControlChart("imr").fit(LOANS)
    assert c.result_.primary.rules.tests == tuple(range(1, 9))
    assert c.result_.part("moving_range").rules.tests == (1, 2, 3, 4)
    we = ControlChart("imr", rules=Rules.western_electric()).fit(LOANS)
    assert we.result_.primary.rules.tests == (1, 2, 5, 6)
    e = ControlChart("ewma").fit(SHIFT)
    assert e.result_.primary.rules.tests == (1,)


def test_as_subgroups_shapes():
    assert [len(g) for g in as_subgroups(np.zeros((3, 4)))] == [4, 4, 4]
    assert [len(g) for g in as_subgroups([[1, 2], [3, 4, 5]])] == [2, 3]
    with pytest.raises(InvalidParameterError, match="need subgroups"):
        as_subgroups([1.0, 2.0, 3.0])
    with pytest.raises(InvalidParameterError, match="one label per value"):
        as_subgroups([1.0, 2.0], subgroups=["a"])
    with pytest.raises(InvalidParameterError, match="'size' parameter"):
        as_subgroups([1.0, 2.0], size=0)


@pytest.mark.parametrize(
    ("kind", "params", "data", "kw", "match"),
    [
        ("xbar", {}, [1, 2], {}, "'kind' parameter of ControlChart"),
        ("imr", {"sigma": -1}, [1, 2], {}, "'sigma' parameter of ControlChart"),
        ("imr", {"sigma_method": "rbar"}, [1, 2], {}, "'sigma_method'"),
        (
            "imr",
            {},
            [1.0, float("nan"), 2.0],
            {},
            "finite values; got nan at position 1",
        ),
        ("imr", {}, [1.0], {}, "at least 2 points"),
        ("xbar_r", {"size": 2}, [1, 2, 3], {}, "subgroups of 2 or more"),
        ("p", {}, [1, 2], {}, "needs the subgroup sizes"),
        ("p", {}, [1, 20], {"sizes": 10}, "20 defectives in a subgroup of 10"),
        ("u", {}, [1, 2], {"sizes": [1, 0]}, "sizes must be > 0"),
        ("c", {}, [1, -2], {}, "counts must be >= 0"),
        ("ewma", {"lam": 0}, [1, 2], {}, "'lam' parameter"),
        ("imr", {"mr_span": 1}, [1, 2], {}, "'mr_span' parameter"),
        ("imr", {"rules": "minitab"}, [1, 2], {}, "Rules instance"),
    ],
)
def test_bad_input(kind, params, data, kw, match):
    with pytest.raises(InvalidParameterError, match=match):
        ControlChart(kind, **params).fit(data, **kw)


def test_monitor_before_fit():
    with pytest.raises(NotFittedError, match="fit"):
        ControlChart("imr").monitor([1.0])


# -- properties --------------------------------------------------------------------------
subgroup_lists = st.lists(
    st.lists(
        st.floats(-100, 100, allow_nan=False, allow_subnormal=False),
        min_size=2,
        max_size=6,
    ),
    min_size=2,
    max_size=12,
)


@pytest.mark.property
@settings(max_examples=60, deadline=None)
@given(
    subgroup_lists,
    st.randoms(use_true_random=False),
    st.sampled_from(["xbar_r", "xbar_s"]),
    st.sampled_from(["auto", "pooled"]),
)
def test_limits_invariant_to_shuffling_subgroups(groups, rnd, kind, method):
    order = list(range(len(groups)))
    rnd.shuffle(order)
    a = ControlChart(kind, sigma_method=method).fit(groups).result_
    b = ControlChart(kind, sigma_method=method).fit([groups[i] for i in order]).result_
    for pa, pb in zip(a.parts, b.parts, strict=True):
        for attr in ("center", "lcl", "ucl"):
            assert getattr(pb, attr) == pytest.approx(
                getattr(pa, attr)[order], abs=1e-9
            )


@pytest.mark.property
@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 50), st.integers(50, 200)), min_size=2, max_size=20
    ),
    st.randoms(use_true_random=False),
    st.sampled_from(["p", "np", "u", "c"]),
)
def test_attribute_limits_invariant_to_shuffling(rows, rnd, kind):
    counts = np.array([r[0] for r in rows])
    sizes = np.array([r[1] for r in rows])
    order = np.array(rnd.sample(range(len(rows)), len(rows)))
    kw: dict[str, Any] = {} if kind == "c" else {"sizes": sizes}
    kw2: dict[str, Any] = {} if kind == "c" else {"sizes": sizes[order]}
    a = control_limits(counts, kind=kind, **kw).primary
    b = control_limits(counts[order], kind=kind, **kw2).primary
    assert b.ucl == pytest.approx(a.ucl[order])
    assert b.lcl == pytest.approx(a.lcl[order])


def test_false_alarm_rate_of_an_imr_chart_with_known_parameters():
    rng = np.random.default_rng(20261121)
    n = 300_000
    chart = ControlChart("imr", target=0.0, known_sigma=1.0, rules=Rules(tests=(1,)))
    r = chart.fit(rng.standard_normal(50)).monitor(rng.standard_normal(n))
    p = 0.0026997960632601866
    rate = len(r.primary.signals) / n
    assert abs(rate - p) < 4 * math.sqrt(p * (1 - p) / n)


@pytest.mark.slow
def test_false_alarm_rate_with_estimated_limits():
    # Phase I on 10,000 points estimates σ within ~1 %: the rate stays near 0.0027.
    rng = np.random.default_rng(7)
    chart = ControlChart("imr", rules=Rules(tests=(1,))).fit(rng.normal(5, 2, 10_000))
    r = chart.monitor(rng.normal(5, 2, 1_000_000))
    assert len(r.primary.signals) / 1e6 == pytest.approx(0.0027, abs=6e-4)
