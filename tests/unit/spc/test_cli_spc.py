"""``servops spc`` and ``servops alerts`` through the CLI."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from servops.cli.main import app
from servops.spc import ControlChart
from tests.unit.spc.test_charts import LOANS, OJ, RINGS
from tests.unit.spc.test_series_alerts import make_log

runner = CliRunner()


@pytest.fixture
def numbers(tmp_path):
    rows = RINGS.reshape(-1)
    t = pa.table(
        {
            "ring": rows,
            "sample": np.repeat(np.arange(1, 26), 5),
            "name": [f"r{i}" for i in range(rows.size)],
        }
    )
    path = tmp_path / "rings.csv"
    pacsv.write_csv(t, path)
    return path


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_imr_on_a_csv_column(tmp_path):
    path = tmp_path / "loans.csv"
    path.write_text(
        "week,cost\n" + "".join(f"w{i + 1},{v}\n" for i, v in enumerate(LOANS))
    )
    res = run(
        "spc", path, "--column", "cost", "--chart", "imr", "--label", "week", "--json"
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [o["chart"] for o in out] == ["individuals", "moving_range"]
    ind = out[0]
    assert {"chart", "center", "ucl", "lcl", "points", "signals"} <= set(ind)
    ref = ControlChart("imr").fit(LOANS).limits_["individuals"]
    assert (ind["lcl"], ind["center"], ind["ucl"]) == pytest.approx(ref)
    assert ind["points"] == LOANS and ind["signals"] == []
    assert ind["labels"][0] == "w1"


def test_xbar_by_subgroup_column_and_by_size(numbers):
    a = json.loads(
        run(
            "spc",
            numbers,
            "--column",
            "ring",
            "--chart",
            "xbar_r",
            "--subgroup",
            "sample",
            "--json",
        ).stdout
    )
    b = json.loads(
        run(
            "spc",
            numbers,
            "--column",
            "ring",
            "--chart",
            "xbar_r",
            "--size",
            5,
            "--json",
        ).stdout
    )
    assert a[0]["ucl"] == pytest.approx(b[0]["ucl"])
    assert a[0]["ucl"] == pytest.approx(74.0146, abs=1e-4)
    assert a[1]["chart"] == "range" and a[0]["labels"][:2] == ["1", "2"]


def test_attribute_chart_with_defects_and_units(tmp_path):
    path = tmp_path / "oj.parquet"
    pq.write_table(pa.table({"bad": OJ, "n": [50] * len(OJ)}), path)
    res = run("spc", path, "--defects", "bad", "--units", "n", "--chart", "p", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert isinstance(out, dict) and out["chart"] == "p"
    assert out["center"] == pytest.approx(0.2313, abs=1e-4)
    assert [(s["index"], s["test"]) for s in out["signals"]] == [(14, 1), (22, 1)]
    c = json.loads(
        run("spc", path, "--defects", "bad", "--chart", "c", "--json").stdout
    )
    assert c["chart"] == "c"
    assert (
        run(
            "spc", path, "--defects", "bad", "--size", 50, "--chart", "np", "--json"
        ).exit_code
        == 0
    )


def test_phase_two_and_rules_options(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("x\n" + "\n".join(str(v) for v in [*LOANS, 300, 360]) + "\n")
    out = json.loads(
        run("spc", path, "--column", "x", "--baseline", 20, "--json").stdout
    )
    assert out[0]["phase"] == "II" and len(out[0]["points"]) == 2
    assert out[0]["signals"][0]["index"] == 1
    we = json.loads(
        run(
            "spc",
            path,
            "--column",
            "x",
            "--rules",
            "western_electric",
            "--k",
            "2=7",
            "--json",
        ).stdout
    )
    assert we[0]["tests"] == {
        "tests": [1, 2, 5, 6],
        "k": {"1": 3.0, "2": 7, "5": 2, "6": 4},
    }


def test_people_output(numbers):
    res = run("spc", numbers, "--column", "ring", "--chart", "xbar_s", "--size", 5)
    assert res.exit_code == 0
    assert "xbar" in res.stdout and "stdev" in res.stdout


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (
            ["--column", "diameter"],
            "no column 'diameter' (given as --column). Available",
        ),
        (["--column", "name"], "column 'name' (given as --column) must hold numbers"),
        (["--column", "ring", "--chart", "xbar_r"], "--subgroup COL"),
        (["--column", "ring", "--chart", "bogus"], "--chart must be one of"),
        (["--column", "ring", "--rules", "strict"], "--rules must be one of"),
        (["--column", "ring", "--k", "two=8"], "--k takes TEST=K"),
        (["--chart", "imr"], "say which column"),
    ],
)
def test_bad_file_input(numbers, args, match):
    res = run("spc", numbers, *args)
    assert res.exit_code == 1
    assert match in " ".join(res.stderr.split())


def test_missing_file(tmp_path):
    res = run("spc", tmp_path / "nope.csv", "--column", "x")
    assert res.exit_code == 1
    assert "is not a file" in res.stderr


@pytest.fixture(scope="module")
def log_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("spc") / "tickets.csv"
    log = make_log()
    pacsv.write_csv(
        log.query(
            'SELECT case_id AS "case", activity AS act, "timestamp" AS ts FROM events'
        ).to_arrow_table(),
        path,
    )
    return path


def test_kpi_series_of_a_log(log_csv):
    res = run(
        "spc",
        log_csv,
        "--kpi",
        "lead_time",
        "--by",
        "day",
        "--chart",
        "imr",
        "--case",
        "case",
        "--activity",
        "act",
        "--timestamp",
        "ts",
        "--json",
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out[0]["kpi"] == "lead_time" and out[0]["unit"] == "h"
    assert [s["index"] for s in out[0]["signals"] if s["test"] == 1] == [30]
    assert out[0]["labels"][30] == "2024-04-03"
    p = json.loads(
        run(
            "spc",
            log_csv,
            "--kpi",
            "reopen_rate",
            "--by",
            "week",
            "--case",
            "case",
            "--activity",
            "act",
            "--timestamp",
            "ts",
            "--json",
        ).stdout
    )
    assert p["chart"] == "p"


def test_kpi_and_column_do_not_mix(log_csv):
    res = run("spc", log_csv, "--kpi", "lead_time", "--column", "x")
    assert res.exit_code == 1 and "one or the other" in res.stderr


def test_alerts_command(log_csv):
    res = run(
        "alerts",
        log_csv,
        "--case",
        "case",
        "--activity",
        "act",
        "--timestamp",
        "ts",
        "--json",
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    out = doc["alerts"]
    hit = [a for a in out if a["test"] == 1 and a["chart"] == "individuals"]
    assert {(a["kpi"], a["period"]) for a in hit} >= {("lead_time", "2024-04-03")}
    assert set(out[0]) >= {"kpi", "period", "test", "value", "unit", "message"}
    periods = [a["period"] for a in out]
    assert periods == sorted(periods, reverse=True)  # newest first
    assert doc["summary"]["total"] == len(out)
    assert doc["summary"]["newest"]["period"] == periods[0]
    assert sum(doc["summary"]["by_kpi"].values()) == len(out)
    assert doc["censored_periods"] == []  # by day: no day is cut
    people = run(
        "alerts",
        log_csv,
        "--case",
        "case",
        "--activity",
        "act",
        "--timestamp",
        "ts",
        "--kpi",
        "lead_time",
    )
    assert people.exit_code == 0 and "2024-04-03" in people.stdout
    bad = run(
        "alerts",
        log_csv,
        "--case",
        "case",
        "--activity",
        "act",
        "--timestamp",
        "ts",
        "--kpi",
        "mood",
    )
    assert bad.exit_code == 1 and "Known KPIs" in bad.stderr


def test_alerts_since_config_and_censored_weeks(log_csv, tmp_path):
    cfg = tmp_path / "kpi.yaml"
    cfg.write_text(
        "timezone: UTC\nactivities:\n  resolved: Resolved\n  closed: Closed\n"
    )
    cols = ["--case", "case", "--activity", "act", "--timestamp", "ts"]
    res = run("alerts", log_csv, *cols, "-c", cfg, "--since", "2024-04-03", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["alerts"] and all(a["period"] >= "2024-04-03" for a in doc["alerts"])
    assert doc["summary"]["since"] == "2024-04-03"
    weekly = json.loads(run("alerts", log_csv, *cols, "--by", "week", "--json").stdout)
    assert weekly["censored_periods"] == ["2024-04-08"]
    assert all(a["period"] != "2024-04-08" for a in weekly["alerts"])
    people = run("alerts", log_csv, *cols, "--by", "week", "--config", cfg)
    assert people.exit_code == 0, people.output
    assert "2024-04-08" in people.stdout and "censored" in people.stdout
    spc = run("spc", log_csv, *cols, "--kpi", "lead_time", "-c", cfg, "--by", "week")
    assert spc.exit_code == 0, spc.output
    assert "LCL (h)" in spc.stdout and "censored: 2024-04-08" in spc.stdout
    one = json.loads(
        run(
            "spc", log_csv, *cols, "--kpi", "lead_time", "--by", "week", "--json"
        ).stdout
    )
    assert one[0]["censored"] == ["2024-04-08"] and one[0]["unit"] == "h"
    assert "2024-04-08" not in one[0]["labels"]
    bad = run("alerts", log_csv, *cols, "--by", "year")
    assert bad.exit_code == 1 and "hour, day, week, month, quarter" in bad.stderr
