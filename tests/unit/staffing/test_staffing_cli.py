"""``servops forecast``, ``staff`` and ``schedule`` through the CLI."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import pytest
from typer.testing import CliRunner

from servops.cli.main import app
from tests.paths import shared_log

runner = CliRunner()


def _week_counts(path, days=14, interval_min=60):
    rng = np.random.default_rng(1)
    rows = ["interval_start,calls,aht_s"]
    t0 = datetime(2024, 1, 1)
    for i in range(days * 24 * 60 // interval_min):
        t = t0 + timedelta(minutes=interval_min * i)
        busy = 8 <= t.hour < 18 and t.weekday() < 5
        rows.append(f"{t:%Y-%m-%d %H:%M},{rng.poisson(40 if busy else 2)},200")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_staff_classic_example_json():
    r = runner.invoke(
        app,
        [
            "staff",
            "--calls",
            "100",
            "--interval",
            "30m",
            "--aht",
            "180s",
            "--target",
            "80/20s",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["agents"] == 14
    assert d["service_level"] == pytest.approx(0.8884, abs=1e-4)
    assert d["asa_s"] == pytest.approx(7.84, abs=0.01)
    assert d["occupancy"] == pytest.approx(10 / 14)


def test_staff_shrinkage_patience_and_targets():
    r = runner.invoke(
        app,
        [
            "staff",
            "--calls",
            "100",
            "--interval",
            "30m",
            "--aht",
            "180s",
            "--target",
            "80/20s",
            "--shrinkage",
            "0.3",
            "--json",
        ],
    )
    assert json.loads(r.stdout)["agents"] == 20
    r = runner.invoke(
        app,
        [
            "staff",
            "--calls",
            "100",
            "--interval",
            "30m",
            "--aht",
            "3m",
            "--target",
            "none",
            "--asa",
            "20s",
            "--json",
        ],
    )
    assert json.loads(r.stdout)["agents"] == 13
    r = runner.invoke(
        app,
        [
            "staff",
            "--calls",
            "100",
            "--interval",
            "30m",
            "--aht",
            "180s",
            "--patience",
            "120s",
            "--json",
        ],
    )
    d = json.loads(r.stdout)
    assert d["model"] == "erlang_a" and d["p_abandon"] > 0
    r = runner.invoke(
        app,
        [
            "staff",
            "--calls",
            "100",
            "--interval",
            "30m",
            "--aht",
            "180s",
            "--target",
            "none",
            "--max-occupancy",
            "0.85",
            "--json",
        ],
    )
    assert json.loads(r.stdout)["agents"] == 12


def test_staff_bad_input_exits_1():
    r = runner.invoke(
        app, ["staff", "--calls", "100", "--aht", "180s", "--target", "80%"]
    )
    assert r.exit_code == 1
    assert "80/20s" in r.output
    r = runner.invoke(app, ["staff", "--calls", "100"])
    assert r.exit_code == 1
    assert "--aht" in r.output


def test_staff_simulated_steady_state_near_erlang():
    r = runner.invoke(
        app,
        [
            "staff",
            "--calls",
            "100",
            "--interval",
            "30m",
            "--aht",
            "180s",
            "--simulate",
            "--runs",
            "20",
            "--seed",
            "3",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    # 20 runs x 20 intervals x 100 calls; queue correlation widens the error: +-0.03.
    assert d["simulated_service_level"] == pytest.approx(d["service_level"], abs=0.03)


def test_staff_arrivals_file_rows(tmp_path):
    p = _week_counts(tmp_path / "calls.csv", days=1)
    r = runner.invoke(
        app, ["staff", "--arrivals", str(p), "--interval", "1h", "--json"]
    )
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert len(rows) == 24
    assert {"agents", "service_level", "asa_s", "occupancy", "interval_start"} <= set(
        rows[0]
    )
    assert rows[0]["aht_s"] == 200.0  # taken from the file
    assert max(r["agents"] for r in rows) > min(r["agents"] for r in rows)


def test_forecast_log_json(tmp_path):
    out = tmp_path / "fc.csv"
    r = runner.invoke(
        app,
        [
            "forecast",
            str(shared_log("helpdesk.xes.gz")),
            "--interval",
            "1d",
            "--horizon",
            "14d",
            "--model",
            "seasonal_naive",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert len(d["forecast"]["intervals"]) == 14
    assert d["backtest"]["model"] == "seasonal_naive"
    assert d["backtest"]["mase"] == pytest.approx(d["backtest"]["mase_baseline"])
    assert out.read_text().startswith("interval_start,calls,aht_s")


def test_schedule_from_counts_with_simulation(tmp_path):
    p = _week_counts(tmp_path / "calls.csv", days=2)
    shifts = tmp_path / "shifts.yaml"
    shifts.write_text(
        "shifts:\n"
        "  - name: day\n    length: 8h\n    starts: '00:00-23:00/1h'\n"
        "  - name: half\n    length: 4h\n    starts: '00:00-23:00/1h'\n    cost: 4.4\n"
    )
    r = runner.invoke(
        app,
        [
            "schedule",
            str(p),
            "--interval",
            "1h",
            "--shifts",
            str(shifts),
            "--simulate",
            "--runs",
            "3",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["status"] == "Optimal"
    assert d["under_agent_hours"] == 0
    assert len(d["coverage"]) == 48
    busy = [c for c in d["coverage"] if c["required"] > 5]
    assert all(c["scheduled"] >= c["required"] for c in d["coverage"])
    assert all(c["simulated_service_level"] is not None for c in busy)


def test_schedule_from_requirements_file(tmp_path):
    p = tmp_path / "req.csv"
    p.write_text(
        "interval_start,agents\n2024-01-08 08:00,2\n2024-01-08 09:00,2\n"
        "2024-01-08 10:00,3\n2024-01-08 11:00,3\n"
    )
    shifts = tmp_path / "s.yaml"
    shifts.write_text(
        "shifts:\n  - name: two\n    length: 2h\n    starts: '08:00-10:00/1h'\n"
    )
    r = runner.invoke(app, ["schedule", str(p), "--shifts", str(shifts), "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["total_cost"] == 10.0  # 2 x 08-10 + 3 x 10-12, 2 h each
    assert [c["over"] for c in d["coverage"]] == [0, 0, 0, 0]


def _desk_counts(path):
    rows = ["interval_start,calls,aht_s"]
    t0 = datetime(2024, 1, 1)
    for i in range(48):
        t = t0 + timedelta(hours=i)
        calls = 8 * (1 + 0.8 * np.sin(2 * np.pi * i / 24))
        rows.append(f"{t:%Y-%m-%d %H:%M},{calls:.2f},2700")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_staff_isa_shows_erlang_and_isa(tmp_path):
    counts = _desk_counts(tmp_path / "desk.csv")
    args = ["staff", "--arrivals", str(counts), "--interval", "1h", "--isa"]
    r = runner.invoke(app, [*args, "--target", "90%/2h", "--runs", "20", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["target"]["threshold_s"] == 7200.0
    assert d["erlang_valid"] is False
    assert "NOT valid" in d["notes"][0]
    assert len(d["rows"]) == 48
    assert d["isa"]["simulated_service_level"] >= 0.9
    assert d["erlang"]["intervals_below_target"] > d["isa"]["intervals_below_target"]
    r = runner.invoke(
        app, [*args, "--target", "90%/2h", "--runs", "20"], env={"COLUMNS": "100"}
    )
    assert r.exit_code == 0, r.output
    assert "ISA (simulation)" in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= 100


def test_staff_target_from_sla_config(tmp_path):
    counts = _desk_counts(tmp_path / "desk.csv")
    cfg = tmp_path / "kpi.yaml"
    cfg.write_text("sla:\n  - {name: all, first_response: 2h}\n")
    base = ["staff", "--arrivals", str(counts), "--interval", "1h", "--json"]
    r = runner.invoke(app, [*base, "-c", str(cfg), "--sla-level", "85%"])
    assert r.exit_code == 0, r.output
    by_config = json.loads(r.stdout)
    r = runner.invoke(app, [*base, "--target", "85/2h"])
    assert json.loads(r.stdout) == by_config
    r = runner.invoke(app, [*base, "-c", str(cfg), "--target", "80/20s"])
    assert r.exit_code == 1
    assert "not both" in r.output
    r = runner.invoke(app, ["staff", "--calls", "10", "--aht", "180s", "--isa"])
    assert r.exit_code == 1
    assert "--arrivals" in r.output


def test_staff_sla_target_from_a_log_counts_its_cases(tmp_path):
    from tests.paths import DATA

    cfg = tmp_path / "kpi.yaml"
    cfg.write_text(
        "sla:\n"
        "  - {name: high, when: {priority: [high]}, first_response: 4h}\n"
        "  - {name: low, when: {priority: [low]}, first_response: 30m}\n"
    )
    r = runner.invoke(
        app,
        [
            "staff",
            "--arrivals",
            str(DATA / "tiny.csv"),
            "--interval",
            "1h",
            "--aht",
            "20m",
            "-c",
            str(cfg),
            "--isa",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    target = json.loads(r.stdout)["target"]
    assert target["threshold_s"] == 14400.0
    assert "'high'" in target["source"]
