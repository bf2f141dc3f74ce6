"""A/B on a log with tickets still open in both arms (as a live service's log has).

Hand-made log in the service's vocabulary (``New``, ``Agent replied``, ``Resolved``; no
close activity, so the guessed KPI config counts a case as closed at its last event):

* arm A: 10 tickets, 6 resolved after 2 h, 4 still open (last event: a reply at 0.5 h);
* arm B: 10 tickets, 8 resolved after 4 h, 2 still open.

The open tickets' lead time is not known yet (right-censored). It must not be counted
as the time to their last event (0.5 h, which would make A look faster still and add 4 +
2 false measurements): the differences use the 6 + 8 resolved tickets, the notes name
the 4 + 2 open ones, and the log-rank test counts them as censored at the end of the
data.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

import servops as so
from servops.improve.abtest import ab_test
from servops.kpi import KpiConfig

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _log() -> tuple[so.EventLog, dict[str, list[float]], dict[str, list[float]]]:
    rows: dict[str, list[object]] = {
        k: [] for k in ("case_id", "activity", "timestamp", "ab_triage")
    }
    done: dict[str, list[float]] = {"A": [], "B": []}
    arrived: dict[str, list[float]] = {"A": [], "B": []}
    for i in range(20):
        arm = "A" if i % 2 == 0 else "B"
        k = i // 2  # the k-th ticket of its arm
        t0 = T0 + timedelta(hours=3 * i)
        lead = 2.0 if arm == "A" else 4.0
        resolved = k < (6 if arm == "A" else 8)
        steps = [("New", 0.0), ("Agent replied", 0.5)]
        if resolved:
            steps.append(("Resolved", lead))
            done[arm].append(lead * 3600)
        else:
            arrived[arm].append(3 * i * 3600.0)
        for act, h in steps:
            rows["case_id"].append(f"T{i:03d}")
            rows["activity"].append(act)
            rows["timestamp"].append(t0 + timedelta(hours=h))
            rows["ab_triage"].append(arm)
    return so.read_log(pa.table(rows)), done, arrived


def test_open_tickets_are_censored_not_measured_to_their_last_event():
    log, done, arrived = _log()
    r = ab_test(log, "ab_triage", "lead_time", control="A", treatment="B")
    assert (r.n_control, r.n_treatment) == (10, 10)
    # only the resolved tickets are measured
    assert (r.measured_control, r.measured_treatment) == (6, 8)
    assert (r.open_control, r.open_treatment) == (4, 2)
    assert r.effects["median"].estimate == pytest.approx(2 * 3600)  # 4 h - 2 h
    assert any(
        n.startswith("4 control and 2 treatment case(s) are still open")
        and "right-censored" in n
        for n in r.notes
    ), r.notes
    # log-rank with the open tickets censored at the end of the data (its last event)
    end = max(log.fetchone('SELECT max("timestamp") FROM events')[0] - T0, timedelta())
    cens = {a: [end.total_seconds() - s for s in arrived[a]] for a in "AB"}
    ref = stats.logrank(
        stats.CensoredData(uncensored=done["B"], right=cens["B"]),
        stats.CensoredData(uncensored=done["A"], right=cens["A"]),
    )
    assert r.censored_p_value == pytest.approx(ref.pvalue)
    assert r.to_dict()["open_control"] == 4
    assert r.to_dict()["censored_p_value"] == pytest.approx(ref.pvalue)


def test_with_a_close_activity_a_resolved_ticket_not_closed_is_still_open():
    log, _, _ = _log()
    cfg = KpiConfig(resolved=("Resolved",), closed=("Closed",))
    r = ab_test(log, "ab_triage", "lead_time", control="A", treatment="B", config=cfg)
    # nothing is closed: every lead time is censored, none measured
    assert (r.measured_control, r.measured_treatment) == (0, 0)
    assert (r.open_control, r.open_treatment) == (10, 10)
    assert r.summary.startswith("Lead time: not measurable")
    res = ab_test(
        log, "ab_triage", "resolution_time", control="A", treatment="B", config=cfg
    )
    assert (res.measured_control, res.measured_treatment) == (6, 8)
    assert (res.open_control, res.open_treatment) == (4, 2)


def test_first_response_of_an_open_ticket_is_measured_when_it_has_one():
    log, _, _ = _log()
    cfg = KpiConfig(first_response=("Agent replied",), resolved=("Resolved",))
    r = ab_test(
        log, "ab_triage", "first_response", control="A", treatment="B", config=cfg
    )
    # every ticket has a reply at 0.5 h, open or not: nothing is censored
    assert (r.measured_control, r.measured_treatment) == (10, 10)
    assert (r.open_control, r.open_treatment) == (0, 0)
    assert np.isclose(r.effects["median"].estimate, 0.0)


def test_rates_are_unchanged_by_censoring():
    log, _, _ = _log()
    r = ab_test(log, "ab_triage", "fcr", control="A", treatment="B")
    assert r.censored_p_value is None
    assert (r.open_control, r.open_treatment) == (0, 0)


def test_a_config_that_cannot_see_open_cases_says_so():
    log, _, _ = _log()
    r = ab_test(
        log, "ab_triage", "lead_time", control="A", treatment="B", config=KpiConfig()
    )
    assert (r.open_control, r.open_treatment) == (0, 0)
    assert any("names no close or resolution activity" in n for n in r.notes)
