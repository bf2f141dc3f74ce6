"""Pareto tables."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servops.errors import InvalidParameterError, LogSchemaError
from servops.spc import log_pareto, pareto


def test_counts_shares_and_vital_few():
    r = pareto({"wrong address": 40, "late": 30, "damaged": 20, "other": 10})
    assert [row.category for row in r.rows] == [
        "wrong address",
        "late",
        "damaged",
        "other",
    ]
    assert [row.cumulative_share for row in r.rows] == pytest.approx(
        [0.4, 0.7, 0.9, 1.0]
    )
    assert r.vital_few == ("wrong address", "late", "damaged")
    assert pareto({"a": 80, "b": 20}).vital_few == ("a",)
    assert r.to_dict()["vital_few"] == list(r.vital_few)


def test_lumping_into_other():
    r = pareto(list("aaaabbbccd"), max_categories=2)
    assert [(row.category, row.count) for row in r.rows] == [
        ("a", 4),
        ("b", 3),
        ("Other", 3),
    ]
    assert r.rows[-1].vital is False


def test_ties_are_ordered_by_name():
    assert [row.category for row in pareto({"b": 1, "a": 1}).rows] == ["a", "b"]


def test_log_pareto(tiny_log):
    r = log_pareto(tiny_log, "activity", per="event")
    assert r.rows[0].category == "Register"
    assert r.total == 18
    with pytest.raises(LogSchemaError, match="Available columns"):
        log_pareto(tiny_log, "colour")


def test_bad_input():
    with pytest.raises(InvalidParameterError, match="at least one category"):
        pareto({})
    with pytest.raises(InvalidParameterError, match="'threshold' parameter"):
        pareto(["a"], threshold=0)
    with pytest.raises(InvalidParameterError, match="count of 'a'"):
        pareto({"a": -1})


@pytest.mark.property
@settings(max_examples=80, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=4), st.integers(1, 1000), min_size=1, max_size=15
    ),
    st.floats(0.05, 1.0),
)
def test_pareto_properties(counts, threshold):
    r = pareto(counts, threshold=threshold)
    values = [row.count for row in r.rows]
    assert values == sorted(values, reverse=True)
    assert r.rows[-1].cumulative_share == pytest.approx(1.0)
    assert sum(row.share for row in r.rows) == pytest.approx(1.0)
    vital = [row for row in r.rows if row.vital]
    assert vital and vital == list(r.rows[: len(vital)])
    # the vital few reach the threshold, and one fewer would not
    assert vital[-1].cumulative_share >= threshold - 1e-9
    if len(vital) > 1:
        assert vital[-2].cumulative_share < threshold
