"""Per-case metrics by hand: reopen, handovers, FCR, SLA with pauses, open cases."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import servops as so
from servops.kpi import case_metrics
from servops.kpi.cases import METRIC_COLUMNS
from tests.unit.kpi.conftest import demo_config, make_log

H = 3600.0

# Mon 2024-01-08 .. Mon 2024-01-15; office hours Mon-Fri 08-18 UTC
ROWS = [
    # a: clean, one agent: FR after 30 min, resolved 2 h after arrival, closed next day
    ("a", "Ticket created", "2024-01-08 09:00", "system"),
    ("a", "First response", "2024-01-08 09:30", "alice"),
    ("a", "Resolved", "2024-01-08 11:00", "alice"),
    ("a", "Closed", "2024-01-09 11:00", "system"),
    # b: waits for the customer across midnight, resolved after hours
    ("b", "Ticket created", "2024-01-08 09:00", "system"),
    ("b", "First response", "2024-01-08 10:00", "alice"),
    ("b", "Waiting for customer", "2024-01-08 17:00", "alice"),
    ("b", "Customer replied", "2024-01-09 09:30", "system"),
    ("b", "Resolved", "2024-01-09 19:00", "bob"),
    ("b", "Closed", "2024-01-10 19:00", "system"),
    # c: resolved, reopened, resolved again, closed
    ("c", "Ticket created", "2024-01-09 09:00", "system"),
    ("c", "First response", "2024-01-09 09:10", "alice"),
    ("c", "Resolved", "2024-01-09 10:00", "alice"),
    ("c", "Reopened", "2024-01-09 12:00", "system"),
    ("c", "Resolved", "2024-01-09 13:00", "carol"),
    ("c", "Closed", "2024-01-10 13:00", "system"),
    # d: arrives Friday 16:00, never answered: open at the end of the data, late
    ("d", "Ticket created", "2024-01-12 16:00", "system"),
    # e: resolved then reopened, still open at the end of the data
    ("e", "Ticket created", "2024-01-15 08:00", "system"),
    ("e", "First response", "2024-01-15 08:20", "alice"),
    ("e", "Resolved", "2024-01-15 08:40", "alice"),
    ("e", "Reopened", "2024-01-15 09:00", "system"),
    # f: arrives after the last reopen of e; data end is 10:00 Monday
    ("f", "Ticket created", "2024-01-15 09:45", "system"),
    ("f", "First response", "2024-01-15 10:00", "bob"),
]


@pytest.fixture
def table():
    t = case_metrics(make_log(ROWS), demo_config())
    return {r["case_id"]: r for r in t.to_pylist()}


def test_columns_and_one_row_per_case(table):
    t = case_metrics(make_log(ROWS), demo_config())
    assert t.column_names[: len(METRIC_COLUMNS)] == list(METRIC_COLUMNS)
    assert sorted(table) == ["a", "b", "c", "d", "e", "f"]


def test_clock_durations(table):
    a = table["a"]
    assert a["first_response_s"] == 0.5 * H
    assert a["resolution_time_s"] == 2 * H
    assert a["lead_time_s"] == 26 * H
    assert table["c"]["resolution_time_s"] == 4 * H  # the final resolution counts


def test_reopen_semantics(table):
    assert table["c"]["reopened"]
    assert table["c"]["reopens"] == 1
    e = table["e"]
    assert e["reopened"]
    assert e["resolved_at"] is None  # reopened after its resolution: unresolved again
    assert e["closed_at"] is None
    assert e["lead_time_s"] is None
    assert e["fcr"] is None


def test_handovers_ignore_system_and_fcr(table):
    assert table["a"]["handovers"] == 0
    assert table["a"]["fcr"] is True
    assert table["b"]["handovers"] == 1
    assert table["b"]["fcr"] is False
    assert table["c"]["handovers"] == 1
    assert table["c"]["fcr"] is False


def test_pause_across_midnight_business_hours(table):
    b = table["b"]
    # Mon 09-18 (9 h) + Tue 08-18 (10 h) = 19 business hours to the resolution at 19:00;
    # paused Mon 17-18 and Tue 08-09:30 = 2.5 business hours
    assert b["paused_s"] == 2.5 * H
    assert b["resolution_elapsed_s"] == 16.5 * H
    assert b["resolution_breached"]
    assert b["sla_late_s"] == 13.5 * H
    assert b["response_elapsed_s"] == 1 * H
    assert b["response_breached"] is False


def test_pause_on_clock_time():
    cfg = demo_config(sla=[{"name": "std", "resolution": "20h"}])
    b = {r["case_id"]: r for r in case_metrics(make_log(ROWS), cfg).to_pylist()}["b"]
    # Mon 09:00 -> Tue 19:00 = 34 h, paused 17:00 -> 09:30 = 16.5 h
    assert b["paused_s"] == 16.5 * H
    assert b["resolution_elapsed_s"] == 17.5 * H
    assert b["sla_status"] == "met"


def test_open_case_already_late_is_a_breach(table):
    d = table["d"]
    # Fri 16-18 (2 h) + Mon 08-10 (2 h) = 4 business hours by the data end (Mon 10:00)
    assert d["closed_at"] is None
    assert d["response_elapsed_s"] == 4 * H
    assert d["response_breached"]
    assert d["resolution_elapsed_s"] == 4 * H
    assert d["resolution_breached"]
    assert d["sla_status"] == "breached"
    assert d["sla_late_s"] == 3 * H


def test_open_case_not_yet_late_is_pending(table):
    f = table["f"]
    assert f["sla_status"] == "pending"
    assert f["sla_breached"] is False
    assert f["resolution_elapsed_s"] == 0.25 * H


def test_policies_in_order_and_no_policy_is_null():
    rows = [
        ("x", "Ticket created", "2024-01-08 09:00", "system"),
        ("x", "Resolved", "2024-01-08 10:00", "a"),
        ("y", "Ticket created", "2024-01-08 09:00", "system"),
        ("y", "Resolved", "2024-01-08 13:00", "a"),
        ("z", "Ticket created", "2024-01-08 09:00", "system"),
        ("z", "Resolved", "2024-01-08 13:00", "a"),
    ]
    attrs = {
        "x": {"prio": "P1", "seg": "VIP"},
        "y": {"prio": "P1", "seg": "std"},
        "z": {"prio": "P3", "seg": "std"},
    }
    cfg = demo_config(
        activities={"resolved": "Resolved"},
        pauses=[],
        sla=[
            {"name": "VIP", "when": {"seg": "VIP"}, "resolution": "30m"},
            {"name": "P1", "when": {"prio": ["P1", "P2"]}, "resolution": "5h"},
        ],
    )
    t = {r["case_id"]: r for r in case_metrics(make_log(rows, attrs), cfg).to_pylist()}
    assert t["x"]["sla_policy"] == "VIP"
    assert t["x"]["sla_breached"] is True
    assert t["y"]["sla_policy"] == "P1"
    assert t["y"]["sla_breached"] is False
    assert t["z"]["sla_policy"] is None
    assert t["z"]["sla_breached"] is None
    assert t["x"]["prio"] == "P1"  # attributes come along


def test_no_close_activity_means_closed_at_last_event(tiny_log):
    cfg = so.kpi.load_config(None, tiny_log)
    assert cfg.closed == ("Close",)
    from servops.kpi.config import config_from_dict

    t = case_metrics(tiny_log, config_from_dict({})).sort_by("case_id")
    assert t.column("lead_time_s").to_pylist() == [
        7200.0,
        18000.0,
        3600.0,
        5400.0,
        2700.0,
    ]


def test_dst_business_time_in_a_case():
    # Amsterdam office 08-18 daily; ticket from Sat 29 Mar 07:00 UTC (08:00 CET) to
    # Sun 30 Mar 07:00 UTC (09:00 CEST): 10 h Saturday + 1 h Sunday
    rows = [
        ("a", "Ticket created", "2025-03-29 07:00", "system"),
        ("a", "Resolved", "2025-03-30 07:00", "x"),
    ]
    cfg = demo_config(
        pauses=[],
        calendars={
            "ams": {"timezone": "Europe/Amsterdam", "hours": {"daily": "08:00-18:00"}}
        },
        sla=[{"name": "s", "resolution": "10h", "calendar": "ams"}],
    )
    r = case_metrics(make_log(rows), cfg).to_pylist()[0]
    assert r["resolution_elapsed_s"] == 11 * H
    assert r["sla_late_s"] == 1 * H


def test_empty_log_gives_empty_table():
    log = make_log(ROWS).where("case_id = 'nope'")
    t = case_metrics(log, demo_config())
    assert t.num_rows == 0


@pytest.mark.property
@settings(max_examples=6, deadline=None)
@given(st.randoms(use_true_random=False))
def test_row_order_does_not_matter(rnd):
    rows = list(ROWS)
    rnd.shuffle(rows)
    base = case_metrics(make_log(ROWS), demo_config()).sort_by("case_id")
    shuffled = case_metrics(make_log(rows), demo_config()).sort_by("case_id")
    assert shuffled.equals(base)


def test_synthetic_planted_effects(synth_log):
    cfg = demo_config()
    t = case_metrics(synth_log, cfg).to_pandas()
    # email tickets wait six times longer for a first response (see synth.py)
    med = t.groupby("channel").first_response_s.median()
    assert med["email"] > 3 * med["phone"]
    assert t.reopened.groupby(t.channel).mean()["chat"] > 0.15
    assert np.all(t.resolution_elapsed_s.dropna() >= 0)
    assert np.all(t.paused_s.dropna() >= 0)
    assert pa.Table.from_pandas(t).num_rows == synth_log.n_cases()
