"""before_after and projects with cases still open at the end of the data (issue 19).

Open cases are right-censored at their wait so far, not dropped: dropping them leaves
the recent slow cases out of the *after* side and "finds" an improvement.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from scipy import stats

from servops.errors import InvalidParameterError
from servops.improve import before_after, evaluate_projects
from servops.improve.censoring import (
    censored_differences,
    censored_statistic,
    censored_statistic_rows,
)
from servops.improve.projects import projects_from_dict
from servops.log.filters import time_window
from tests.unit.improve.synth import START, H, tickets

CHANGE = date(2026, 4, 1)  # START + 720 h


def _cut(log, at: datetime):
    """The log as it was at ``at``: later events are not recorded yet."""
    return log.where(f"\"timestamp\" <= TIMESTAMPTZ '{at.isoformat()}'")


def _tiny():
    # before: 4 tickets of 1, 2, 3, 4 h, all closed. after: 1 h and 2 h closed; two
    # of 30 h still open when the data end at START + 794 h (waited 26 h and 2 h)
    arrivals = np.array([0.0, 24, 48, 72, 720, 744, 768, 792])
    lead = np.array([1.0, 2, 3, 4, 1, 2, 30, 30])
    end = START + timedelta(hours=794)
    return _cut(tickets(arrivals, lead), end), end


def test_tiny_example_by_hand():
    log, end = _tiny()
    r = before_after(log, CHANGE, "lead_time", dependence="none", data_end=end)
    assert r.censoring is not None
    assert r.censoring.method == "kaplan-meier"
    assert (r.censoring.open_before, r.censoring.open_after) == (0, 2)
    assert r.censoring.at == end
    # horizon: the shorter side's longest follow-up (before 4 h; after 26 h)
    assert r.censoring.horizon_s == pytest.approx(4 * H)
    assert (r.after.cases, r.after.measured, r.after.open) == (4, 2, 2)
    assert r.before.stats == pytest.approx(
        {"mean": 2.5 * H, "median": 2.5 * H, "p90": 3.7 * H, "restricted_mean": 2.5 * H}
    )
    # after, Kaplan-Meier over 1 (event), 2 (event), 2 (censored), 26 (censored):
    # S(1) = 3/4, S(2) = 3/4 * 2/3 = 1/2 -> median 2 h (dropping the open ones: 1.5 h);
    # S never reaches 0.1 -> p90 not known; the mean is not known with cases open;
    # restricted mean to 4 h = 1 + 3/4 + 2 * 1/2 = 2.75 h
    assert r.after.stats == pytest.approx(
        {"median": 2.0 * H, "restricted_mean": 2.75 * H}
    )
    assert r.after.value == pytest.approx(2.0 * H)
    ivs = censored_differences(
        (np.array([1.0, 2, 3, 4]) * H, np.zeros(4, dtype=bool)),
        (np.array([1.0, 2, 2, 26]) * H, np.array([False, False, True, True])),
        statistics=("median", "p90", "restricted_mean"),
        horizon_s=4 * H,
        n_resamples=200,
        seed=0,
    )
    assert ivs["median"].estimate == pytest.approx(-0.5 * H)
    assert ivs["restricted_mean"].estimate == pytest.approx(0.25 * H)
    assert np.isnan(ivs["p90"].estimate)
    # not measurable is no effect and a reason, never a 0
    assert "p90" not in r.effects and "10 %" in r.not_measurable["p90"]
    assert (
        "mean" not in r.effects
        and "2 case(s) are still open" in (r.not_measurable["mean"])
    )
    assert r.resampling is not None and r.resampling.method == "percentile"
    d = r.to_dict()
    assert d["censoring"]["open_after"] == 2  # type: ignore[index]
    assert d["after"]["unmeasured"] == 0 and d["after"]["open"] == 2  # type: ignore[index]


def test_censored_statistics_match_scipy_kaplan_meier():
    rng = np.random.default_rng(7)
    t = rng.exponential(5.0, 400)
    c = rng.random(400) < 0.35
    sf = stats.ecdf(stats.CensoredData(uncensored=t[~c], right=t[c])).sf
    for q, name in ((0.5, "median"), (0.9, "p90")):
        below = np.nonzero(sf.probabilities <= 1 - q + 1e-12)[0]
        want = sf.quantiles[below[0]] if below.size else None
        got = censored_statistic(t[~c], t[c], name)
        assert (got is None and want is None) or got == pytest.approx(want)
    grid = np.linspace(0.0, 6.0, 600_001)
    rmst = np.trapezoid(sf.evaluate(grid), grid)
    got = censored_statistic(t[~c], t[c], "restricted_mean", horizon_s=6.0)
    assert got == pytest.approx(rmst, rel=1e-5)
    # nothing open: the restricted mean past the longest duration is the mean
    x = rng.exponential(5.0, 50)
    assert censored_statistic(x, [], "restricted_mean", horizon_s=1e9) == (
        pytest.approx(x.mean())
    )
    # weights repeat cases: a row of 2s is the sample itself, twice
    w = np.full((1, t.size), 2.0)
    rows = censored_statistic_rows(t, c, np.vstack([np.ones(t.size), w[0]]), "median")
    assert rows[0] == pytest.approx(rows[1])


def test_bad_input():
    log, end = _tiny()
    with pytest.raises(InvalidParameterError, match="'data_end' parameter"):
        before_after(log, CHANGE, "lead_time", data_end=end - timedelta(hours=5))
    with pytest.raises(InvalidParameterError, match="'horizon_s' parameter"):
        censored_statistic([1.0, 2.0], [3.0], "restricted_mean")
    with pytest.raises(InvalidParameterError, match="'horizon_s' parameter"):
        censored_statistic([1.0, 2.0], [3.0], "restricted_mean", horizon_s=-1.0)
    # a zero horizon is an empty integral, not an error
    assert censored_statistic([0.0, 0.0], [0.0], "restricted_mean", horizon_s=0.0) == 0
    with pytest.raises(InvalidParameterError, match="'statistic' parameter"):
        censored_statistic([1.0, 2.0], [3.0], "mode")


def _steady_desk(seed: int, n: int = 1200):
    """Lead times that do not change (lognormal, median 4 d), read at START + 1441 h.

    Arrivals are uniform over 60 days and the log is read an hour after that, so the
    slow recent tickets are still open: 100-130 of ~600 after the change at the
    default size (60-80 of ~400 at 800 cases), 0-2 before.
    """
    rng = np.random.default_rng(seed)
    arrivals = np.sort(rng.uniform(0, 1440, n))
    lead = 96.0 * rng.lognormal(0.0, 0.8, n)
    end = START + timedelta(hours=1441)
    return _cut(tickets(arrivals, lead), end), end


def test_dropping_open_cases_finds_an_improvement_that_is_not_there():
    log, end = _steady_desk(3)
    closed_only = log.where(
        "case_id IN (SELECT case_id FROM events WHERE activity = 'Closed')"
    )
    kw = {"dependence": "none", "seed": 1, "data_end": end}  # durations independent
    old = before_after(closed_only, CHANGE, "lead_time", **kw)
    new = before_after(log, CHANGE, "lead_time", **kw)
    assert new.censoring is not None and new.censoring.open_after > 90
    # the old treatment: "fell", its interval below 0
    assert old.effects["median"].high < 0
    assert old.summary.startswith("Median lead time fell")
    # the new one: the same durations, no clear change, and a slower after median
    assert new.effects["median"].low < 0 < new.effects["median"].high
    assert new.effects["restricted_mean"].low < 0 < new.effects["restricted_mean"].high
    assert new.summary.startswith("Median lead time changed")
    assert new.after.stats["median"] > old.after.stats["median"] + 5 * H


@pytest.mark.slow
def test_false_improvements_over_seeds():
    # no change at all, 30 seeds: dropping open cases calls many runs an improvement;
    # censoring keeps the 95 % intervals' misses near 5 % (binomial 99 %: <= 5 of 30)
    old_hits = new_hits = 0
    for s in range(30):
        log, end = _steady_desk(100 + s, n=800)
        closed_only = log.where(
            "case_id IN (SELECT case_id FROM events WHERE activity = 'Closed')"
        )
        kw = {"dependence": "none", "seed": s, "data_end": end, "n_resamples": 500}
        old = before_after(closed_only, CHANGE, "lead_time", **kw)
        new = before_after(log, CHANGE, "lead_time", **kw)
        old_hits += old.effects["median"].high < 0
        new_hits += new.effects["median"].excludes(0.0)
    assert old_hits >= 8  # 13 of 30 when written; 8 is p < 1e-3 at 5 %
    assert new_hits <= 5


def test_projects_show_the_before_after_figures_with_open_cases():
    log, _ = _steady_desk(3, n=600)
    (p,) = projects_from_dict(
        {
            "projects": [
                {
                    "id": "A",
                    "title": "t",
                    "at": "2026-04-01",
                    "window": "20d",
                    "expected": {"metric": "lead_time", "change": "-6h"},
                }
            ]
        }
    )
    (ev,) = evaluate_projects(log, [p], seed=1, phases=False, its=False, predict=False)
    m = ev.evidence("lead_time")
    # the window is cut by arrival; its open cases have waited until the log's end
    last = log.fetchone('SELECT max("timestamp") FROM events')[0]
    moment = datetime(2026, 4, 1, tzinfo=UTC)
    sub = time_window(
        log, moment - timedelta(days=20), moment + timedelta(days=20), mode="started"
    )
    direct = before_after(sub, CHANGE, "lead_time", seed=1, data_end=last)
    assert direct.censoring is not None and direct.censoring.open_after > 0
    assert m.measured is not None
    assert m.measured.censoring == direct.censoring
    assert m.effect is not None
    assert m.effect.to_dict() == direct.effects["median"].to_dict()
    assert m.measured.after.stats == direct.after.stats


def test_projects_say_why_a_mean_is_not_measurable():
    log, _ = _steady_desk(3, n=600)
    (p,) = projects_from_dict(
        {
            "projects": [
                {
                    "id": "B",
                    "title": "t",
                    "at": "2026-04-01",
                    "window": "all",
                    "expected": [
                        {"metric": "lead_time", "statistic": "mean", "change": "-6h"}
                    ],
                }
            ]
        }
    )
    (ev,) = evaluate_projects(log, [p], seed=1, phases=False, its=False, predict=False)
    m = ev.evidence("lead_time")
    assert m.effect is None and m.verdict == "not measurable"
    assert m.summary.startswith("Mean lead time: not measurable (the mean lead time")
    assert "restricted mean" in m.summary


def test_mix_adjusted_difference_of_restricted_means_with_open_cases():
    # P1 tickets take about 20 h, P3 about 100 h, on both sides: only the mix changes
    # (P1 10 % of cases before, 50 % after); the log is read 2 days after the last
    # arrival, so slow recent P3 tickets are still open
    rng = np.random.default_rng(5)
    n = 400
    arrivals = np.concatenate(
        [np.sort(rng.uniform(0, 719, n)), np.sort(rng.uniform(720, 1439, n))]
    )
    prio = np.concatenate(
        [
            np.where(np.arange(n) % 10 == 0, "P1", "P3"),
            np.where(np.arange(n) % 2 == 0, "P1", "P3"),
        ]
    )
    lead = np.where(prio == "P1", 20.0, 100.0) * rng.uniform(0.8, 1.2, 2 * n)
    end = START + timedelta(hours=1487)
    log = _cut(tickets(arrivals, lead, priority=prio), end)
    r = before_after(log, CHANGE, "lead_time", seed=2, dependence="none")
    assert r.censoring is not None and r.censoring.open_after > 10
    crude = r.effects["restricted_mean"]
    assert crude.high < -20 * H  # the mix alone: far fewer slow P3 tickets
    adj = r.adjusted
    assert adj is not None and adj.statistic == "restricted_mean"
    assert type(adj.difference.estimate) is float
    assert adj.strata == ("P1", "P3")
    assert adj.difference.low < 0 < adj.difference.high
    assert abs(adj.difference.estimate) < 5 * H
    assert "At the same priority mix on both sides, restricted mean lead time" in (
        r.summary
    )


def test_an_open_case_that_has_responded_has_a_first_response():
    # the two open tickets of the tiny log got their first response after 0.5 h: only
    # durations that are not known yet are censored
    log, end = _tiny()
    r = before_after(log, CHANGE, "first_response", dependence="none", data_end=end)
    assert r.censoring is not None and r.censoring.method == "none"
    assert (r.censoring.open_before, r.censoring.open_after) == (0, 0)
    assert (r.after.measured, r.after.open) == (4, 0)
    assert "mean" in r.effects and r.not_measurable == {}
