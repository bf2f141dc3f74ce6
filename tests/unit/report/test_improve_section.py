"""The improvement section shows each project's evidence plan, in English and Chinese.

The demo's project (write_improvement_files) on a 1000-ticket demo desk: its reopen
rate is expected to fall (a planted change), its lead time only to go down. The plan
line shows the numbers of the API's :class:`~servops.improve.projects.EvidencePlan`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

import servops as so
from servops.demo.generator import generate_service_desk
from servops.demo.run import run_demo, write_improvement_files
from servops.improve import day_baseline, load_projects, plan_before_after
from servops.kpi import load_config
from servops.log.filters import time_window
from servops.report.builder import ReportContext
from servops.report.sections import improve

KPI = Path(so.__file__).parent / "demo" / "kpi.yaml"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo desk's section in both languages; the twin left out (seconds a run)."""
    folder = tmp_path_factory.mktemp("demo")
    data = generate_service_desk(cases=1000, seed=7, improve_at="midway")
    assert data.improved_at is not None
    _, projects, _ = write_improvement_files(folder, data.events, data.improved_at)
    log = so.read_log(data.events)
    unpredicted = [
        replace(p, expected=tuple(replace(e, predicted_by=None) for e in p.expected))
        for p in load_projects(projects)
    ]
    cfg = load_config(KPI, log)
    out = {}
    for lang in ("en", "zh"):
        ctx = ReportContext(
            log=log,
            lang=lang,
            extras={"kpi_config": cfg, "projects": unpredicted},
        )
        section = improve.build(ctx)
        assert section is not None
        (ev,) = ctx.cache["project_evaluations"]
        out[lang] = (section.html, ev)
    return log, cfg, out


def test_the_plan_is_plan_before_after_on_the_window_before_the_change(demo):
    log, cfg, out = demo
    _, ev = out["en"]
    ep = ev.evidence("reopened").evidence_plan
    assert ep is not None and ep.plan is not None
    at, window = ev.change_at, timedelta(weeks=4)
    before = time_window(log, at - window, at + window, mode="started")
    base = day_baseline(before, "reopened", until=at, config=cfg)
    expected = ev.project.expected_for("reopened")
    assert expected is not None and expected.change is not None
    assert ep.baseline == base
    assert ep.plan == plan_before_after(base, expected.change, seed=0)


def test_the_section_shows_the_plan_line_with_the_apis_numbers(demo):
    _, _, out = demo
    html, ev = out["en"]
    ep = ev.evidence("reopened").evidence_plan
    assert ep is not None and ep.plan is not None and ep.baseline is not None
    p = ep.plan
    # the demo desk of 1000 tickets holds fewer days on each side than the plan needs
    assert ep.more_days is not None and ep.more_days > 0
    assert ep.days_before is not None and ep.days_before < p.days
    pt = f"{100 * p.effect:+.1f} pt".replace("-", "\N{MINUS SIGN}")
    line = (
        f"<b>Evidence plan, reopen rate: </b>{p.days} days a side find {pt} with "
        f"power {100 * p.power:.0f} % (target 80 %, α 0.05, "
        f"{ep.baseline.cases_per_day:.1f} cases a day); {ep.days_after} of {p.days} "
        f"days after the change so far: {ep.more_days} more days, from "
        f"{ep.reached_on} (after the window ends on {ep.window_ends}: widen the "
        f"window); only {ep.days_before} days before the change ({p.days} "
        "needed a side)</p>"
    )
    assert line in html
    # lead time is expected to go down, by no stated amount: no plan, and why
    lead = ev.evidence("lead_time").evidence_plan
    assert lead is not None and lead.plan is None and lead.reason is not None
    assert "<b>Evidence plan, mean lead time: </b>none (the expected effect gives " in (
        html
    )


def test_the_plan_line_in_chinese(demo):
    _, _, out = demo
    html, ev = out["zh"]
    ep = ev.evidence("reopened").evidence_plan
    assert ep is not None and ep.plan is not None
    d = ep.plan.days
    assert f"<b>证据计划（重开率）：</b>每侧 {d} 天可发现 " in html
    assert (
        f"；变更后已有 {ep.days_after}/{d} 天：还需 {ep.more_days} 天，"
        f"{ep.reached_on} 起（晚于窗口结束日 {ep.window_ends}：请扩大窗口）；"
        f"变更前仅 {ep.days_before} 天（每侧需 {d} 天）"
    ) in html
    assert "<b>证据计划（平均交付周期）：</b>无 (" in html


@pytest.mark.slow
def test_the_demo_report_has_the_plan_line(tmp_path):
    res = run_demo(
        out=tmp_path / "report.html",
        db=tmp_path / "demo.duckdb",
        data_dir=tmp_path / "data",
    )
    html = res.report.read_text(encoding="utf-8")
    assert "<b>Evidence plan, reopen rate: </b>" in html
    assert "days after the change so far: " in html
