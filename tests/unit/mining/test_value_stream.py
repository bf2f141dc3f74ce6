"""One value stream: mining.value_stream is what bottlenecks and the blueprint report."""

from __future__ import annotations

import pyarrow as pa
import pytest

import servops as so
from servops.blueprint import parse_blueprint
from servops.blueprint.valuestream import value_stream as blueprint_value_stream
from servops.mining import (
    CustomerSide,
    bottlenecks,
    handovers,
    rework,
    value_stream,
)
from tests.unit.blueprint.test_bp_measures import VA, _timed_log


def test_first_execution_is_value_repeats_are_rework():
    log = _timed_log()
    vs = value_stream(log, value_adding=["B"])
    # case 1: B 30 min; case 2: B 10 min, its repeat (30 min) is rework
    assert vs.value_adding_time_mean_s == pytest.approx((30 + 10) / 2 * 60)
    assert vs.lead_time_mean_s == pytest.approx((70 + 120) / 2 * 60)
    assert vs.pce == pytest.approx(40 / 190)
    assert vs.time_basis == "measured"


def test_bottlenecks_and_blueprint_report_the_same_value_stream():
    log = _timed_log()
    bp = blueprint_value_stream(log, parse_blueprint(VA))
    assert bp.summary == value_stream(log, value_adding=["B"])
    assert bp.pce == bp.summary.pce
    assert bottlenecks(log, value_adding=["B"]).value_stream == bp.summary
    assert bp.lead_s == pytest.approx(bp.summary.lead_time_mean_s * bp.summary.cases)


def test_no_value_adding_step_is_unmeasurable_not_zero():
    log = _timed_log()
    plain = VA.replace(", value_adding: true", "")
    assert blueprint_value_stream(log, parse_blueprint(plain)).pce is None


def test_customer_side_time_by_hand():
    log = _timed_log()
    # the wait before C is the customer's: case 1 0 min, case 2 20 min
    vs = value_stream(log, customer_side=CustomerSide(before=("C",)))
    assert vs.customer_time_mean_s == pytest.approx(10 * 60)
    # waits: case 1 20 min before B; case 2 10 before B, 20 before B, 20 before C
    assert vs.waiting_time_mean_s == pytest.approx((20 + 50) / 2 * 60)
    assert vs.team_waiting_time_mean_s == pytest.approx(25 * 60)
    assert vs.pce_without_customer == pytest.approx(
        vs.value_adding_time_mean_s / (vs.lead_time_mean_s - 10 * 60)
    )
    assert so.mining.value_stream is value_stream


def test_shares_of_nothing_are_unmeasured_not_zero():
    # one instantaneous case: no lead time to share out
    t = pa.table(
        {
            "case_id": ["1", "1"],
            "activity": ["A", "B"],
            "timestamp": ["2024-03-04 09:00", "2024-03-04 09:00"],
            "resource": ["x", "y"],
        }
    )
    log = so.read_log(t)
    r = rework(log)
    assert r.share_with_rework == 0.0  # one case measured, none repeats
    assert r.share_of_lead_time is None  # no lead time at all
    b = bottlenecks(log)
    assert all(a.share_of_lead_time is None for a in b.activities)
    empty = log.where("activity = 'nothing'")
    assert handovers(empty).mean_handovers_per_case is None
