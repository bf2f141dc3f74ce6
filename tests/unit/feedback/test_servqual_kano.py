import pyarrow as pa
import pytest
from tests.paths import DATA

from servops.errors import LogSchemaError
from servops.feedback import kano, kano_category, servqual
from servops.feedback.servqual import STANDARD_ITEMS

EXAMPLES = DATA.parents[1] / "docs" / "examples"


def test_servqual_hand_computed():
    # Two respondents, items 1-2 tangibles, 5 reliability.
    t = pa.table(
        {
            "E1": [7, 6],
            "P1": [5, 6],
            "E2": [6, 6],
            "P2": [4, 6],
            "E5": [7, 7],
            "P5": [6, 3],
        }
    )
    r = servqual(t)
    dims = {d["dimension"]: d for d in r.dimensions.to_pylist()}
    # respondent gaps: tangibles r1 = mean(-2, -2) = -2, r2 = mean(0, 0) = 0 -> -1
    assert dims["tangibles"]["gap"] == pytest.approx(-1.0)
    # reliability: -1, -4 -> -2.5
    assert dims["reliability"]["gap"] == pytest.approx(-2.5)
    assert r.score == pytest.approx(-1.75)
    items = {i["item"]: i for i in r.items.to_pylist()}
    assert items["5"]["expectation"] == 7 and items["5"]["perception"] == 4.5


def test_servqual_weights():
    t = pa.table({"E1": [7], "P1": [5], "E5": [7], "P5": [7]})
    r = servqual(t, weights={"tangibles": 25, "reliability": 75})
    assert r.weighted_score == pytest.approx(-0.5)


def test_servqual_bad_inputs():
    with pytest.raises(LogSchemaError, match="E<item>/P<item>"):
        servqual(pa.table({"x": [1]}))
    with pytest.raises(LogSchemaError, match="row 2"):
        servqual(pa.table({"E1": ["7", "9"], "P1": ["5", "5"]}))


def test_standard_mapping_has_22_items():
    assert len(STANDARD_ITEMS) == 22
    assert sum(v == "reliability" for v in STANDARD_ITEMS.values()) == 5


def test_kano_table_corners():
    assert kano_category(1, 1) == "Q" and kano_category(5, 5) == "Q"
    assert kano_category(1, 5) == "O"
    assert kano_category(2, 5) == "M"
    assert kano_category(1, 4) == "A"
    assert kano_category(5, 1) == "R"
    assert kano_category(4, 4) == "I"


def test_kano_long_hand_computed():
    t = pa.table(
        {
            "feature": ["sms"] * 4 + ["app"] * 4,
            "functional": ["1", "1", "2", "like", "3", "3", "2", "1"],
            "dysfunctional": ["5", "3", "5", "neutral", "3", "4", "5", "5"],
        }
    )
    rows = {r["feature"]: r for r in kano(t).to_pylist()}
    # sms: O, A, M, A -> attractive; better = 3/4, worse = -2/4
    assert rows["sms"]["category"] == "attractive"
    assert rows["sms"]["better"] == pytest.approx(0.75)
    assert rows["sms"]["worse"] == pytest.approx(-0.5)
    # app: I, I, M, O -> indifferent (2) ; better 1/4, worse -2/4
    assert rows["app"]["category"] == "indifferent"
    assert rows["app"]["worse"] == pytest.approx(-0.5)


def test_kano_tie_prefers_must_be():
    t = pa.table(
        {"feature": ["x", "x"], "functional": ["2", "1"], "dysfunctional": ["5", "3"]}
    )  # M and A tie
    assert kano(t).column("category").to_pylist() == ["must-be"]


def test_kano_wide_and_bad_answer():
    t = pa.table({"sms_functional": ["1", "2"], "sms_dysfunctional": ["5", "5"]})
    assert kano(t).column("n").to_pylist() == [2]
    with pytest.raises(LogSchemaError, match="row 1, column 'sms_functional'"):
        kano(pa.table({"sms_functional": ["maybe"], "sms_dysfunctional": ["5"]}))
    with pytest.raises(LogSchemaError, match="Available columns"):
        kano(pa.table({"x": [1]}))


def test_docs_examples_run():
    from servops.feedback import read_feedback

    r = servqual(read_feedback(EXAMPLES / "servqual.csv"))
    assert r.n == 6 and len(r.dimensions) == 5
    k = kano(read_feedback(EXAMPLES / "kano.csv"))
    assert set(k.column("feature").to_pylist()) >= {"sms_updates"}
