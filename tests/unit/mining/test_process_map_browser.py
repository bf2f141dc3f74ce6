"""The interactive process map in real headless Chromium: no errors, no network, the
sliders change what is shown, hover shows figures, and a screenshot has content."""

from __future__ import annotations

import pytest

import servops as so
from servops.report.builder import ReportContext, render_report
from servops.report.process_map import process_map_data, render_html
from tests.browser import external_requests, open_page, screenshot
from tests.paths import shared_log

pytestmark = pytest.mark.browser


def _visible(visit):
    m = visit.page.locator(".so-map").first
    return (
        int(m.get_attribute("data-visible-nodes")),
        int(m.get_attribute("data-visible-edges")),
        visit.page.locator(".so-map .so-node").count(),
        visit.page.locator(".so-map .so-edge:not(.so-terminal)").count(),
    )


def _slide(visit, cls, value):
    s = visit.page.locator(f".so-map .{cls}").first
    s.fill(str(value))
    s.dispatch_event("input")


@pytest.mark.parametrize(
    ("name", "n_activities"),
    [
        ("receipt.xes.gz", 27),
        pytest.param("bpic2015_municipality1.csv.gz", 398, marks=pytest.mark.slow),
    ],
)
def test_map_sliders_hover_and_toggle(tmp_path, name, n_activities):
    log = so.read_log(shared_log(name))
    data = process_map_data(log)
    assert len(data.nodes) == n_activities
    out = tmp_path / "map.html"
    out.write_text(render_html(data), encoding="utf-8")
    with open_page(out, width=1280, height=900) as visit:
        nodes, edges, drawn_nodes, drawn_edges = _visible(visit)
        assert nodes == min(n_activities, 30) or 25 <= nodes <= 40  # readable default
        assert drawn_nodes == nodes
        assert drawn_edges == edges
        _slide(visit, "so-activities", 0)
        assert _visible(visit)[0] == 1
        last = len(data.levels) - 1
        _slide(visit, "so-activities", last)
        n_all, e_all, *_ = _visible(visit)
        assert n_all == len(data.nodes)
        _slide(visit, "so-paths", 100)
        assert _visible(visit)[1] > e_all
        _slide(visit, "so-paths", 0)
        assert _visible(visit)[1] < e_all
        _slide(visit, "so-activities", last // 2)
        visit.page.locator(".so-map .so-node").first.hover()
        tip = visit.page.locator(".so-map .so-tip")
        assert tip.is_visible()
        assert "cases" in tip.inner_text()
        visit.page.get_by_role("button", name="Performance").click()
        label = visit.page.locator(".so-map .so-edge:not(.so-terminal) text").first
        assert label.text_content().endswith(("s", "min", "h", "d"))
        assert visit.console_errors == []
        assert visit.page_errors == []
        assert external_requests(visit) == []


def _report(log, path, lang="en"):
    ctx = ReportContext(log=log, lang=lang)
    modules = ("servops.report.sections.overview", "servops.report.sections.process")
    path.write_text(render_report(ctx, modules), encoding="utf-8")
    return path


def test_report_process_section_renders(tiny_log, tmp_path):
    out = _report(tiny_log, tmp_path / "r.html")
    with open_page(out) as visit:
        sec = visit.page.locator("section#process")
        assert sec.count() == 1
        assert visit.page.locator("section#process .so-node").count() == 5
        assert "estimated" in sec.inner_text().lower()
        png = screenshot(visit, tmp_path / "r.png")
        assert png.stat().st_size > 20_000
        assert visit.console_errors == []
        assert visit.page_errors == []
        assert external_requests(visit) == []


def test_report_process_section_in_chinese(tiny_log, tmp_path):
    out = _report(tiny_log, tmp_path / "r.html", lang="zh")
    with open_page(out) as visit:
        assert "流程图" in visit.page.locator("section#process").inner_text()
        assert visit.page.get_by_role("button", name="频次").count() == 1
        assert visit.console_errors == []
