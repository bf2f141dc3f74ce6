"""CLI: info, import, logs, drop, demo; errors exit 1 with the message on stderr."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from servops.cli.main import app
from tests.paths import DATA, shared_log

runner = CliRunner()


def test_info_json_has_the_keys_and_iso_dates():
    res = runner.invoke(app, ["info", str(DATA / "tiny.csv"), "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert {
        k: d[k] for k in ("cases", "events", "activities", "resources", "variants")
    } == {"cases": 5, "events": 18, "activities": 5, "resources": 3, "variants": 4}
    assert d["start"] == "2024-01-08T09:00:00+00:00"
    assert d["end"] == "2024-01-10T16:45:00+00:00"


def test_info_human_and_reading_options():
    res = runner.invoke(
        app,
        [
            "info",
            str(shared_log("patients_synthetic.csv.gz")),
            "--activity",
            "handling",
            "--lifecycle",
            "registration_type",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "5442" in res.stdout and "guessed columns" in res.stdout


def test_import_then_use_by_name(tmp_path):
    db = str(tmp_path / "w.duckdb")
    res = runner.invoke(
        app, ["import", str(DATA / "tiny.csv"), "--name", "tiny", "--db", db, "--json"]
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["events"] == 18
    again = runner.invoke(
        app, ["import", str(DATA / "tiny.csv"), "--name", "tiny", "--db", db]
    )
    assert again.exit_code == 1
    assert "WorkspaceError" in again.stderr and "--replace" in again.stderr
    res = runner.invoke(app, ["info", "tiny", "--db", db, "--json"])
    assert json.loads(res.stdout)["cases"] == 5
    res = runner.invoke(app, ["logs", "--db", db, "--json"])
    assert [x["name"] for x in json.loads(res.stdout)] == ["tiny"]
    assert runner.invoke(app, ["drop", "tiny", "--db", db]).exit_code == 0


def test_import_takes_the_reading_options(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text(
        "ticket;step;when;who\nT1;open;01-04-2024 09:00;ann\nT1;close;02-04-2024 10:00;bob\n"
        "T2;open;never;ann\n"
    )
    db = str(tmp_path / "w.duckdb")
    args = ["import", str(p), "--name", "t", "--db", db, "--json"]
    args += ["--case", "ticket", "--activity", "step", "--timestamp", "when"]
    args += ["--resource", "who", "--dayfirst", "--on-bad-rows", "skip"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert (d["events"], d["skipped"], d["cases"]) == (2, 1, 1)
    assert d["column_map"]["case_id"] == "ticket"
    info = json.loads(runner.invoke(app, ["info", "t", "--db", db, "--json"]).stdout)
    assert info["start"] == "2024-04-01T09:00:00+00:00"


def test_bad_rows_exit_1_with_message(tmp_path):
    p = tmp_path / "b.csv"
    p.write_text("case,activity,time\n1,a,2024-01-01\n1,b,never\n")
    res = runner.invoke(app, ["info", str(p)])
    assert res.exit_code == 1
    assert (
        "BadRowsError" in res.stderr
        and "rows 3" in res.stderr
        and "'never'" in res.stderr
    )
    res = runner.invoke(app, ["info", str(p), "--on-bad-rows", "skip", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["events"] == 1


def test_demo_writes_report_and_stores_log(tmp_path):
    out = tmp_path / "r.html"
    res = runner.invoke(
        app,
        [
            "demo",
            "--cases",
            "150",
            "-o",
            str(out),
            "--db",
            str(tmp_path / "w.duckdb"),
            "--data-dir",
            str(tmp_path / "d"),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["cases"] == 150 and d["log_name"] == "demo"
    html = out.read_text()
    assert '<section id="overview">' in html and "http://" not in html.split("<svg")[0]
    assert (tmp_path / "d" / "tickets.csv").exists()
    res = runner.invoke(
        app, ["info", "demo", "--db", str(tmp_path / "w.duckdb"), "--json"]
    )
    assert json.loads(res.stdout)["cases"] == 150
