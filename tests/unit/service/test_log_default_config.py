"""A log read from the live service carries its state machine's KPI roles.

The Python API given no config (``so.kpi.compute_kpis(log)``, ``ab_test``,
``target_status``) takes the roles ``servops kpi --service URL`` takes: those of the
state machine stored in the service, here one that renames the resolved and closed
activities (*Fixed*, *Archived*) and moves the pause from *Waiting for customer* to
*On hold* — names a guess from activity names reads differently.

12 tickets over 12 days, half in arm A (``ab_x``): the first 8 are fixed 10 h after
creation (tickets 1, 3 after 6 h waiting for the customer) and archived 2 h later; the
last 4 stay open.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from typer.testing import CliRunner

import servops as so
from servops.cli.kpi import service_config
from servops.cli.main import app
from servops.improve import Target, ab_test, target_status
from servops.kpi import compute_kpis, load_config
from servops.kpi.config import KpiConfig, guess_config

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
MACHINE = """\
initial: new
states:
  new: {category: new, activity: New}
  open: {category: open, activity: In progress}
  waiting_for_customer: {category: open, activity: Waiting for customer}
  on_hold: {category: pending, activity: On hold}
  resolved: {category: resolved, activity: Fixed}
  closed: {category: closed, activity: Archived}
transitions:
  new: [open, waiting_for_customer, on_hold, resolved, closed]
  open: [waiting_for_customer, on_hold, resolved, closed]
  waiting_for_customer: [open, on_hold, resolved, closed]
  on_hold: [open, waiting_for_customer, resolved, closed]
  resolved: [open, closed]
  closed: [open]
activities:
  created: Ticket created
  first_response: Agent replied
  customer: Customer replied
  reopened: Reopened
  internal: Internal note
  changed: "{field} changed"
"""


class _Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> datetime:
        return self.t


@pytest.fixture(scope="module")
def live(pg_url: str) -> str:
    from sqlalchemy.orm import Session

    from servops.service import config_store, tickets
    from servops.service.db import make_engine

    clock = _Clock()
    engine = make_engine(pg_url)
    try:
        with Session(engine) as s:
            config_store.save(s, "statemachine", MACHINE, None)
            s.commit()
        with Session(engine) as s:
            for i in range(12):
                clock.t = T0 + timedelta(days=i)
                t = tickets.create_ticket(
                    s,
                    subject=f"t{i}",
                    channel="web",
                    attributes={"ab_x": "A" if i % 2 == 0 else "B"},
                    now=clock,
                )
                if i < 8:
                    clock.t += timedelta(hours=1)
                    tickets.transition(s, t, "open", now=clock)
                    if i in (1, 3):
                        clock.t += timedelta(hours=1)
                        tickets.transition(s, t, "waiting_for_customer", now=clock)
                        clock.t += timedelta(hours=6)
                        tickets.transition(s, t, "open", now=clock)
                    clock.t = T0 + timedelta(days=i, hours=10)
                    tickets.transition(s, t, "resolved", now=clock)
                    clock.t += timedelta(hours=2)
                    tickets.transition(s, t, "closed", now=clock)
            s.commit()
    finally:
        engine.dispose()
    return pg_url


@pytest.mark.slow  # PostgreSQL, the CLI: ~7 s on the loaded host
def test_the_api_without_a_config_takes_the_stored_machines_roles(live: str) -> None:
    log = so.open_log(live)
    cfg = log.default_config
    assert isinstance(cfg, KpiConfig)
    assert (cfg.resolved, cfg.closed) == (("Fixed",), ("Archived",))
    assert [p.start for p in cfg.pauses] == [("On hold",)]
    assert load_config(None, log) is cfg
    assert service_config(log) is cfg
    # a guess from the names reads the log differently: the choice matters
    guess = guess_config(log)
    assert (guess.closed, [p.start for p in guess.pauses]) != (
        cfg.closed,
        [p.start for p in cfg.pauses],
    )

    (row,) = compute_kpis(log, by=None).to_pylist()
    (given,) = compute_kpis(log, cfg, by=None).to_pylist()
    assert row == given
    assert row["cases"] == 12
    res = CliRunner().invoke(app, ["kpi", "--service", live, "--by", "all", "--json"])
    assert res.exit_code == 0, res.output
    (cli,) = json.loads(res.stdout)
    shared = sorted(set(cli) & set(row))
    assert {"cases", "closed", "lead_time_median_s", "resolved"} <= set(shared)
    assert {k: cli[k] for k in shared} == {k: row[k] for k in shared}
    # 8 archived 12 h after creation; the 4 open ones are not measured
    assert (row["closed"], row["resolved"]) == (8, 8)
    assert row["lead_time_median_s"] == 12 * 3600.0
    (guessed,) = compute_kpis(log, guess, by=None).to_pylist()
    assert (guessed["closed"], guessed["lead_time_median_s"]) != (8, 12 * 3600.0)


@pytest.mark.slow  # PostgreSQL: ~4 s on the loaded host
def test_filters_keep_the_roles(live: str) -> None:
    log = so.open_log(live)
    cfg = log.default_config
    assert isinstance(cfg, KpiConfig)
    arm = log.where("case_id IN (SELECT case_id FROM events WHERE ab_x = 'A')")
    assert arm.default_config is cfg
    assert arm.with_meta(name="arm A").default_config is cfg
    (row,) = compute_kpis(arm, by=None).to_pylist()
    assert row == compute_kpis(arm, cfg, by=None).to_pylist()[0]
    assert row["cases"] == 6


@pytest.mark.slow  # PostgreSQL: ~3.5 s on the loaded host
def test_ab_and_targets_without_a_config_take_the_same_roles(live: str) -> None:
    log = so.open_log(live)
    cfg = log.default_config
    assert isinstance(cfg, KpiConfig)
    target = Target("lead", "lead_time", "median", 11 * 3600.0, date(2030, 1, 1))
    (s,) = target_status(log, [target], window_weeks=4)
    (given,) = target_status(log, [target], config=cfg, window_weeks=4)
    assert s == given
    assert s.current == 12 * 3600.0
    assert any(n.startswith("4 case(s) still open") for n in s.notes), s.notes
    r = ab_test(log, "ab_x", "lead_time", control="A")
    assert r == ab_test(log, "ab_x", "lead_time", control="A", config=cfg)
    assert (r.measured_control, r.measured_treatment) == (4, 4)
    assert (r.open_control, r.open_treatment) == (2, 2)


def test_a_file_log_still_guesses(tmp_path) -> None:
    p = tmp_path / "l.csv"
    p.write_text(
        "c,a,t\n1,Ticket created,2026-01-01 09:00\n1,Resolved,2026-01-01 10:00\n"
        "1,Closed,2026-01-01 11:00\n"
    )
    log = so.read_csv(p, columns=so.ColumnMap(case_id="c", activity="a", timestamp="t"))
    assert log.default_config is None
    assert log.where("true").default_config is None
    cfg = load_config(None, log)
    assert cfg == guess_config(log)
    assert (cfg.resolved, cfg.closed) == (("Resolved",), ("Closed",))


def test_a_carried_config_is_the_default_and_survives_filters(tmp_path) -> None:
    """Without PostgreSQL: any log handed a default config is read with it."""
    p = tmp_path / "l.csv"
    p.write_text(
        "c,a,t\n1,Ticket created,2026-01-01 09:00\n1,Fixed,2026-01-01 10:00\n"
        "1,Archived,2026-01-01 12:00\n2,Ticket created,2026-01-02 09:00\n"
        "2,Fixed,2026-01-02 10:00\n2,Note,2026-01-02 14:00\n"
    )
    plain = so.read_csv(
        p, columns=so.ColumnMap(case_id="c", activity="a", timestamp="t")
    )
    cfg = KpiConfig(resolved=("Fixed",), closed=("Archived",), source="test roles")
    log = plain.with_default_config(cfg)
    assert plain.default_config is None  # a copy: the original is unchanged
    assert load_config(None, log) is cfg
    assert load_config(None, log, handover_by="resource").handover_by == "resource"
    one = log.where("case_id = '1'")
    assert load_config(None, one) is cfg
    (row,) = compute_kpis(one, by=None).to_pylist()
    assert (row["cases"], row["closed"], row["lead_time_median_s"]) == (
        1,
        1,
        3 * 3600.0,
    )
    # case 2 was never archived: open with the carried roles
    (row,) = compute_kpis(log, by=None).to_pylist()
    assert (row["cases"], row["closed"]) == (2, 1)
    (guessed,) = compute_kpis(plain, by=None).to_pylist()
    assert guessed["closed"] != row["closed"]
