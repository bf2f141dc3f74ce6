"""Activity times label customer-side waiting exactly as bottlenecks do."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import servops as so
import servops.demo
from servops.cli.main import app
from servops.demo.generator import generate_service_desk
from servops.mining import CustomerSide, activity_times, bottlenecks
from tests.unit.mining.conftest import make_log

DEMO_KPI = Path(servops.demo.__file__).parent / "kpi.yaml"


@pytest.fixture
def closing_log():
    # (case, activity, end, start); waits by hand: Work 60 + 20 min, Resolved 0 + 5 min,
    # Closed 3 h + 2 h (the auto-close window after the resolution), Open 0
    return make_log(
        [
            ("1", "Open", "2024-01-01 09:10", "2024-01-01 09:00"),
            ("1", "Work", "2024-01-01 10:30", "2024-01-01 10:10"),
            ("1", "Resolved", "2024-01-01 10:35", "2024-01-01 10:30"),
            ("1", "Closed", "2024-01-01 13:35", "2024-01-01 13:35"),
            ("2", "Open", "2024-01-02 09:10", "2024-01-02 09:00"),
            ("2", "Work", "2024-01-02 09:40", "2024-01-02 09:30"),
            ("2", "Resolved", "2024-01-02 09:50", "2024-01-02 09:45"),
            ("2", "Closed", "2024-01-02 11:50", "2024-01-02 11:50"),
        ],
        start=True,
    )


def test_without_a_customer_side_all_waiting_is_the_teams(closing_log):
    r = activity_times(closing_log)
    assert [a.activity for a in r.activities] == ["Closed", "Work", "Resolved", "Open"]
    closed = r.activities[0]
    assert closed.waiting_total_s == 5 * 3600.0
    assert closed.customer_wait_total_s == 0.0
    assert closed.team_wait_total_s == 5 * 3600.0
    assert not closed.customer_side
    assert r.customer_side is None


@pytest.mark.parametrize(
    "side", [CustomerSide(before=("Closed",)), CustomerSide(after=("Resolved",))]
)
def test_the_auto_close_window_is_the_customers(closing_log, side):
    r = activity_times(closing_log, customer_side=side)
    # ranked by the team's waiting; Closed (0 team wait, 5 h in all) before Open (0, 0)
    assert [a.activity for a in r.activities] == ["Work", "Resolved", "Closed", "Open"]
    times = {a.activity: a for a in r.activities}
    assert times["Closed"].customer_wait_total_s == 5 * 3600.0
    assert times["Closed"].team_wait_total_s == 0.0
    assert times["Closed"].customer_side
    assert times["Work"].team_wait_total_s == 80 * 60.0
    assert not times["Work"].customer_side
    assert r.to_dict()["customer_side"] == side.to_dict()
    assert r.to_dict()["activities"][2]["customer_side"] is True


def test_demo_activities_agree_with_bottlenecks_and_the_cli(tmp_path):
    log = so.EventLog.from_arrow(generate_service_desk(cases=3000, seed=7).events)
    side = so.kpi.load_config(DEMO_KPI, log).customer_side()
    assert activity_times(log).activities[0].activity == "Closed"  # the old ranking
    times = activity_times(log, customer_side=side).activities
    ranked = bottlenecks(log, customer_side=side).activities
    assert [a.activity for a in times] == [b.activity for b in ranked]
    for a, b in zip(times, ranked, strict=True):
        assert a.waiting_total_s == pytest.approx(b.waiting_total_s)
        assert a.customer_wait_total_s == pytest.approx(b.customer_wait_total_s)
        assert a.customer_side == b.customer_side
    assert times[0].activity != "Closed"
    assert next(a for a in times if a.activity == "Closed").customer_side
    # the command reads the same config (-c) and ranks the same way
    path = tmp_path / "demo.parquet"
    pq.write_table(generate_service_desk(cases=3000, seed=7).events, path)
    res = CliRunner().invoke(
        app, ["activities", str(path), "-c", str(DEMO_KPI), "--json"]
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert [a["activity"] for a in d["activities"]] == [a.activity for a in times]
    assert d["customer_side"] == side.to_dict()
