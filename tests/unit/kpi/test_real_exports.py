"""Issue 16 trial findings: figures right on real exports and on the demo.

Unmeasurable rates are null with a reason, one SLA attainment, FCR and handovers that do
not count customer turns, customer-side waiting labelled, and ``why`` without leaks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

import servops as so
from servops.cli.main import app
from servops.demo.generator import generate_service_desk
from servops.kpi import compute_kpis, load_config, root_causes, sla_report
from servops.kpi.config import config_from_dict
from servops.mining import bottlenecks
from tests.paths import shared_log
from tests.unit.kpi.conftest import make_log

DEMO_CFG = Path(__file__).resolve().parents[3] / "src" / "servops" / "demo" / "kpi.yaml"
H = 3600.0


@pytest.fixture(scope="module")
def demo():
    data = generate_service_desk(cases=600, seed=7)
    log = so.read_log(data.events)
    return log, load_config(DEMO_CFG, log)


def test_no_reopen_activity_means_no_reopen_rate_not_zero():
    log = so.read_log(shared_log("helpdesk.xes.gz"))
    cfg = load_config(None, log)
    assert not cfg.reopened
    row = compute_kpis(log, cfg, by=None).to_pylist()[0]
    assert row["reopen_rate"] is None
    assert row["fcr_rate"] is None
    assert row["closed"] > 4000  # the rest is measured
    why = cfg.unmeasurable()
    assert "no reopen activity" in why["reopen_rate"]
    assert "reopen" in why["fcr_rate"]


def test_cli_prints_na_with_the_reason(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame(
        {
            "case": ["a", "a", "b", "b"],
            "activity": ["Open", "Resolved", "Open", "Resolved"],
            "timestamp": ["2024-01-01 09:00", "2024-01-01 10:00"] * 2,
        }
    ).to_csv(path, index=False)
    res = CliRunner().invoke(app, ["kpi", str(path), "--by", "all"])
    assert res.exit_code == 0, res.output
    assert "n/a" in res.output
    assert "no reopen activity configured" in " ".join(res.output.split())
    res = CliRunner().invoke(app, ["kpi", str(path), "--by", "all", "--json"])
    row = json.loads(res.stdout)[0]
    assert row["reopen_rate"] is None
    assert row["fcr_rate"] is None
    assert "reopen_rate" in row["not_measured"]


def test_one_sla_attainment_in_kpi_sla_and_periods(demo):
    log, cfg = demo
    total = compute_kpis(log, cfg, by=None).to_pylist()[0]
    rep = sla_report(log, cfg)
    weeks = compute_kpis(log, cfg, by="week").to_pylist()
    assert total["sla_attainment"] == pytest.approx(rep.attainment, abs=1e-12)
    assert rep.total["met"] + rep.total["breached"] == total["sla_cases"]
    assert sum(w["sla_cases"] for w in weeks) == total["sla_cases"]
    assert sum(w["sla_breaches"] for w in weeks) == total["sla_breaches"]
    assert rep.total["breached"] == sum(p["breached"] for p in rep.policies)
    # the breach list is sorted as the CLI titles it: most late first
    late = rep.breaches.column("late_s").to_pylist()
    assert late == sorted(late, reverse=True)


def test_sla_cli_total_row_and_business_hours(tmp_path):
    data = generate_service_desk(cases=200, seed=3)
    path = tmp_path / "desk.csv"
    data.events.to_pandas().to_csv(path, index=False)
    res = CliRunner().invoke(app, ["sla", str(path), "-c", str(DEMO_CFG)])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "total" in text
    assert "business" in text
    assert "most late first" in text


def test_demo_fcr_counts_work_steps_not_the_acknowledgement(demo):
    log, cfg = demo
    row = compute_kpis(log, cfg, by=None).to_pylist()[0]
    happy = (
        "Ticket created",
        "First response",
        "L1 work",
        "Resolved",
        "Closed",
    )
    n_happy = next(
        v.cases for v in so.mining.variants(log).variants if v.activities == happy
    )
    # every happy-path case is resolved by one agent, never reopened: FCR; before the
    # fix a different agent sending the first response counted as a handover (7.4 %)
    assert row["fcr_rate"] * row["closed"] >= n_happy
    assert row["fcr_rate"] > 0.4


CONVERSATION = [
    # a customer-support chat: customer and agent take turns
    ("c1", "Customer wrote", "2024-01-08 09:00", "customer"),
    ("c1", "Agent replied", "2024-01-08 09:10", "agent-1"),
    ("c1", "Customer replied", "2024-01-08 09:20", "customer"),
    ("c1", "Agent replied", "2024-01-08 09:25", "agent-1"),
    ("c1", "Resolved", "2024-01-08 09:30", "agent-1"),
    ("c2", "Customer wrote", "2024-01-08 10:00", "customer"),
    ("c2", "Agent replied", "2024-01-08 10:10", "agent-1"),
    ("c2", "Agent replied", "2024-01-08 10:20", "agent-2"),
    ("c2", "Resolved", "2024-01-08 10:30", "agent-2"),
    ("c2", "Reopened", "2024-01-08 11:00", "customer"),
    ("c2", "Resolved", "2024-01-08 11:30", "agent-2"),
]


def test_customer_turns_are_not_handovers():
    log = make_log(CONVERSATION)
    cfg = load_config(None, log)
    assert "customer" in cfg.ignore_resources
    assert set(cfg.customer) == {"Customer wrote", "Customer replied"}
    from servops.kpi import case_metrics

    t = {r["case_id"]: r for r in case_metrics(log, cfg).to_pylist()}
    assert t["c1"]["handovers"] == 0  # agent-1 only; the customer's turns do not count
    assert t["c1"]["fcr"] is True
    assert t["c2"]["handovers"] == 1  # agent-1 -> agent-2
    assert t["c2"]["fcr"] is False


def test_handovers_by_group_column():
    rows = [
        ("a", "Open", "2024-01-08 09:00", "ann"),
        ("a", "Work", "2024-01-08 10:00", "bob"),
        ("a", "Work", "2024-01-08 11:00", "cat"),
        ("a", "Resolved", "2024-01-08 12:00", "cat"),
    ]
    groups = {"a": {"team": "L1"}}
    log = make_log(rows, groups)
    base = {"activities": {"resolved": "Resolved", "reopened": "Reopen"}}
    from servops.kpi import case_metrics

    person = case_metrics(log, config_from_dict(base)).to_pylist()[0]
    group = case_metrics(
        log, config_from_dict({**base, "handovers": {"by": "team"}})
    ).to_pylist()[0]
    assert person["handovers"] == 2
    assert group["handovers"] == 0
    assert group["fcr"] is True


def test_closed_window_and_customer_waits_are_customer_side(demo):
    log, cfg = demo
    b = bottlenecks(log, customer_side=cfg.customer_side())
    by = {a.activity: a for a in b.activities}
    closed = by["Closed"]
    assert closed.customer_side and closed.team_wait_total_s == 0.0
    assert by["Customer replied"].customer_side
    # the team's ranking starts with team work, not the auto-close window
    assert not b.activities[0].customer_side
    assert b.activities[0].team_wait_total_s > 0
    # customer-side time by hand: waits before Closed / Customer replied, and after
    # Waiting for customer / Resolved (no start times: the whole gap is waiting)
    df = log.to_pandas("instances").sort_values(["case_id", "timestamp", "event_index"])
    df["prev"] = df.groupby("case_id")["activity"].shift()
    gap = df.groupby("case_id")["timestamp"].diff().dt.total_seconds().fillna(0.0)
    side = df["activity"].isin(["Closed", "Customer replied"]) | df["prev"].isin(
        ["Waiting for customer", "Resolved"]
    )
    # waiting = gap minus the estimated service (resource-availability estimate), so
    # compare with the wait the timing module measured, summed per case
    timed = b.value_stream
    assert timed.customer_time_mean_s is not None
    assert timed.customer_time_mean_s <= (gap[side].sum() / df["case_id"].nunique()) + 1
    assert timed.team_waiting_time_mean_s < timed.waiting_time_mean_s
    assert timed.pce_without_customer is not None and timed.pce is not None
    assert timed.pce_without_customer > timed.pce
    # no customer side given: nothing is labelled
    plain = bottlenecks(log)
    assert plain.value_stream.customer_time_mean_s is None
    assert all(a.customer_wait_total_s == 0 for a in plain.activities)


def test_why_leaves_out_dates_ids_later_events_and_duplicates():
    rows, attrs = [], {}
    for i in range(60):
        c = f"c{i:02d}"
        slow = i % 2 == 0
        rows += [
            (c, "Ticket created", "2024-01-08 09:00", "system"),
            (
                c,
                "First response",
                "2024-01-08 12:00" if slow else "2024-01-08 09:30",
                "ann",
            ),
            # a handover after the first response, only in the slow cases
            (c, "Work", "2024-01-08 13:00", "bob" if slow else "ann"),
            (c, "Resolved", "2024-01-08 14:00", "bob" if slow else "ann"),
        ]
        attrs[c] = {
            "ticket_no": f"T-{i}",  # an identifier
            "channel": "email" if slow else "chat",
            "medium": "mail" if slow else "web",  # the same cases as channel
            "queue": "q1" if i % 3 else "q2",
        }
    table = make_log(rows, attrs).to_arrow()
    table = table.append_column(
        "opened_on",
        pa.array(table.column("timestamp").to_pylist(), pa.timestamp("us", tz="UTC")),
    )
    log = so.read_log(
        table.drop_columns(["event_index"])
        if "event_index" in table.column_names
        else table,
        columns=so.ColumnMap(
            case_id="case_id",
            activity="activity",
            timestamp="timestamp",
            resource="resource",
        ),
    )
    cfg = config_from_dict(
        {
            "activities": {"first_response": "First response", "resolved": "Resolved"},
            "sla": [{"name": "std", "first_response": "1h"}],
        }
    )
    rc = root_causes(log, "sla_breach", cfg, min_support=0.05)
    labels = rc.factors.column("label").to_pylist()
    assert rc.positives == 30
    assert "channel = email" in labels
    assert not any(lb.startswith("medium") for lb in labels)  # duplicate of channel
    assert not any(lb.startswith(("ticket_no", "opened_on")) for lb in labels)
    assert any("ticket_no" in n for n in rc.notes)
    # bob works only after the (late) first response: not a cause of its lateness
    assert "handled by bob" not in labels
    assert not any(lb.startswith("handovers") for lb in labels)
    assert not any(lb.startswith("variant") for lb in labels)
    # --exclude takes attribute names, kinds and labels
    rc2 = root_causes(log, "sla_breach", cfg, min_support=0.05, exclude=["channel"])
    labels2 = rc2.factors.column("label").to_pylist()
    assert "channel = email" not in labels2
    assert "medium = mail" in labels2  # no longer a duplicate of a kept factor
    # the tree's leaves carry rates
    leaves = rc.tree["leaves"]
    assert all(0 <= leaf["rate"] <= 1 for leaf in leaves)
    assert sum(leaf["cases"] for leaf in leaves) == rc.cases


def test_no_handler_means_no_handover_count_not_zero():
    rows = [
        ("a", "Open", "2024-01-08 09:00", None),
        ("a", "Resolved", "2024-01-08 10:00", None),
    ]
    log = make_log(rows)  # type: ignore[arg-type]
    cfg = config_from_dict({"activities": {"resolved": "Resolved", "reopened": "X"}})
    row = compute_kpis(log, cfg, by=None).to_pylist()[0]
    assert row["closed"] == 1
    assert row["reassigned_rate"] is None
    assert row["handovers_mean"] is None
    assert row["fcr_rate"] is None  # the handover limit cannot be checked


def test_handover_network_leaves_out_customer_turns():
    log = make_log(CONVERSATION)
    cfg = load_config(None, log)
    raw = so.mining.handovers(log)
    assert any("customer" in (h.source, h.target) for h in raw.handovers)
    net = so.mining.handovers(
        log,
        ignore_resources=cfg.ignore_resources,
        ignore_activities=cfg.customer_activities,
    )
    pairs = {(h.source, h.target): h.frequency for h in net.handovers}
    assert pairs == {("agent-1", "agent-2"): 1}
    assert "customer" not in net.work
