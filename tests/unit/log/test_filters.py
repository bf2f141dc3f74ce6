"""Filters return narrowed logs; hand-counted on the tiny log, chained, bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import servops as so
import servops.log.filters as F
from servops.errors import InvalidParameterError


def _cases(log):
    return sorted(r[0] for r in log.fetchall("SELECT DISTINCT case_id FROM instances"))


def test_time_window_modes(tiny_log):
    lo, hi = "2024-01-08 10:30", "2024-01-09 09:30"
    assert _cases(F.time_window(tiny_log, lo, hi, mode="contained")) == []
    assert _cases(F.time_window(tiny_log, lo, hi, mode="intersecting")) == [
        "c1",
        "c2",
        "c3",
    ]
    assert _cases(F.time_window(tiny_log, lo, hi, mode="started")) == ["c3"]
    assert _cases(F.time_window(tiny_log, lo, hi, mode="completed")) == ["c1", "c2"]
    trimmed = F.time_window(tiny_log, lo, hi, mode="trim")
    assert trimmed.n_events() == 1 + 3 + 2  # c1 Close; c2 Escalate..Close; c3 two
    assert F.time_window(tiny_log) is tiny_log
    aware = datetime(2024, 1, 9, tzinfo=UTC)
    assert _cases(F.time_window(tiny_log, start=aware)) == ["c3", "c4", "c5"]


def test_time_window_bad_input(tiny_log):
    with pytest.raises(InvalidParameterError, match="ISO 8601"):
        F.time_window(tiny_log, "yesterday")
    with pytest.raises(InvalidParameterError, match="'mode' parameter"):
        F.time_window(tiny_log, "2024-01-01", mode="inside")  # type: ignore[arg-type]


def test_attribute_values(tiny_log):
    assert _cases(F.attribute_values(tiny_log, "priority", ["low"])) == ["c3", "c4"]
    assert _cases(F.attribute_values(tiny_log, "resource", ["carol"])) == ["c2", "c4"]
    ev = F.attribute_values(tiny_log, "resource", ["carol"], level="event")
    assert ev.n_events() == 2
    assert (
        F.attribute_values(
            tiny_log, "resource", ["carol"], level="event", keep=False
        ).n_events()
        == 16
    )
    # quotes in values are data, not SQL
    assert F.attribute_values(tiny_log, "channel", ["x' OR '1'='1"]).n_cases() == 0
    with pytest.raises(InvalidParameterError, match="no column 'colour'"):
        F.attribute_values(tiny_log, "colour", ["red"])
    with pytest.raises(InvalidParameterError, match="at least one value"):
        F.attribute_values(tiny_log, "channel", [])


def test_paths_and_variants(tiny_log):
    assert _cases(F.through_activity(tiny_log, ["Triage", "Resolve"])) == [
        "c1",
        "c2",
        "c3",
    ]
    assert _cases(F.starts_with(tiny_log, ["Triage"])) == []
    assert _cases(F.ends_with(tiny_log, ["Triage"])) == ["c5"]
    assert _cases(F.top_variants(tiny_log, 1)) == ["c1", "c3"]
    assert len(_cases(F.top_variants(tiny_log, 10))) == 5
    with pytest.raises(InvalidParameterError, match="'k' parameter of top_variants"):
        F.top_variants(tiny_log, 0)


def test_min_activity_frequency(tiny_log):
    f = F.min_activity_frequency(tiny_log, 2)
    acts = {r[0] for r in f.fetchall("SELECT DISTINCT activity FROM instances")}
    assert "Escalate" not in acts
    # the DFG now links Triage directly to Resolve in c2
    assert so.mining.discover_dfg(f).frequencies()[("Triage", "Resolve")] == 3


def test_filters_chain_in_order(tiny_log):
    a = F.through_activity(F.top_variants(tiny_log, 1), ["Escalate"])
    b = F.top_variants(F.through_activity(tiny_log, ["Escalate"]), 1)
    assert _cases(a) == []
    assert _cases(b) == ["c2"]
    assert len(b.predicates) == 2


def test_a_query_reading_the_log_twice_sees_the_filter_both_times(tiny_log):
    # unfiltered, events/instances are inlined (re-scanned); filtered, the engine
    # shares one evaluation of the filter: either way both reads see the same rows
    sql = (
        "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM instances), "
        "(SELECT count(DISTINCT case_id) FROM events e JOIN instances i USING (case_id))"
    )
    assert "NOT MATERIALIZED" in tiny_log._run_sql(sql)
    n_inst = tiny_log.fetchone("SELECT count(*) FROM instances")[0]
    assert tiny_log.fetchone(sql) == (18, n_inst, 5)
    narrowed = tiny_log.where(
        "case_id IN (SELECT case_id FROM events WHERE activity = 'Escalate')"
    )
    assert "NOT MATERIALIZED" not in narrowed._run_sql(sql)
    n = narrowed.fetchone("SELECT count(*) FROM events")[0]
    n_inst = narrowed.fetchone("SELECT count(*) FROM instances")[0]
    assert narrowed.fetchone(sql) == (n, n_inst, len(_cases(narrowed)))
    assert 0 < n < 18
