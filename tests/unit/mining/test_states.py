"""State mode: status/audit-log exports (ServiceNow, BPIC 2013), by hand and on real logs."""

from __future__ import annotations

import pandas as pd
import pytest

import servops as so
from servops.kpi import compute_kpis, load_config
from servops.kpi.config import StateMode, config_from_dict
from servops.mining import rework
from servops.mining.states import collapse_states, repeated_state_share, state_times
from tests.paths import shared_log

H = 3600.0

# A ServiceNow incident export: one row per update of the record (sys_updated_at), the
# state repeated whenever another field changes.
SNOW = """number,incident_state,sys_updated_at,assignment_group,assigned_to
INC001,New,2024-03-04 09:00:00,Service Desk,
INC001,New,2024-03-04 09:05:00,Service Desk,ann
INC001,Active,2024-03-04 10:00:00,Service Desk,ann
INC001,Active,2024-03-04 11:00:00,Network,bob
INC001,Active,2024-03-04 12:00:00,Network,carl
INC001,Resolved,2024-03-04 14:00:00,Network,carl
INC001,Active,2024-03-05 09:00:00,Network,carl
INC001,Resolved,2024-03-05 10:00:00,Network,carl
INC001,Closed,2024-03-08 10:00:00,Network,carl
INC002,New,2024-03-04 09:30:00,Service Desk,
INC002,Active,2024-03-04 09:45:00,Service Desk,dan
INC002,Active,2024-03-04 10:15:00,Service Desk,dan
INC002,Awaiting User Info,2024-03-04 10:30:00,Service Desk,dan
INC002,Active,2024-03-04 16:30:00,Service Desk,dan
INC002,Resolved,2024-03-04 17:00:00,Service Desk,dan
INC002,Resolved,2024-03-04 17:01:00,Service Desk,dan
INC002,Closed,2024-03-07 17:00:00,Service Desk,dan
INC003,New,2024-03-05 08:00:00,Service Desk,
INC003,Active,2024-03-05 08:30:00,Service Desk,eve
INC003,Active,2024-03-05 09:00:00,Service Desk,fay
INC003,Resolved,2024-03-05 09:30:00,Service Desk,fay
"""
COLS = so.ColumnMap(
    case_id="number",
    activity="incident_state",
    timestamp="sys_updated_at",
    resource="assigned_to",
)


@pytest.fixture
def snow(tmp_path):
    path = tmp_path / "incident.csv"
    path.write_text(SNOW, encoding="utf-8")
    return so.read_log(path, columns=COLS)


def snow_config(**extra):
    d = {
        "activities": {"resolved": "Resolved", "closed": "Closed"},
        "pauses": [{"start": "Awaiting User Info"}],
        "states": {"reopen": [{"from": "Resolved", "to": "Active"}]},
    }
    d.update(extra)
    return config_from_dict(d, source="snow")


def test_repeats_are_merged_and_are_not_rework(snow):
    # 21 rows; 7 repeat the state before them (INC001: New, Active x2; INC002: Active,
    # Resolved; INC003: Active) -> 6 of 18 consecutive pairs
    assert repeated_state_share(snow) == pytest.approx(6 / 18)
    collapsed = collapse_states(snow)
    assert collapsed.n_events() == 21 - 6
    assert "6 repeated status rows merged" in collapsed.meta.notes[-1]
    # raw: every case "repeats" an activity; collapsed: only the real returns to a
    # state (INC001 Active/Resolved after the reopen, INC002 Active after the wait)
    assert rework(snow).cases_with_rework == 3
    assert rework(collapsed).cases_with_rework == 2
    first = collapsed.fetchall(
        "SELECT activity, \"timestamp\" FROM events WHERE case_id = 'INC001' "
        'ORDER BY "timestamp"'
    )
    assert [a for a, _ in first] == [
        "New",
        "Active",
        "Resolved",
        "Active",
        "Resolved",
        "Closed",
    ]
    # the stay keeps the row where the case entered the state
    assert first[1][1].hour == 10


def test_time_in_state_runs_until_the_next_change(snow):
    cfg = snow_config()
    r = state_times(snow, roles=cfg.state_roles())
    by = {s.state: s for s in r.states}
    # Active: INC001 10:00-14:00 (4 h) and 09:00-10:00 (1 h); INC002 09:45-10:30
    # (0.75 h) and 16:30-17:00 (0.5 h); INC003 08:30-09:30 (1 h)
    assert by["Active"].stays == 5
    assert by["Active"].total_s == pytest.approx((4 + 1 + 0.75 + 0.5 + 1) * H)
    # Resolved: INC001 14:00 -> 09:00 next day (19 h), 10:00 -> Closed 3 days later
    # (72 h); INC002 17:00 (its 17:01 repeat merged) -> Closed 3 days later (72 h);
    # INC003 never left Resolved: not timed
    assert by["Resolved"].stays == 4
    assert by["Resolved"].timed == 3
    assert by["Resolved"].total_s == pytest.approx((19 + 72 + 72) * H)
    assert by["Resolved"].role == "resolved"
    assert by["Awaiting User Info"].role == "pause"
    assert by["Active"].role == "team"
    # customer side: resolved windows and the 6 h wait for the user
    assert r.customer_side_s == pytest.approx((19 + 72 + 72 + 6) * H)
    assert r.customer_share == pytest.approx(r.customer_side_s / r.total_s)


def test_resolved_to_active_is_a_reopen(snow):
    cfg = snow_config()
    row = compute_kpis(snow, cfg, by=None).to_pylist()[0]
    assert (row["cases"], row["closed"]) == (3, 2)
    # INC001 reopened (Resolved -> Active); INC002 closed clean
    assert row["reopen_rate"] == pytest.approx(1 / 2)
    # resolutions: INC001 at 03-05 10:00 after arriving 03-04 09:00 (25 h, its first
    # resolution was undone by the reopen), INC002 7.5 h, INC003 1.5 h
    assert row["resolved"] == 3
    assert row["resolution_time_median_s"] == pytest.approx(7.5 * H)


def test_default_reopen_is_leaving_resolved_or_closed(snow):
    cfg = snow_config(states=True)
    assert cfg.states == StateMode()
    row = compute_kpis(snow, cfg, by=None).to_pylist()[0]
    assert row["reopen_rate"] == pytest.approx(1 / 2)


def test_reassignments_by_group_or_by_person(snow):
    by_person = compute_kpis(snow, snow_config(), by=None).to_pylist()[0]
    by_group = compute_kpis(
        snow, snow_config(handovers={"by": "assignment_group"}), by=None
    ).to_pylist()[0]
    # person: INC001 ann -> bob -> carl (2), INC002 none; closed cases only
    assert by_person["handovers_mean"] == pytest.approx(2 / 2)
    # group: INC001 Service Desk -> Network (1), INC002 none
    assert by_group["handovers_mean"] == pytest.approx(1 / 2)


def test_state_mode_from_the_cli(snow, tmp_path):
    import json

    from typer.testing import CliRunner

    from servops.cli.main import app

    path = tmp_path / "incident.csv"
    path.write_text(SNOW, encoding="utf-8")
    args = [
        str(path),
        "--case",
        "number",
        "--activity",
        "incident_state",
        "--timestamp",
        "sys_updated_at",
        "--resource",
        "assigned_to",
    ]
    plain = CliRunner().invoke(app, ["rework", *args])
    assert "status/audit-log export" in plain.output
    res = CliRunner().invoke(app, ["kpi", *args, "--by", "all", "--json"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(
        app, ["kpi", *args, "--by", "all", "--states", "activity", "--json"]
    )
    assert res.exit_code == 0, res.output
    row = json.loads(res.stdout)[0]
    assert row["reopen_rate"] == pytest.approx(1 / 2)
    assert row["not_measured"] == {
        "first_response": "no first-response activity configured",
        "sla_attainment": "no SLA policy configured",
    }


def _pandas_reopens(path_rows: pd.DataFrame) -> float:
    """Independent count: share of closed cases that left Resolved for another status."""
    df = path_rows.sort_values(["case", "ts", "i"])
    df = df[df["state"] != df.groupby("case")["state"].shift()]
    nxt = df.groupby("case")["state"].shift(-1)
    left = df[(df["state"].isin(["Resolved", "Closed"])) & nxt.notna()]
    left = left[~nxt[left.index].isin(["Resolved", "Closed"])]
    closed = df.groupby("case")["state"].last().eq("Closed")
    reopened = set(left["case"])
    return sum(c in reopened for c in closed[closed].index) / int(closed.sum())


@pytest.mark.parametrize(
    ("name", "resolved"),
    [
        ("bpic2013_incidents.xes.gz", ("Resolved",)),
        ("bpic2013_closed_problems.xes.gz", ()),  # problems are closed, not resolved
    ],
)
def test_bpic2013_statuses(name, resolved):
    log = so.read_log(shared_log(name))
    column = "lifecycle:transition"
    collapsed = collapse_states(log, column)
    raw = rework(log).share_with_rework
    after = rework(collapsed).share_with_rework
    assert raw is not None and after is not None
    assert after < raw
    cfg = load_config(None, log, states=StateMode(column=column))
    assert cfg.resolved == resolved
    assert cfg.closed == ("Closed",)
    row = compute_kpis(log, cfg, by=None).to_pylist()[0]
    df = pd.DataFrame(
        log.fetchall(
            f'SELECT case_id, CAST("{column}" AS VARCHAR), "timestamp", event_index '
            "FROM events"
        ),
        columns=["case", "state", "ts", "i"],
    )
    # the last event of a case that ends Closed is a close that no reopen followed
    expected = _pandas_reopens(df)
    assert 0 < row["reopen_rate"] < 0.5
    assert row["reopen_rate"] == pytest.approx(expected, abs=0.001)
