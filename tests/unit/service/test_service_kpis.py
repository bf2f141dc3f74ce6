"""``servops kpi --service`` reads the live log with the state machine's KPI roles."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq
from typer.testing import CliRunner

from servops.cli.kpi import service_config
from servops.cli.main import app
from servops.kpi import compute_kpis, load_config
from servops.kpi.config import guess_config
from servops.service.db import make_engine, make_sessionmaker
from servops.service.events import (
    events_arrow,
    read_service_log,
    service_kpi_config,
    service_kpi_yaml,
)
from servops.service.statemachine import default_state_machine
from servops.service.tickets import Actor, add_comment, create_ticket, transition

runner = CliRunner()
AGENT = Actor(None, "agent", "Ana")
CUSTOMER = Actor(None, "customer", "Cleo")


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def _fill(url: str) -> None:
    """Tickets that wait for the customer, get replies, are resolved, closed, reopened."""
    t0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s, s.begin():
        for i in range(6):
            clock = functools.partial(
                next,
                iter(t0 + timedelta(days=i, minutes=37 * k) for k in range(30)),
            )
            t = create_ticket(
                s, subject=f"s{i}", priority=f"P{1 + i % 3}", channel="web", now=clock
            )
            transition(s, t, "open", actor=AGENT, now=clock)
            if i % 2:
                transition(s, t, "waiting_for_customer", actor=AGENT, now=clock)
                add_comment(s, t, "here", actor=CUSTOMER, now=clock)
                transition(s, t, "open", actor=AGENT, now=clock)
            if i == 4:  # every activity the config names occurs (-c checks them)
                transition(s, t, "on_hold", actor=AGENT, now=clock)
                transition(s, t, "open", actor=AGENT, now=clock)
            add_comment(s, t, "done?", actor=AGENT, now=clock)
            if i % 3:
                transition(s, t, "resolved", actor=AGENT, now=clock)
            if i % 3 == 2:
                transition(s, t, "open", actor=AGENT, now=clock)  # reopened
                transition(s, t, "closed", actor=AGENT, now=clock)
    engine.dispose()


def test_live_kpis_use_the_state_machine_and_equal_the_export(pg_url, tmp_path):
    _fill(pg_url)
    log = read_service_log(pg_url)
    machine = default_state_machine().kpi_config()
    cfg = service_config(log)
    assert cfg is not None
    assert (cfg.first_response, cfg.resolved, cfg.closed, cfg.reopened) == (
        machine.first_response,
        machine.resolved,
        machine.closed,
        machine.reopened,
    )
    assert cfg.pauses == machine.pauses
    assert cfg.pauses  # pending states pause the clock
    assert any("state machine" in n for n in cfg.notes)
    # a guess from the names would not see the pauses: the choice matters
    assert guess_config(log).pauses != machine.pauses

    export = tmp_path / "events.parquet"
    pq.write_table(events_arrow(pg_url), export)
    roles = tmp_path / "service-kpi.yaml"
    roles.write_text(service_kpi_yaml())
    reading = ["--case", "case_id", "--activity", "activity", "--timestamp"]
    reading += ["timestamp", "--resource", "resource", "--lifecycle", "lifecycle"]
    for by in ("all", "week"):
        live = run("kpi", "--service", pg_url, "--by", by, "--json")
        assert live.exit_code == 0, live.output
        file = run("kpi", export, *reading, "--by", by, "-c", roles, "--json")
        assert file.exit_code == 0, file.output
        assert json.loads(live.stdout) == json.loads(file.stdout)
    got = json.loads(run("kpi", "--service", pg_url, "--by", "all", "--json").stdout)
    want = compute_kpis(log, service_kpi_config(), by=None).to_pylist()
    assert got[0]["cases"] == want[0]["cases"] == 6
    assert want[0]["reopen_rate"] == 1.0  # both closed tickets (2, 5) were reopened


def test_sla_and_why_take_the_same_roles(pg_url):
    res = run("sla", "--service", pg_url, "--json")
    assert res.exit_code == 0, res.output
    assert "note: activity roles from the work-order service" in res.stderr


def test_a_file_log_keeps_the_guessed_config(tmp_path):
    import servops as so

    p = tmp_path / "l.csv"
    p.write_text(
        "c,a,t\n1,Ticket created,2026-01-01 09:00\n1,Resolved,2026-01-01 10:00\n"
    )
    log = so.read_csv(p, columns=so.ColumnMap(case_id="c", activity="a", timestamp="t"))
    assert service_config(log) is None


def test_the_yaml_is_a_kpi_config_that_loads(tmp_path):
    p = tmp_path / "k.yaml"
    p.write_text(service_kpi_yaml())
    cfg = load_config(p)
    want = service_kpi_config()
    assert (cfg.first_response, cfg.resolved, cfg.pauses) == (
        want.first_response,
        want.resolved,
        want.pauses,
    )
    res = run("service", "kpi-config", "--json")
    assert json.loads(res.stdout)["activities"]["first_response"] == ["Agent replied"]
