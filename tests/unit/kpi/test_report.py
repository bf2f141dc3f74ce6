"""The KPI report section: cards with trends, SLA table, root causes and Pareto."""

from __future__ import annotations

from pathlib import Path

import pytest

from servops.report import build_report
from servops.report.builder import ReportContext
from servops.report.sections import kpi as section
from tests.browser import external_requests, open_page

DEMO = Path(__file__).resolve().parents[3] / "src" / "servops" / "demo" / "kpi.yaml"


def test_section_with_the_demo_config(synth_log):
    ctx = ReportContext(log=synth_log, extras={"kpi_config": str(DEMO)})
    s = section.build(ctx)
    assert s is not None
    assert s.id == "kpi"
    for text in (
        "SLA attainment per policy",
        "Why SLAs are breached",
        "Pareto of causes",
        "vs previous day",  # log.periods.log_period: the synthetic desk's span is days
        "VIP",
        "priority = P1",
        "Decision tree",
    ):
        assert text in s.html, text
    assert "kpi_cases" in ctx.cache
    assert ctx.cache["kpi_cases"].num_rows == synth_log.n_cases()


def test_section_in_chinese_and_without_config(synth_log, tiny_log):
    s = section.build(ReportContext(log=synth_log, lang="zh"))
    assert s is not None
    assert s.title == "服务 KPI 与 SLA"
    assert "交付周期过长的相关因素" in s.html  # no SLA policy: long lead times instead
    assert "KPI 定义说明" in s.html  # the guessed definitions are shown
    tiny = section.build(ReportContext(log=tiny_log))
    assert tiny is not None and "Median lead time" in tiny.html


def test_data_text_is_escaped(tiny_log):
    log = tiny_log.where("true")
    from servops.kpi.config import config_from_dict

    cfg = config_from_dict(
        {
            "activities": {"closed": "Close"},
            "sla": [{"name": "<b>x</b>", "resolution": "1h"}],
        }
    )
    s = section.build(ReportContext(log=log, extras={"kpi_config": cfg}))
    assert s is not None
    assert "<b>x</b>" not in s.html and "&lt;b&gt;x&lt;/b&gt;" in s.html


@pytest.mark.browser
def test_report_renders_in_chromium(synth_log, tmp_path):
    out = build_report(synth_log, tmp_path / "r.html", extras={"kpi_config": str(DEMO)})
    with open_page(out) as visit:
        sec = visit.page.locator("section#kpi")
        assert sec.locator("h2").inner_text() == "Service KPIs and SLAs"
        assert sec.locator(".card").count() == 8
        assert sec.locator("table.data").count() >= 2
        assert visit.console_errors == []
        assert visit.page_errors == []
        assert external_requests(visit) == []
