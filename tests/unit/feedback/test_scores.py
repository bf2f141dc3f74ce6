import math
from datetime import datetime

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servops.errors import InvalidParameterError, LogSchemaError
from servops.feedback import ces, csat, detect_scale, nps, score_by, score_trend


def test_nps_hand_computed():
    # 5 promoters, 3 passives, 2 detractors of 10: NPS = 50 - 20 = 30.
    r = nps([10, 10, 9, 9, 9, 8, 7, 7, 5, 0])
    assert (r.n, r.promoters, r.passives, r.detractors) == (10, 5, 3, 2)
    assert r.nps == pytest.approx(30.0)
    # Var = (0.5 + 0.2 - 0.3**2) / 10 = 0.061; half = 1.959964 * 100 * sqrt(0.061)
    half = 1.959964 * 100 * math.sqrt(0.061)
    assert r.ci_low == pytest.approx(30 - half, abs=1e-4)
    assert r.ci_high == pytest.approx(30 + half, abs=1e-4)


def test_nps_skips_missing_and_clips():
    r = nps([10, None, float("nan"), 10])
    assert r.n == 2 and r.nps == 100.0 and r.ci_high == 100.0


def test_nps_rejects_out_of_scale():
    with pytest.raises(InvalidParameterError, match="row 2 is 11"):
        nps([3, 11])


def test_csat_wilson_hand_computed():
    r = csat([5, 4, 4, 3, 2, 1, 5, 5])  # 5 of 8 satisfied
    assert r.csat == pytest.approx(62.5)
    z = 1.959964
    n, p = 8, 5 / 8
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert r.ci_low == pytest.approx(100 * (centre - half), abs=1e-4)
    assert r.ci_high == pytest.approx(100 * (centre + half), abs=1e-4)
    assert r.mean == pytest.approx(29 / 8)


def test_ces_mean_and_interval():
    r = ces([2, 4, 6])
    assert r.mean == 4.0
    # sd = 2, t(0.975, 2) = 4.302653
    assert r.ci_high - r.mean == pytest.approx(4.302653 * 2 / math.sqrt(3), abs=1e-5)


def test_detect_scale():
    assert detect_scale([1, 2, 5]) == "csat"
    assert detect_scale([6, 10]) == "nps"
    assert detect_scale([0, 1]) == "nps"


def test_score_by_matches_nps():
    t = pa.table({"score": [10, 9, 3, 8, 10, 2], "ch": ["a", "a", "a", "b", "b", "b"]})
    rows = {r["segment"]: r for r in score_by(t, "ch").to_pylist()}
    for seg, vals in (("a", [10, 9, 3]), ("b", [8, 10, 2])):
        ref = nps(vals)
        assert rows[seg]["value"] == pytest.approx(ref.nps)
        assert rows[seg]["ci_low"] == pytest.approx(ref.ci_low, abs=1e-3)


def test_score_by_csat_matches_python():
    t = pa.table({"score": [5, 4, 1, 2, 5], "ch": ["x"] * 5})
    row = score_by(t, "ch").to_pylist()[0]
    ref = csat([5, 4, 1, 2, 5])
    assert row["value"] == pytest.approx(ref.csat)
    assert row["ci_low"] == pytest.approx(ref.ci_low, abs=1e-3)


def test_score_by_missing_column():
    with pytest.raises(LogSchemaError, match="Available columns"):
        score_by(pa.table({"score": [1]}), "channel")


def test_score_trend_monthly():
    t = pa.table(
        {
            "score": [10, 0, 10],
            "submitted_at": pa.array(
                [datetime(2024, 1, 1), datetime(2024, 1, 31), datetime(2024, 2, 2)],
                pa.timestamp("us", tz="UTC"),
            ),
        }
    )
    rows = score_trend(t).to_pylist()
    assert [(r["n"], r["value"]) for r in rows] == [(2, 0.0), (1, 100.0)]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=60), st.randoms())
def test_nps_invariant_under_shuffle_and_bounded(scores, rnd):
    a = nps(scores)
    shuffled = list(scores)
    rnd.shuffle(shuffled)
    b = nps(shuffled)
    assert a.nps == pytest.approx(b.nps)
    assert -100 <= a.ci_low <= a.nps <= a.ci_high <= 100
