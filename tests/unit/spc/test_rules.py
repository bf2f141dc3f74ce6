"""The eight tests: hand-made series that trip each test exactly where expected."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from servops.errors import InvalidParameterError
from servops.spc.rules import DEFAULT_K, Rules, describe_test, run_tests, standardize


def fired(x, test, **k):
    rules = Rules(tests=(test,), k=k.get("k", {}))
    return [s.index for s in run_tests(x, 0.0, 1.0, rules=rules)]


def all_tests(x):
    return sorted({(s.index, s.test) for s in run_tests(x, 0.0, 1.0)})


def test_test1_beyond_three_sigma():
    x = [0.5, -0.5, 3.5, -0.5, 0.5, -3.2, 0.0, 3.0]  # exactly 3σ is not beyond
    assert fired(x, 1) == [2, 5]
    assert all_tests(x) == [(2, 1), (5, 1)]


def test_test2_nine_on_one_side():
    x = [0.5] * 8 + [-0.5] + [0.5] * 10
    assert fired(x, 2) == [17, 18]
    # the run of 8 before the break does not fire; 15 within 1σ trips test 7 as well
    assert [i for i, t in all_tests(x) if t == 2] == [17, 18]
    assert {t for _, t in all_tests(x)} == {2, 7}


def test_test2_point_on_center_line_breaks_the_run():
    x = [0.5] * 4 + [0.0] + [0.5] * 8
    assert fired(x, 2) == []


def test_test3_six_rising_or_falling():
    x = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.3, 0.2, 0.1, 0.0, -0.1, -0.2, -0.2]
    assert fired(x, 3) == [5, 10, 11]
    assert all_tests(x) == [(5, 3), (10, 3), (11, 3)]


def test_test3_ties_break_the_trend():
    assert fired([0, 1, 2, 2, 3, 4, 5], 3) == []


def test_test4_fourteen_alternating():
    x = [0.5 * (-1) ** i for i in range(15)]
    assert fired(x, 4) == [13, 14]
    assert fired(x[:13], 4) == []
    x2 = [*x[:10], x[9], *x[10:]]  # an equal neighbour breaks the alternation
    assert fired(x2, 4) == []


def test_test5_two_of_three_beyond_two_sigma_same_side():
    x = [0, 2.5, 0, 2.5, 0, 0, -2.5, 2.5, -2.5, 0]
    assert fired(x, 5) == [3, 8]
    assert all_tests(x) == [(3, 5), (8, 5)]
    # at the start the window is what has been seen; the completing point must be out
    assert fired([2.1, 2.2, 0.0], 5) == [1]


def test_test6_four_of_five_beyond_one_sigma_same_side():
    x = [1.5, 1.5, 0, 1.5, 1.5, 0, 0, 0, 0, 0]
    assert fired(x, 6) == [4]
    assert all_tests(x) == [(4, 6)]


def test_test7_fifteen_within_one_sigma():
    x = [0.5, 0.5, -0.5, -0.5] * 4 + [2.0, 0.5]
    assert fired(x, 7) == [14, 15]
    assert all_tests(x) == [(14, 7), (15, 7)]


def test_test8_eight_beyond_one_sigma_either_side():
    x = [1.5, 1.5, -1.5, -1.5] * 2 + [0.0]
    assert fired(x, 8) == [7]
    assert all_tests(x) == [(7, 8)]


def test_configurable_k_and_western_electric_preset():
    x = [0.5] * 8
    assert fired(x, 2) == []
    assert fired(x, 2, k={2: 8}) == [7]
    we = run_tests(x, 0.0, 1.0, rules=Rules.western_electric())
    assert [(s.index, s.test) for s in we] == [(7, 2)]
    assert fired([0, 2.0, 0], 1, k={1: 1.5}) == [1]


def test_variable_sigma_per_point():
    # a p chart with unequal subgroups: the same value is out for the big subgroup only
    z = standardize([0.3, 0.3], 0.2, [0.05, 0.1])
    assert z.tolist() == pytest.approx([2.0, 1.0])
    sig = run_tests([0.4, 0.4], 0.2, [0.05, 0.1], rules=Rules(tests=(1,)))
    assert [s.index for s in sig] == [0]


def test_nan_points_are_never_flagged_and_break_runs():
    x = [np.nan] + [0.5] * 8 + [np.nan] + [0.5] * 8
    assert fired(x, 2) == []
    assert fired([np.nan, 5.0], 1) == [1]


def test_signal_record():
    (s,) = run_tests([0.0, 4.0], 0.0, 1.0)
    assert s.to_dict() == {
        "index": 1,
        "test": 1,
        "value": 4.0,
        "description": describe_test(1, 3.0),
    }
    assert "2 out of 3" in describe_test(5, 2)


def test_presets_and_to_dict():
    assert Rules.preset("nelson") == Rules.minitab()
    assert Rules.preset("attribute").tests == (1, 2, 3, 4)
    assert Rules.preset("test1").tests == (1,)
    assert Rules().to_dict()["k"]["4"] == 14
    assert Rules(k={3: 7}).restricted((1, 3)).tests == (1, 3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tests": (0, 1)}, "test numbers 1 to 8"),
        ({"k": {9: 3}}, "test numbers 1 to 8"),
        ({"k": {2: 1}}, "K of test 2 must be an integer >= 2"),
        ({"k": {3: 6.5}}, "K of test 3"),
        ({"k": {1: -1.0}}, "K of test 1 must be a number > 0"),
        ({"k": {5: True}}, "K of test 5"),
    ],
)
def test_bad_rules_are_rejected(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        Rules(**kwargs)


def test_bad_preset_and_shape():
    with pytest.raises(InvalidParameterError, match="western_electric"):
        Rules.preset("westinghouse")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="1-D series"):
        run_tests([[1.0, 2.0]], 0.0, 1.0)


# -- an independent, loop-by-loop reading of the rules ---------------------------------
def reference(x, k=DEFAULT_K):
    n = len(x)
    out = set()
    for i in range(n):

        def win(m, i=i):
            return x[max(0, i - m + 1) : i + 1] if i - m + 1 >= 0 else None

        if abs(x[i]) > k[1]:
            out.add((i, 1))
        w = win(k[2])
        if w is not None and (all(v > 0 for v in w) or all(v < 0 for v in w)):
            out.add((i, 2))
        w = win(k[3])
        if w is not None:
            d = [b - a for a, b in itertools.pairwise(w)]
            if all(v > 0 for v in d) or all(v < 0 for v in d):
                out.add((i, 3))
        w = win(k[4])
        if w is not None:
            d = [b - a for a, b in itertools.pairwise(w)]
            if all(v != 0 for v in d) and all(
                d[j] * d[j + 1] < 0 for j in range(len(d) - 1)
            ):
                out.add((i, 4))
        for t, level in ((5, 2.0), (6, 1.0)):
            w = x[max(0, i - k[t]) : i + 1]
            if x[i] > level and sum(v > level for v in w) >= k[t]:
                out.add((i, t))
            if x[i] < -level and sum(v < -level for v in w) >= k[t]:
                out.add((i, t))
        w = win(k[7])
        if w is not None and all(abs(v) < 1 for v in w):
            out.add((i, 7))
        w = win(k[8])
        if w is not None and all(abs(v) > 1 for v in w):
            out.add((i, 8))
    return sorted(out)


@pytest.mark.property
@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from([-3.5, -2.5, -1.5, -0.5, 0.0, 0.5, 1.5, 2.5, 3.5]),
        min_size=0,
        max_size=60,
    ),
    st.integers(2, 10),
)
def test_vectorised_tests_equal_a_loop_reference(x, k2):
    k = {**DEFAULT_K, 2: k2}
    got = sorted((s.index, s.test) for s in run_tests(x, 0.0, 1.0, rules=Rules(k=k)))
    assert got == reference(x, k)


@pytest.mark.property
@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=40),
    st.floats(0.1, 10),
    st.floats(-100, 100),
)
# a point a hair above the centre line lands on it after the shift (1 + 3e-72 == 1.0)
@example([1.5] * 5 + [0.5] * 3 + [3.3325034645906734e-72], 1.0, 1.0)
def test_signals_invariant_to_location_and_scale(x, scale, shift):
    a = run_tests(x, 0.0, 1.0)
    y = [shift + scale * v for v in x]
    b = run_tests(y, shift, scale)

    # trend/alternation tests see the same ups and downs; zones the same z
    def key(sig):
        return [(s.index, s.test) for s in sig]

    # rounding can move a point onto a zone limit or the centre line, or make two
    # neighbours equal: those cases may legitimately differ
    close = any(
        math.isclose(abs(v), lvl, rel_tol=1e-9, abs_tol=1e-9)
        for v in x
        for lvl in (0.0, 1.0, 2.0, 3.0)
    ) or any(
        u != v and math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-9)
        for u, v in itertools.pairwise(x)
    )
    if not close:
        assert key(a) == key(b)


@pytest.mark.property
@settings(max_examples=5, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_test1_false_alarm_rate_on_a_stable_process(seed):
    rng = np.random.default_rng(seed)
    n = 400_000
    sig = run_tests(rng.standard_normal(n), 0.0, 1.0, rules=Rules(tests=(1,)))
    p = 2 * 0.0013498980316301  # P(|Z| > 3)
    sd = math.sqrt(p * (1 - p) / n)
    assert abs(len(sig) / n - p) < 5 * sd  # 5 sd: a false failure ~ 1 in 1.7 million
