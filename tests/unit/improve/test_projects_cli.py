"""``servops improve projects|phases|its|cost`` on the demo with its planted improvement."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

import servops as so
import servops.demo
from servops.cli.main import app
from servops.demo.generator import REOPEN_CUT, generate_service_desk
from servops.improve import day_baseline, plan_before_after
from servops.log.filters import attribute_values, time_window

runner = CliRunner()
KPI_YAML = str(Path(servops.demo.__file__).parent / "kpi.yaml")
COST_YAML = str(Path(__file__).parents[3] / "docs" / "examples" / "cost.yaml")
WEEKS_4 = timedelta(weeks=4)  # the projects' default window


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    data = generate_service_desk(cases=1500, seed=7, improve_at="midway")
    assert data.improved_at is not None
    csv = folder / "demo.csv"
    pacsv.write_csv(data.events, csv)
    projects = folder / "projects.yaml"
    projects.write_text(
        f"""\
projects:
  - id: P-01
    title: New password-reset procedure
    at: {data.improved_at.isoformat()}
    segment: {{category: Access}}
    expected: {{metric: reopened, change: -{round(100 * REOPEN_CUT)}%}}
    plan:
      - {{step: Review, owner: Mei, due: 2026-09-01}}
    status: check
    running_cost_per_month: 1000
""",
        encoding="utf-8",
    )
    return str(csv), str(projects), data.improved_at.isoformat()


def _json(args: list[str]) -> Any:
    res = runner.invoke(app, [*args, "-c", KPI_YAML, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_projects_json_finds_and_sizes_the_planted_change(demo):
    csv, projects, _ = demo
    (d,) = _json(
        ["improve", "projects", csv, "-p", projects, "--cost", COST_YAML, "--no-twin"]
    )
    (m,) = d["metrics"]
    assert m["metric"] == "reopened" and m["verdict"] == "improved"
    eff = m["effect"]
    assert eff["low"] <= -REOPEN_CUT <= eff["high"]
    assert m["covers_expected"] is True
    assert m["phases"]["kind"] == "p" and m["phases"]["shift"] < 0
    assert m["its"]["level_change"]["level"] == 0.95
    assert [s["step"] for s in d["plan"]["late"]] == ["Review"]
    assert d["cost"]["running_cost_per_month"] == 1000
    assert d["cost"]["net_per_month"]["estimate"] == pytest.approx(
        d["cost"]["saving_per_month"]["estimate"] - 1000
    )


def test_projects_text(demo):
    csv, projects, _ = demo
    res = runner.invoke(
        app, ["improve", "projects", csv, "-p", projects, "-c", KPI_YAML, "--no-twin"]
    )
    assert res.exit_code == 0, res.output
    assert "P-01 New password-reset procedure (check). Reopen rate: improved" in (
        " ".join(res.output.split())
    )


def test_phases_its_cost_commands(demo, tmp_path):
    csv, _, at = demo
    common = ["--change-at", at, "-m", "reopened", "--segment", "category=Access"]
    chart = tmp_path / "phases.html"
    ph = _json(["improve", "phases", csv, *common, "--by", "day", "--html", str(chart)])
    assert ph["metric"] == "reopened" and ph["after_center"] < ph["before_center"]
    assert "<svg" in chart.read_text(encoding="utf-8")
    its = _json(["improve", "its", csv, *common, "--by", "day", "--inference", "t"])
    assert its["level_change"]["method"] == "newey-west t"
    assert "level_change" in its["coefficients"]
    cost = _json(
        [
            "improve",
            "cost",
            csv,
            "--cost",
            COST_YAML,
            "--change-at",
            at,
            "--segment",
            "category=Access",
        ]
    )
    assert cost["model"]["currency"] == "EUR"
    s = cost["saving_per_month"]
    assert s["low"] <= s["estimate"] <= s["high"]


def test_bad_by_is_an_error(demo):
    csv, _, at = demo
    res = runner.invoke(
        app,
        ["improve", "its", csv, "--change-at", at, "-m", "reopened", "--by", "month"],
    )
    assert res.exit_code == 1
    assert "--by must be day or week" in res.output


def test_projects_json_and_text_carry_the_evidence_plan(demo):
    csv, projects, at = demo
    (d,) = _json(["improve", "projects", csv, "-p", projects, "--no-twin"])
    ep = d["metrics"][0]["evidence_plan"]
    # the plan of the API: the Access cases of the 4-week window before the change
    change = datetime.fromisoformat(at)
    log = so.read_csv(csv)
    scope = attribute_values(
        time_window(log, change - WEEKS_4, change + WEEKS_4, mode="started"),
        "category",
        ["Access"],
    )
    base = day_baseline(scope, "reopened", until=change, config=KPI_YAML)
    plan = plan_before_after(base, -REOPEN_CUT, alpha=0.05, power=0.8, seed=0)
    assert ep["baseline"] == json.loads(json.dumps(base.to_dict()))
    assert ep["plan"] == json.loads(json.dumps(plan.to_dict()))
    assert ep["reason"] is None
    res = runner.invoke(
        app, ["improve", "projects", csv, "-p", projects, "-c", KPI_YAML, "--no-twin"]
    )
    assert res.exit_code == 0, res.output
    assert f"evidence plan: {ep['summary']}" in " ".join(res.output.split())
    assert ep["summary"].startswith(f"Reopen rate: {plan.days} days a side find")
