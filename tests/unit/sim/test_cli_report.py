"""``servops simulate``, ``servops twin`` and the report's twin section."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import servops as so
from servops.cli.main import app
from servops.report.builder import ReportContext
from servops.report.sections import twin
from tests.paths import DATA

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"
runner = CliRunner()


def test_simulate_json_keys():
    res = runner.invoke(
        app,
        [
            "simulate",
            str(EXAMPLES / "mmc.yaml"),
            "--cases",
            "3000",
            "--replications",
            "3",
            "--seed",
            "5",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["cases"] == 3000
    assert data["mean_cycle_time_s"] > data["mean_waiting_time_s"] > 0
    assert 0.8 < data["utilization"]["agents"] < 1
    lo, hi = data["ci95"]["mean_waiting_time_s"]
    assert lo <= data["mean_waiting_time_s"] <= hi
    assert data["replications"] == 3


def test_simulate_scenario_and_log_out(tmp_path):
    out = tmp_path / "sim.csv"
    res = runner.invoke(
        app,
        [
            "simulate",
            str(EXAMPLES / "mmc.yaml"),
            "--cases",
            "10000",
            "-r",
            "5",
            "--scenario",
            str(EXAMPLES / "mmc-scenario.yaml"),
            "--log-out",
            str(out),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert set(data) >= {"baseline", "scenario", "difference"}
    d = data["difference"]["mean_waiting_time_s"]
    assert d["mean"] < 0
    assert d["ci95"][1] < 0
    sim = so.read_log(out)
    assert sim.n_cases() == 10000
    assert sim.has_start_times


def test_simulate_human_output_and_errors(tmp_path):
    res = runner.invoke(
        app, ["simulate", str(EXAMPLES / "mmc.yaml"), "--cases", "500", "-r", "2"]
    )
    assert res.exit_code == 0
    assert "utilization agents" in res.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("arrivals: {rate: 1}\nactivities: {}\nrouting: {start: {}}\n")
    res = runner.invoke(app, ["simulate", str(bad), "--cases", "5"])
    assert res.exit_code == 1
    assert "ConfigError" in res.stderr
    res = runner.invoke(
        app, ["simulate", str(EXAMPLES / "mmc.yaml"), "--until", "soon"]
    )
    assert res.exit_code == 1
    assert "--until" in res.stderr


def test_twin_discover_and_validate(tmp_path):
    model = tmp_path / "m.yaml"
    res = runner.invoke(
        app, ["twin", "discover", str(DATA / "tiny.csv"), "-o", str(model), "--json"]
    )
    assert res.exit_code == 0, res.output
    info = json.loads(res.stdout)
    assert info["activities"] == 5
    assert model.exists()
    sim = tmp_path / "sim.csv"
    res = runner.invoke(
        app,
        [
            "simulate",
            str(model),
            "--cases",
            "5",
            "-r",
            "1",
            "--log-out",
            str(sim),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app, ["twin", "validate", str(DATA / "tiny.csv"), str(sim), "--json"]
    )
    assert res.exit_code == 0, res.output
    v = json.loads(res.stdout)
    for m in (
        "ngram_3",
        "cycle_time_emd",
        "absolute_event_emd",
        "circadian_event_emd",
        "arrival_emd",
    ):
        assert v[m]["distance"] is not None
        assert "half_vs_half" in v[m]


@pytest.fixture(scope="module")
def demo_log():
    from servops.demo.generator import generate_service_desk

    return so.read_log(generate_service_desk(cases=600, seed=3).events)


def test_report_section_on_demo(demo_log):
    sec = twin.build(ReportContext(log=demo_log))
    assert sec is not None
    assert sec.id == "twin"
    assert "Baseline" in sec.html
    assert "<table" in sec.html
    # The discovered twin is checked against the log, and the verdict is shown.
    assert "Twin check" in sec.html
    # The summary is plain text (the template escapes it): not escaped twice.
    assert "&#x27;" not in sec.summary
    assert "&amp;" not in sec.summary
    assert re.search(r"Twin check: (FIT|QUESTIONABLE|UNFIT)", sec.html)
    # Utilisation per pool, never above 100 %; instantaneous steps are not pools.
    utils = [float(x) for x in re.findall(r"<td>([0-9.]+) %</td>", sec.html)]
    assert utils
    assert all(0 <= u <= 100 for u in utils)
    assert "Ticket created team" not in sec.html
    # No what-if on the wait before a system or customer step (the auto-close timer).
    assert "Halve the waiting before Closed" not in sec.html
    # The delay what-if, when offered, is not the baseline to the last digit.
    row = re.search(r"Halve the waiting before[^<]*</td>(.*?)</tr>", sec.html)
    if row:
        assert "0 s – 0 s" not in row.group(1)
    zh = twin.build(ReportContext(log=demo_log, lang="zh"))
    assert zh is not None
    assert "基线" in zh.html


def test_report_section_with_given_model(tiny_log):
    ctx = ReportContext(log=tiny_log, extras={"sim_model": EXAMPLES / "mmc.yaml"})
    sec = twin.build(ctx)
    assert sec is not None
    assert "One more person in agents" in sec.html
    assert ctx.cache["sim_model"].name == "M/M/10"


def test_report_section_without_start_times_says_utilisation_na(tiny_log):
    # No start times: no work is measured, so no pools and no utilisation (not 0 %).
    sec = twin.build(ReportContext(log=tiny_log))
    assert sec is not None
    assert "Utilisation: n/a" in sec.html
    assert "no start times" in sec.html
    assert "0.0 %" not in sec.html
