"""Blueprint waiting tells the customer's waiting from the team's (issue 16).

The classification is mining's (:class:`servops.mining.CustomerSide`, from the KPI
config): the wait before a customer turn or a closing step, and after a pause start or
a resolution, is the customer's.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import servops as so
from servops.blueprint import load_blueprint, parse_blueprint
from servops.blueprint._metrics import step_stats
from servops.blueprint.overlay import overlay
from servops.cli.main import app
from servops.kpi.cases import resolve_config
from servops.mining import CustomerSide
from tests.paths import shared_log
from tests.unit.blueprint._logs import make_log

DESK = parse_blueprint(
    """
name: desk
steps:
  - {id: new, name: New, lane: frontstage, activities: [Ticket created]}
  - {id: ask, name: Ask, lane: frontstage, activities: [Waiting for customer]}
  - {id: reply, name: Reply, lane: customer, activities: [Customer replied]}
  - {id: res, name: Resolve, lane: backstage, activities: [Resolved]}
  - {id: close, name: Close, lane: frontstage, activities: [Closed]}
"""
)


def desk_log() -> so.EventLog:
    # one event an hour; c2 never waits for the customer
    return make_log(
        {
            "c1": [
                "Ticket created",
                "Waiting for customer",
                "Customer replied",
                "Resolved",
                "Closed",
            ],
            "c2": ["Ticket created", "Resolved", "Closed"],
        }
    )


def test_hand_computed_customer_and_team_waiting():
    log = desk_log()
    side = resolve_config(None, log).customer_side()
    assert side == CustomerSide(
        before=("Customer replied", "Closed"),
        after=("Waiting for customer", "Resolved"),
    )
    stats = step_stats(log, DESK, customer_side=side)
    # (waiting, customer's part) in hours: Reply waits 1 h on the customer; Close 1 h
    # after each of the two resolutions; Resolve and Ask are the team's
    got = {
        s: (st.waiting_s / 3600, st.customer_wait_s / 3600)
        for s, st in stats.items()
        if s
    }
    assert got == {
        "new": (0.0, 0.0),
        "ask": (1.0, 0.0),
        "reply": (1.0, 1.0),
        "res": (2.0, 0.0),
        "close": (2.0, 2.0),
    }
    assert {s for s, st in stats.items() if st.customer_side} == {"reply", "close"}


def test_overlay_labels_the_customer_part_and_colours_the_teams():
    log = desk_log()
    ov = overlay(
        log, DESK, "waiting", customer_side=resolve_config(None, log).customer_side()
    )
    close = ov.steps["close"]
    assert close.mean_wait_s == pytest.approx(3600.0)
    assert close.mean_team_wait_s == pytest.approx(0.0)
    assert close.mean_customer_wait_s == pytest.approx(3600.0)
    assert close.customer_side and close.value == pytest.approx(0.0)
    assert close.label == "wait 0 s + customer 60 min"
    assert ov.steps["res"].label == "wait 60 min"
    d = close.to_dict()
    assert d["customer_side"] is True and d["mean_customer_wait_s"] == pytest.approx(
        3600.0
    )
    # without a classification all waiting is the team's, as before
    plain = overlay(log, DESK, "waiting").steps["close"]
    assert plain.mean_customer_wait_s == 0.0 and plain.label == "wait 60 min"


def test_helpdesk_close_window_is_the_customers(tmp_path):
    log = so.read_log(shared_log("helpdesk.xes.gz"))
    bp = load_blueprint("docs/examples/helpdesk-blueprint.yaml")
    side = resolve_config("docs/examples/kpi.yaml", log).customer_side()
    stats = step_stats(log, bp, customer_side=side)
    close = next(s.id for s in bp.steps if "Closed" in s.activities)
    # every wait before "Closed" is the auto-close window: all the customer's
    assert stats[close].customer_wait_s == pytest.approx(stats[close].waiting_s)
    assert stats[close].waiting_s > 0 and stats[close].customer_side
    team = [
        s for s, st in stats.items() if s and st.waiting_s > 0 and not st.customer_side
    ]
    assert team  # the team's steps stay the team's
    res = CliRunner().invoke(
        app,
        [
            "blueprint",
            "render",
            "docs/examples/helpdesk-blueprint.yaml",
            "--log",
            str(shared_log("helpdesk.xes.gz")),
            "-c",
            "docs/examples/kpi.yaml",
            "-o",
            str(tmp_path / "bp.html"),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    steps = {s["step"]: s for s in json.loads(res.stdout)["metrics"]}
    assert steps[close]["customer_side"] is True
    assert "+ customer" in steps[close]["label"]
