"""The SPC report section."""

from __future__ import annotations

import re

import pytest

from servops.report.builder import ReportContext
from servops.report.sections import spc as section
from servops.spc import ControlChart
from tests.unit.spc.test_series_alerts import make_log


def test_section_draws_zones_limits_and_signals():
    ctx = ReportContext(log=make_log())
    s = section.build(ctx)
    assert s is not None and s.id == "spc"
    html = s.html
    assert html.count('<figure class="chart control-chart">') >= 2
    assert 'class="zone zone-A"' in html and 'class="zone zone-C"' in html
    assert 'class="limit ucl"' in html
    assert re.search(r'class="signal"><title>2024-04-03: [\d.]+ — test 1', html)
    assert "Latest alerts" in html
    assert "kpi_cases" in ctx.cache


def test_section_in_chinese():
    s = section.build(ReportContext(log=make_log(), lang="zh"))
    assert s is not None and s.title == "统计过程控制"
    assert "最新警报" in s.html


def test_section_skips_a_log_too_short_to_chart(tiny_log):
    assert section.build(ReportContext(log=tiny_log)) is None


def test_svg_escapes_labels_and_handles_variable_limits():
    r = (
        ControlChart("p")
        .fit([1, 2, 9, 3], sizes=[20, 40, 30, 50], labels=["<b>", "b", "c", "d"])
        .result_
    )
    svg = section.control_chart_svg(r.primary, list(r.labels or ()), title="a & b")
    assert "<b>" not in svg.replace("<b>", "", 0) or "&lt;b&gt;" in svg
    assert "&lt;b&gt;" in svg and "a &amp; b" in svg


@pytest.mark.browser
def test_section_renders_in_chromium(tmp_path):
    from servops.report.builder import render_report
    from tests.browser import external_requests, open_page

    ctx = ReportContext(log=make_log())
    out = tmp_path / "spc.html"
    out.write_text(
        render_report(ctx, ("servops.report.sections.spc",)), encoding="utf-8"
    )
    with open_page(out) as visit:
        page = visit.page
        assert (
            page.locator("section#spc h2").inner_text() == "Statistical process control"
        )
        assert page.locator("section#spc svg polygon.zone").count() >= 6
        assert page.locator("section#spc svg circle.signal").count() >= 1
        box = page.locator("section#spc figure.control-chart svg").first.bounding_box()
        assert box is not None and box["width"] > 300
        assert visit.console_errors == [] and visit.page_errors == []
        assert external_requests(visit) == []
