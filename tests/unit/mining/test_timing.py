"""Waiting vs service time, bottlenecks, rework and handovers, by hand."""

from __future__ import annotations

import pytest

import servops as so
from servops.errors import InvalidParameterError
from tests.paths import shared_log
from tests.unit.mining.conftest import make_log


def _by_act(result):
    return {a.activity: a for a in result.activities}


def test_measured_waiting_and_service(interval_log):
    r = so.mining.activity_times(interval_log)
    assert r.time_basis == "measured"
    assert r.note == ""
    a = _by_act(r)
    # a: A waits 0, serves 10 min; B instant, waits 0
    assert a["a"].waiting_total_s == 0.0
    assert a["a"].service_total_s == 600.0
    # b: A enabled by a's end 09:10, starts 09:30 -> 20 min wait, 30 min service;
    #    B enabled by the instant a at 09:00, starts 09:00 -> 0 wait, 20 min service
    assert a["b"].waiting_total_s == 1200.0
    assert a["b"].service_total_s == 1800.0 + 1200.0
    # c (parallel to b): latest end not after 09:40 is a's 09:10 -> 30 min
    assert a["c"].waiting_total_s == 1800.0
    # d: join; latest end before 10:30 is b's 10:00 -> 30 min
    assert a["d"].waiting_total_s == 1800.0
    assert a["d"].service_mean_s == 1800.0
    assert r.activities[0].activity in {"c", "d"}  # sorted by total waiting
    assert r.case_duration.count == 2
    assert r.case_duration.max_s == 7200.0


def test_estimated_when_no_start_times():
    d = "2024-03-04 "
    log = make_log(
        [
            ("1", "x", d + "10:00", "r"),
            ("2", "y", d + "09:00", "s"),
            ("2", "z", d + "11:00", "r"),
        ],
        resource=True,
    )
    r = so.mining.activity_times(log)
    assert r.time_basis == "estimated"
    assert "ESTIMATE" in r.note
    z = _by_act(r)["z"]
    # z enabled at 09:00 by y; its resource r was busy until 10:00
    assert z.waiting_total_s == 3600.0
    assert z.service_total_s == 3600.0


def test_bottlenecks_and_value_stream(interval_log):
    b = so.mining.bottlenecks(interval_log)
    vs = b.value_stream
    assert vs.cases == 2
    assert vs.lead_time_mean_s == (7200.0 + 1200.0) / 2
    assert vs.processing_time_mean_s == (600 + 1800 + 600 + 1800 + 0 + 1200) / 2
    assert vs.waiting_time_mean_s == (1200 + 1800 + 1800) / 2
    assert vs.pce == pytest.approx(vs.processing_time_mean_s / vs.lead_time_mean_s)
    b2 = so.mining.bottlenecks(interval_log, value_adding=["d"])
    assert b2.value_stream.value_adding_time_mean_s == 900.0
    total_lead = 8400.0
    top = b.activities[0]
    assert top.share_of_lead_time == pytest.approx(top.waiting_total_s / total_lead)
    assert b.transitions[0].source == "c"
    assert b.transitions[0].total_s == 2400.0
    assert len(so.mining.bottlenecks(interval_log, top=1).transitions) == 1


def test_bottlenecks_bad_value_adding(interval_log):
    with pytest.raises(InvalidParameterError, match="value-adding activities"):
        so.mining.bottlenecks(interval_log, value_adding=["nope"])


def test_rework_by_hand():
    d = "2024-03-04 "
    log = make_log(
        [
            ("1", "a", d + "09:00"),
            ("1", "b", d + "09:10"),
            ("1", "b", d + "09:30"),
            ("1", "c", d + "09:40"),
            ("1", "a", d + "10:40"),
            ("2", "a", d + "09:00"),
            ("2", "c", d + "09:05"),
        ]
    )
    r = so.mining.rework(log)
    assert r.cases == 2
    assert r.cases_with_rework == 1
    assert r.share_with_rework == 0.5
    acts = {a.activity: a for a in r.activities}
    assert set(acts) == {"a", "b"}
    assert acts["b"].self_loops == 1
    assert acts["b"].rework_time_s == 1200.0  # second b: 09:10 -> 09:30
    assert acts["a"].self_loops == 0
    assert acts["a"].rework_time_s == 3600.0  # second a: 09:40 -> 10:40
    assert r.rework_time_s == 4800.0
    assert r.mean_duration_with_rework_s == 6000.0
    assert r.mean_duration_without_rework_s == 300.0
    assert r.share_of_lead_time == pytest.approx(4800 / 6300)


def test_handovers_by_resource_and_group(tiny_log):
    h = so.mining.handovers(tiny_log)
    pairs = {(x.source, x.target): x.frequency for x in h.handovers}
    assert pairs == {
        ("alice", "bob"): 4,
        ("bob", "alice"): 2,
        ("carol", "alice"): 2,
        ("alice", "carol"): 1,
        ("bob", "carol"): 1,
    }
    assert h.work == {"alice": 9, "bob": 7, "carol": 2}
    assert h.mean_handovers_per_case == pytest.approx(10 / 5)
    g = so.mining.handovers(tiny_log, by="channel")
    assert g.handovers == ()  # channel is a case attribute: no handover between groups
    with pytest.raises(InvalidParameterError, match="'by' parameter of handovers"):
        so.mining.handovers(tiny_log, by="nope")


def test_production_real_start_times():
    log = so.read_log(shared_log("production.csv.gz"))
    assert log.has_start_times
    r = so.mining.activity_times(log)
    assert r.time_basis == "measured"
    assert all(
        a.waiting_total_s is not None and a.waiting_total_s >= 0 for a in r.activities
    )
    # service time equals the file's own duration column, summed
    dur = (
        log.fetchone('SELECT sum("@@duration") FROM instances')
        if ("@@duration" in log.attributes)
        else None
    )
    total_service = sum(a.service_total_s or 0 for a in r.activities)
    if dur is not None and dur[0] is not None:
        assert total_service == pytest.approx(float(dur[0]), rel=1e-6)
    assert total_service > 0
