"""``servops blueprint …`` commands and the report section."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from servops.cli.main import app
from servops.report import build_report
from servops.report.builder import ReportContext
from servops.report.sections import blueprint as section
from tests.browser import external_requests, open_page
from tests.paths import DATA
from tests.unit.blueprint._logs import SEQ
from tests.unit.blueprint.test_bp_model import DEMO

runner = CliRunner()

TINY_BP = """
name: tiny
name_zh: 小流程
steps:
  - {id: reg, name: Register, name_zh: 登记, lane: customer, activities: [Register]}
  - {id: tri, name: Triage, lane: frontstage, activities: [Triage]}
  - {id: res, name: Resolve, lane: backstage, activities: [Resolve],
     standard: resolve within 2 h, value_adding: true, work_time: 10 min}
  - {id: clo, name: Close, lane: frontstage, activities: [Close]}
flow: ["start -> reg -> tri -> res -> clo -> end"]
"""


@pytest.fixture
def tiny_bp(tmp_path):
    path = tmp_path / "bp.yaml"
    path.write_text(TINY_BP, encoding="utf-8")
    return path


def test_check_json(tiny_bp):
    res = runner.invoke(
        app, ["blueprint", "check", str(tiny_bp), str(DATA / "tiny.csv"), "--json"]
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["cases"] == 5
    assert d["fitness"] == pytest.approx(1 - 2 / 22)
    assert {(x["kind"], x["step"], x["cases"]) for x in d["deviations"]} == {
        ("skipped", "tri", 1),
        ("skipped", "res", 1),
        ("skipped", "clo", 1),
        ("unexpected", "Escalate", 1),
    }
    res_step = next(s for s in d["steps"] if s["step"] == "res")
    # Resolve at 1 h, 4 h, 40 min, 1 h after case start: 3 of 4 within 2 h
    assert res_step["cases"] == 4 and res_step["standard_attainment"] == 0.75


def test_check_for_people_and_valuestream(tiny_bp):
    res = runner.invoke(
        app, ["blueprint", "check", str(tiny_bp), str(DATA / "tiny.csv")]
    )
    assert res.exit_code == 0 and "Fitness 0.909" in res.stdout
    res = runner.invoke(
        app,
        ["blueprint", "valuestream", str(tiny_bp), str(DATA / "tiny.csv"), "--json"],
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["value_adding_s"] == 4 * 600 and d["processing_basis"] == "work_time"
    res = runner.invoke(
        app, ["blueprint", "valuestream", str(tiny_bp), str(DATA / "tiny.csv")]
    )
    assert "Process cycle efficiency" in res.stdout


def test_render_and_bpmn(tiny_bp, tmp_path):
    out = tmp_path / "bp.html"
    res = runner.invoke(
        app,
        [
            "blueprint",
            "render",
            str(tiny_bp),
            "-o",
            str(out),
            "--log",
            str(DATA / "tiny.csv"),
            "--overlay",
            "standard",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["overlay"] == "standard"
    assert "75% met" in out.read_text(encoding="utf-8")
    svg = tmp_path / "bp.svg"
    assert (
        runner.invoke(
            app, ["blueprint", "render", str(tiny_bp), "-o", str(svg), "--lang", "zh"]
        ).exit_code
        == 0
    )
    assert svg.read_text(encoding="utf-8").startswith("<svg")
    flow = tmp_path / "flow.bpmn"
    assert (
        runner.invoke(
            app, ["blueprint", "bpmn", str(tiny_bp), "-o", str(flow)]
        ).exit_code
        == 0
    )
    res = runner.invoke(
        app, ["blueprint", "check", str(flow), str(DATA / "tiny.csv"), "--json"]
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["cases"] == 5


def test_errors_exit_1_with_the_message(tiny_bp, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(SEQ.replace("lane: backstage", "lane: basement"), encoding="utf-8")
    res = runner.invoke(
        app, ["blueprint", "render", str(bad), "-o", str(tmp_path / "x.html")]
    )
    assert res.exit_code == 1
    assert "ConfigError" in res.output and "basement" in res.output
    assert "line 6" in res.output  # SEQ starts with a blank line
    res = runner.invoke(
        app, ["blueprint", "render", str(tiny_bp), "--overlay", "speed"]
    )
    assert res.exit_code == 1 and "overlay" in res.output


def test_section_absent_without_blueprint(tiny_log):
    assert section.build(ReportContext(log=tiny_log)) is None


def test_section_in_both_languages(tiny_log, tiny_bp):
    sec = section.build(ReportContext(log=tiny_log, extras={"blueprint": tiny_bp}))
    assert sec is not None and sec.id == "blueprint"
    assert "<svg" in sec.html and "Fitness" in sec.html and "0.909" in sec.summary
    zh = section.build(
        ReportContext(
            log=tiny_log,
            lang="zh",
            extras={"blueprint": str(tiny_bp), "blueprint_overlay": "standard"},
        )
    )
    assert zh is not None and zh.title == "服务蓝图" and "登记" in zh.html
    assert "跳过" in zh.html


@pytest.mark.browser
def test_report_with_blueprint_renders_in_chromium(tiny_log, tiny_bp, tmp_path):
    out = build_report(tiny_log, tmp_path / "r.html", extras={"blueprint": tiny_bp})
    with open_page(out) as visit:
        assert visit.page.locator("section#blueprint svg.blueprint").count() == 1
        assert visit.console_errors == [] and visit.page_errors == []
        assert external_requests(visit) == []


def test_demo_blueprint_section_on_a_demo_like_log():
    import servops as so
    from servops.demo.generator import generate_service_desk

    data = generate_service_desk(cases=200, seed=3)
    log = so.EventLog.from_arrow(data.events)
    ctx = ReportContext(log=log, extras={"blueprint": DEMO})
    sec = section.build(ctx)
    assert sec is not None and "First response" in sec.html
    conf = ctx.cache["blueprint.conformance"]
    assert conf.cases == 200 and conf.fitness > 0.95
