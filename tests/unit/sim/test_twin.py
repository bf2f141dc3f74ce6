"""Discovery and validation: hand-made logs, and twins of real logs held to the
log's own half-vs-half distance (Simod's measures)."""

from __future__ import annotations

import pyarrow as pa
import pytest

import servops as so
from servops.sim import discover_model, log_distances, simulate, validate_twin
from servops.sim.validate import MEASURES
from tests.paths import shared_log


def _log(rows):
    t = pa.table(
        {
            "case_id": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "timestamp": [r[2] for r in rows],
        }
    )
    return so.read_log(t)


def test_discover_tiny(tiny_log):
    m = discover_model(tiny_log)
    assert m.routing.start == {"Register": 1.0}
    assert m.routing.successors("Register") == pytest.approx(
        {"Triage": 0.8, "Resolve": 0.2}
    )
    # tiny.csv has no start times: all time between events is delay, no work.
    assert all(a.duration.mean_s == 0 for a in m.activities.values())
    assert set(m.attributes) >= {"priority", "channel"}
    assert m.arrivals.mean_rate_per_s > 0
    # The model is valid YAML that loads back (six significant digits in the file).
    again = so.sim.load_model(m.to_dict())
    assert again.to_dict() == m.to_dict()
    d_again, d_orig = again.activities["Close"].delay, m.activities["Close"].delay
    assert d_again is not None
    assert d_orig is not None
    assert d_again.mean_s == pytest.approx(d_orig.mean_s, rel=1e-5)


def test_ngram_distance_hand_computed():
    a = _log([("1", "x", "2024-01-01 10:00"), ("1", "y", "2024-01-01 11:00")])
    b = _log([("1", "x", "2024-01-01 10:00"), ("1", "z", "2024-01-01 11:00")])
    # Padded 3-grams: a = {··x, ·xy, xy·, y··}, b = {··x, ·xz, xz·, z··}:
    # 3 of 4 differ on each side -> (3/4 + 3/4) / 2 = 0.75.
    d = log_distances(a, b)
    assert d.ngram_3 == pytest.approx(0.75)
    assert d.cycle_time_emd == 0.0
    assert log_distances(a, a).ngram_3 == 0.0


def test_emd_measures_hand_computed():
    a = _log([("1", "x", "2024-01-01 10:00"), ("1", "y", "2024-01-01 12:00")])
    b = _log([("1", "x", "2024-01-01 10:00"), ("1", "y", "2024-01-01 15:00")])
    d = log_distances(a, b)
    assert d.cycle_time_emd == pytest.approx(3.0)  # 2 h vs 5 h
    assert d.arrival_emd == 0.0
    # Events at hours {0, 2} vs {0, 5}: half the mass moves 3 hours.
    assert d.absolute_event_emd == pytest.approx(1.5)
    assert d.circadian_event_emd == pytest.approx(1.5 / 7)


def _twin_check(name: str, *, seed: int = 1):
    log = so.read_log(shared_log(name))
    model = discover_model(log)
    end = log.fetchone('SELECT max("timestamp") FROM events')[0]
    sim = simulate(model, cases=log.n_cases(), until=end, seed=seed)
    return validate_twin(log, sim.log)


def test_helpdesk_twin_within_twice_half_vs_half():
    r = _twin_check("helpdesk.xes.gz")
    assert r.ratio("ngram_3") <= 2.0, r.to_dict()
    assert r.ratio("cycle_time_emd") <= 2.0, r.to_dict()
    assert set(MEASURES) <= set(r.to_dict())


@pytest.mark.slow
def test_bpic2012_twin_within_twice_half_vs_half():
    r = _twin_check("bpic2012.xes.gz")
    assert r.ratio("ngram_3") <= 2.0, r.to_dict()
    assert r.ratio("cycle_time_emd") <= 2.0, r.to_dict()


def test_discovered_model_simulates_start_and_end_times():
    log = so.read_log(shared_log("production.csv.gz"))
    m = discover_model(log)
    assert any(a.duration.mean_s > 0 for a in m.activities.values())
    assert m.pools
    run = simulate(m, cases=100, seed=2)
    assert run.log.has_start_times
    assert run.log.n_cases() > 0
