"""servops service import, servops audit checkpoint/verify, and --service on log commands."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from servops.cli.main import app
from tests.paths import shared_log
from tests.pg import connect

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_import_checkpoint_verify_and_kpis_from_the_live_service(pg_url, tmp_path):
    key = tmp_path / "audit.key"
    db = ("--database-url", pg_url)
    res = run("service", "import", shared_log("running-example.csv"), *db, "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) | {"seconds": 0} == {
        "tickets": 6,
        "events": 42,
        "seconds": 0,
    }

    assert run("audit", "checkpoint", *db, "--key-file", key).exit_code == 0
    res = run("audit", "verify", *db, "--key-file", key, "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["ok"] is True

    # imported history keeps its own activity names: with one config on both, the
    # live log's KPIs are the file's (without -c the live log takes the state
    # machine's roles: tests/unit/service/test_service_kpis.py)
    roles = tmp_path / "roles.yaml"
    roles.write_text(
        "activities:\n  first_response: [examine casually, examine thoroughly]\n"
        "  resolved: [pay compensation, reject request]\n"
        "  reopened: [reinitiate request]\n"
    )
    live = run("kpi", "--service", pg_url, "--by", "all", "-c", roles, "--json")
    assert live.exit_code == 0, live.output
    file = run(
        "kpi", shared_log("running-example.csv"), "--by", "all", "-c", roles, "--json"
    )
    assert file.exit_code == 0, file.output
    assert json.loads(live.stdout) == json.loads(file.stdout)
    assert json.loads(live.stdout)[0]["resolved"] > 0
    assert run("info", "--service", pg_url, "--json").exit_code == 0

    with connect(pg_url) as con:
        con.run("SET session_replication_role = replica")
        con.run(
            "UPDATE events SET activity = 'forged' WHERE seq = 2 AND ticket_id = "
            "(SELECT id FROM tickets WHERE number = '3')"
        )
    res = run("audit", "verify", *db, "--key-file", key)
    assert res.exit_code == 1
    assert "ticket 3, event seq 2" in res.output


def test_log_and_service_together_or_neither_is_an_error(pg_url):
    res = run("kpi", "--by", "all")
    assert res.exit_code == 2
    assert "give a LOG" in res.output
    res = run("kpi", shared_log("running-example.csv"), "--service", pg_url)
    assert res.exit_code == 2


def test_verify_without_a_key_names_it(pg_url, tmp_path):
    res = run(
        "audit", "verify", "--database-url", pg_url, "--key-file", tmp_path / "none.key"
    )
    assert res.exit_code == 1
    assert "no audit key" in res.output
