"""The diagnosis narrative in real headless Chromium: no console errors, links scroll."""

from __future__ import annotations

from pathlib import Path

import pytest

import servops as so
from servops.demo.generator import generate_service_desk
from servops.demo.run import write_improvement_files
from servops.report.builder import ReportContext, build_sections, render_sections
from tests.browser import external_requests, open_page, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # two reports of 1000 cases (about a minute on a loaded machine)
    # improve.its (another module) takes the square root of a negative HAC variance
    # on the demo project's short weekly series
    pytest.mark.filterwarnings(
        "ignore:invalid value encountered in sqrt:RuntimeWarning"
    ),
]
KPI = Path(so.__file__).parent / "demo" / "kpi.yaml"
MODULES = (
    "servops.report.sections.overview",
    "servops.report.sections.process",
    "servops.report.sections.kpi",
    "servops.report.sections.improve",
    "servops.report.sections.diagnosis",
)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_narrative_links_scroll_to_their_sections(tmp_path, lang):
    data = generate_service_desk(cases=1000, seed=7, improve_at="midway")
    assert data.improved_at is not None
    targets, projects, _ = write_improvement_files(
        tmp_path, data.events, data.improved_at
    )
    log = so.read_log(data.events)
    ctx = ReportContext(
        log=log,
        lang=lang,
        extras={"kpi_config": KPI, "targets": targets, "projects": projects},
    )
    out = tmp_path / "r.html"
    out.write_text(render_sections(ctx, build_sections(ctx, MODULES)), encoding="utf-8")
    with open_page(out, width=1400, height=900) as visit:
        page = visit.page
        links = page.locator("section#diagnosis a.proof")
        assert links.count() >= 5
        targets_seen = set()
        for i in range(links.count()):
            href = links.nth(i).get_attribute("href")
            assert href is not None
            if href in targets_seen:
                continue
            targets_seen.add(href)
            page.evaluate("window.scrollTo(0, 0)")
            links.nth(i).click()
            page.wait_for_timeout(50)
            # the target is in view below the sticky navigation (at the top, unless
            # the page ends first)
            top = page.evaluate(
                "(id) => document.getElementById(id).getBoundingClientRect().top",
                href[1:],
            )
            nav = page.evaluate("document.querySelector('nav').offsetHeight")
            assert nav - 2 <= top <= 900 - 40, (href, top, nav)
            assert page.evaluate("window.scrollY") > 0
        assert {
            "#overview",
            "#kpi",
            "#process-time",
            "#improve-targets",
        } <= targets_seen
        assert any(h.startswith("#project-") for h in targets_seen)
        page.evaluate("window.scrollTo(0, 0)")
        png = screenshot(visit, tmp_path / f"narrative-{lang}.png")
        assert png.stat().st_size > 20_000
        assert visit.console_errors == []
        assert visit.page_errors == []
        assert external_requests(visit) == []
