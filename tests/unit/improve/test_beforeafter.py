"""before_after: planted effects recovered, confounders named, one definition per KPI."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import numpy as np
import pytest

import servops as so
from servops.errors import InvalidParameterError
from servops.improve import before_after
from servops.improve.intervals import newcombe_interval
from tests.unit.improve.synth import tickets

CHANGE = date(2026, 4, 1)  # START + 720 h
# symmetric: the median offset is exactly 0; in a fixed random order over the arrivals
# (in arrival order they would be a trend, which the day-block bootstrap rightly reads
# as dependence between days)
OFFSETS = np.random.default_rng(19).permutation(np.linspace(-4.0, 4.0, 200))


def _planted(before_h: float = 9.1, after_h: float = 6.4):
    arrivals = np.concatenate(
        [np.linspace(0, 719, OFFSETS.size), np.linspace(720, 1439, OFFSETS.size)]
    )
    lead = np.concatenate([before_h + OFFSETS, after_h + OFFSETS])
    return tickets(arrivals, lead)


def test_planted_median_improvement_is_found_and_sized():
    r = before_after(_planted(), CHANGE, "lead_time", seed=1)
    assert r.before.stats["median"] == pytest.approx(9.1 * 3600)
    assert r.after.stats["median"] == pytest.approx(6.4 * 3600)
    med = r.effects["median"]
    assert med.estimate == pytest.approx(-2.7 * 3600)
    assert med.low < -2.7 * 3600 < med.high
    assert med.high < 0
    assert r.effects["mean"].estimate == pytest.approx(-2.7 * 3600)
    # 30 days a side are 4 whole-week blocks: found, but "too few periods to judge"
    assert re.match(
        r"Median lead time fell from 9\.1 h to 6\.4 h \(−2\.7 h, 95 % CI −\d\.\d "
        r"to −\d\.\d h\)\. Too few periods to judge \(30 and 30 days, blocks of 7\)\. "
        r"200 cases before \(6\.7 a day\), 200 after \(6\.7 a day",
        r.summary,
    ), r.summary
    assert r.before.cases == r.after.cases == 200
    assert len(r.notes) == 1 and r.notes[0].startswith("Too few periods to judge")
    assert r.change_at == datetime(2026, 4, 1, tzinfo=UTC)


def test_no_change_says_so():
    r = before_after(_planted(8.0, 8.0), CHANGE, "lead_time", seed=1)
    assert not r.effects["median"].excludes(0.0)
    assert "no clear change" in r.summary
    assert r.summary.startswith("Median lead time changed from 8.0 h to 8.0 h")


def test_same_seed_same_result():
    log = _planted()
    a = before_after(log, CHANGE, "lead_time", seed=5)
    b = before_after(log, CHANGE, "lead_time", seed=5)
    assert a.to_dict() == b.to_dict()


def test_values_are_the_kpi_packages_per_case_values():
    log = _planted()
    r = before_after(log, CHANGE, "lead_time", seed=1)
    cm = so.kpi.case_metrics(log)
    lead = np.array(cm.column("lead_time_s").to_pylist())
    arrived = cm.column("arrived_at").to_pylist()
    after = np.array([t >= r.change_at for t in arrived])
    assert r.before.stats["p90"] == pytest.approx(np.quantile(lead[~after], 0.9))
    # compute_kpis over the whole log reports the same median as case_metrics
    k = so.kpi.compute_kpis(log, by=None)
    assert k.column("lead_time_median_s")[0].as_py() == pytest.approx(np.median(lead))


def test_rates_use_newcombe_on_the_case_counts_without_dependence():
    n = 40
    arrivals = np.concatenate([np.linspace(0, 700, n), np.linspace(730, 1400, n)])
    reopened = np.concatenate([np.arange(n) < 10, np.arange(n) < 4])
    log = tickets(arrivals, np.full(2 * n, 5.0), reopened=reopened)
    r = before_after(log, CHANGE, "reopened", dependence="none")
    assert r.effects["rate"] == newcombe_interval(10, 40, 4, 40)
    assert r.resampling is not None and r.resampling.method == "newcombe"
    assert r.before.rate is not None and r.before.rate.estimate == 0.25
    assert r.summary.startswith(
        "Reopen rate changed from 25.0 % to 10.0 % (−15.0 points"
    )
    fcr = before_after(log, CHANGE, "fcr", dependence="none")
    assert fcr.effects["rate"].estimate == pytest.approx(0.15)


def test_volume_ratio_by_hand():
    # 100 arrivals in the 30 days before, 200 in the 30 days after (same span each)
    arrivals = np.concatenate(
        [np.linspace(0, 720, 101)[:-1], np.linspace(720, 1440, 200)]
    )
    log = tickets(arrivals, np.full(300, 2.0))
    r = before_after(log, CHANGE, "lead_time", seed=1)
    assert r.volume.before_per_day == pytest.approx(100 / 30)
    assert r.volume.after_per_day == pytest.approx(200 / 30)
    ratio = r.volume.ratio
    assert ratio is not None and ratio.estimate == pytest.approx(2.0)
    assert ratio.low > 1.5 and ratio.high < 2.6
    assert "×2.00" in r.summary


def test_case_mix_change_is_named_and_adjusted_away():
    # P1 tickets take 2 h, P3 tickets 10 h, on both sides: nothing changed but the mix
    # (P1 is 10 % of cases before and 50 % after), so the crude mean falls by 3.2 h
    rng = np.random.default_rng(3)
    n = 300
    arrivals = np.concatenate(
        [np.sort(rng.uniform(0, 719, n)), np.sort(rng.uniform(720, 1439, n))]
    )
    prio = np.concatenate(
        [
            np.where(np.arange(n) % 10 == 0, "P1", "P3"),
            np.where(np.arange(n) % 2 == 0, "P1", "P3"),
        ]
    )
    lead = np.where(prio == "P1", 2.0, 10.0) + rng.uniform(-0.5, 0.5, 2 * n)
    r = before_after(
        tickets(arrivals, lead, priority=prio), CHANGE, "lead_time", seed=2
    )
    assert r.effects["mean"].estimate == pytest.approx(-3.2 * 3600, abs=0.2 * 3600)
    (mix,) = r.mix
    assert mix.attribute == "priority"
    assert mix.before["P1"] == pytest.approx(0.1) and mix.after["P1"] == pytest.approx(
        0.5
    )
    assert mix.p_value is not None and mix.p_value < 1e-6
    adj = r.adjusted
    assert adj is not None and adj.by == "priority" and adj.statistic == "mean"
    assert adj.difference.low < 0 < adj.difference.high
    assert abs(adj.difference.estimate) < 0.1 * 3600
    assert "The case mix changed: priority" in r.summary
    assert (
        "At the same priority mix on both sides, mean lead time changed by" in r.summary
    )


def test_segment_restricts_the_cases():
    prio = np.array(["P1", "P3"] * 200)
    log = tickets(np.linspace(0, 1439, 400), np.full(400, 3.0), priority=prio)
    r = before_after(log, CHANGE, "lead_time", segment={"priority": "P1"}, seed=1)
    assert r.before.cases + r.after.cases == 200
    assert r.mix[0].before == {"P1": 1.0}


def test_open_cases_are_counted_and_censored_not_dropped():
    # the last ticket takes 500 h; the log ends at the last arrival: it is still open.
    # It used to be left out ("1 of 50 ... have no measured lead time"); now it is
    # right-censored at its wait (0 h here) and counted
    arrivals = np.concatenate([np.linspace(0, 700, 50), np.linspace(730, 1400, 50)])
    lead = np.concatenate([np.full(50, 3.0), np.full(49, 3.0), [500.0]])
    full = tickets(arrivals, lead)
    last = full.fetchone(
        "SELECT max(\"timestamp\") FROM events WHERE activity = 'Ticket created'"
    )[0]
    part = full.where(f"\"timestamp\" <= TIMESTAMPTZ '{last.isoformat()}'")
    r = before_after(part, CHANGE, "lead_time", seed=1)
    assert r.after.cases == 50 and r.after.measured == 49 and r.after.open == 1
    assert r.after.to_dict()["unmeasured"] == 0
    assert r.censoring is not None and r.censoring.method == "kaplan-meier"
    assert (r.censoring.open_before, r.censoring.open_after) == (0, 1)
    assert any(
        n.startswith("1 of 50 cases after the change are still open") for n in r.notes
    )
    assert "mean" not in r.effects and "restricted mean" in r.not_measurable["mean"]
    assert "1 case(s) were still open at the end of the data" in r.summary


def test_bad_input():
    log = _planted()
    with pytest.raises(InvalidParameterError, match="'metric' parameter"):
        before_after(log, CHANGE, "speed")
    with pytest.raises(InvalidParameterError, match="attribute 'team'"):
        before_after(log, CHANGE, "lead_time", segment={"team": "A"})
    with pytest.raises(InvalidParameterError, match=r"'change_at' parameter .* inside"):
        before_after(log, date(2030, 1, 1), "lead_time")
    with pytest.raises(InvalidParameterError, match="'mix' / 'adjust_by'"):
        before_after(log, CHANGE, "lead_time", adjust_by="channel")


def test_too_few_cases_is_not_measurable():
    arrivals = np.concatenate([np.linspace(0, 700, 20), [800.0]])
    r = before_after(tickets(arrivals, np.full(21, 2.0)), CHANGE, "lead_time")
    assert r.effects == {} and r.adjusted is None
    assert "not measurable" in r.summary
    d = r.to_dict()
    assert r.after.to_dict()["value"] is None and d["effects"] == {}


@pytest.mark.slow
def test_planted_effect_coverage_over_seeds():
    # lognormal lead times, median 9.1 h -> 6.4 h: the 95 % CI of the median difference
    # covers -2.7 h in about 95 % of 60 runs (binomial 99 % band: 0.85 .. 1.0)
    hits = 0
    runs = 60
    for s in range(runs):
        rng = np.random.default_rng(100 + s)
        arrivals = np.concatenate(
            [rng.uniform(0, 719, 250), rng.uniform(720, 1439, 250)]
        )
        lead = np.concatenate(
            [9.1 * rng.lognormal(0, 0.5, 250), 6.4 * rng.lognormal(0, 0.5, 250)]
        )
        r = before_after(
            tickets(np.sort(arrivals), lead),
            CHANGE,
            "lead_time",
            seed=s,
            n_resamples=1000,
        )
        hits += r.effects["median"].low <= -2.7 * 3600 <= r.effects["median"].high
    assert hits / runs >= 0.85


def test_same_result_whatever_the_row_order():
    # the bootstrap draws cases by position: the case table is sorted first, so the
    # order of the log's rows (and DuckDB's threads) cannot change the intervals
    import pyarrow as pa

    log = _planted()
    table = log.to_arrow("events")
    perm = np.random.default_rng(0).permutation(table.num_rows)
    shuffled = so.read_log(table.take(pa.array(perm)))
    a = before_after(log, CHANGE, "lead_time", seed=3, n_resamples=300)
    b = before_after(shuffled, CHANGE, "lead_time", seed=3, n_resamples=300)
    assert a.to_dict() == b.to_dict()
