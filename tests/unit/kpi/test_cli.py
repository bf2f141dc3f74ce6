"""``servops kpi``, ``sla`` and ``why`` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from servops.cli.main import app
from tests.paths import DATA
from tests.unit.kpi.synth import synthetic_tickets

DEMO = Path(__file__).resolve().parents[3] / "src" / "servops" / "demo" / "kpi.yaml"
TINY = str(DATA / "tiny.csv")


@pytest.fixture(scope="module")
def synth_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("kpi") / "desk.csv"
    synthetic_tickets(800, seed=3).to_pandas().to_csv(path, index=False)
    return str(path)


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_kpi_json_rows():
    res = run("kpi", TINY, "--by", "day", "--json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [r["period"] for r in rows] == ["2024-01-08", "2024-01-09", "2024-01-10"]
    assert all(r["segment"] is None for r in rows)
    assert [r["cases"] for r in rows] == [2, 2, 1]
    assert rows[0]["lead_time_median_s"] == 12600.0


def test_kpi_all_by_segment_and_table():
    res = run("kpi", TINY, "--by", "all", "--segment", "channel", "--json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert {r["segment"]: r["cases"] for r in rows} == {"email": 2, "phone": 3}
    assert all(r["period"] is None for r in rows)
    human = run("kpi", TINY)
    assert human.exit_code == 0
    assert "Service KPIs" in human.stdout


def test_sla_and_why_on_the_demo_config(synth_csv):
    res = run("sla", synth_csv, "--config", str(DEMO), "--json")
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    assert [p["policy"] for p in rep["policies"]] == ["VIP", "P1", "P2", "P3", "P4"]
    assert rep["covered"] == rep["cases"] == 800
    assert all(b["late_s"] > 0 for b in rep["breaches"])
    why = run("why", synth_csv, "-c", str(DEMO), "--outcome", "sla_breach", "--json")
    assert why.exit_code == 0, why.output
    out = json.loads(why.stdout)
    assert out["outcome"] == "sla_breach"
    assert out["positives"] > 0
    assert out["factors"]
    for f in out["factors"]:
        assert 0 <= f["p_value"] <= f["q_value"] <= 1  # BH never lowers a p-value
        assert f["significant"] == (f["q_value"] <= out["alpha"])
    assert run("why", synth_csv, "-c", str(DEMO)).exit_code == 0
    assert run("sla", synth_csv, "-c", str(DEMO)).exit_code == 0


def test_errors_exit_1_with_a_message(tmp_path):
    cfg = tmp_path / "k.yaml"
    cfg.write_text("activities: {closed: Shut}\n")
    res = run("kpi", TINY, "--config", str(cfg))
    assert res.exit_code == 1
    assert "ConfigError" in res.stderr
    assert "'Register'" in res.stderr
    res = run("kpi", TINY, "--by", "year")
    assert res.exit_code == 1
    assert "--by must be one of" in res.stderr
    res = run("why", TINY, "--outcome", "late")
    assert res.exit_code == 1
    assert "--outcome must be one of" in res.stderr
    res = run("kpi", TINY, "--segment", "nope", "--json")
    assert res.exit_code == 1
    assert "Attributes of this log" in res.stderr
