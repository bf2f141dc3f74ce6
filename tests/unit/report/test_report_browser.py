"""The report renders in real headless Chromium with no console errors and no network."""

from __future__ import annotations

import pytest

from servops.report import build_report
from tests.browser import external_requests, open_page, screenshot

pytestmark = pytest.mark.browser


def test_report_renders_without_errors_or_network(tiny_log, tmp_path):
    out = build_report(tiny_log, tmp_path / "r.html")
    with open_page(out) as visit:
        assert visit.page.title() == "Service report"
        assert visit.page.locator("section#overview h2").inner_text() == "Overview"
        # the weekly-arrivals chart has one bar per week: tiny log spans 1 week (Mon-Wed)
        assert visit.page.locator("section#overview svg rect").count() == 1
        png = screenshot(visit, tmp_path / "r.png")
        assert png.stat().st_size > 10_000
        assert visit.console_errors == []
        assert visit.page_errors == []
        assert external_requests(visit) == []


def test_report_in_chinese(tiny_log, tmp_path):
    out = build_report(tiny_log, tmp_path / "r.html", lang="zh")
    with open_page(out) as visit:
        assert visit.page.locator("section#overview h2").inner_text() == "概览"
        assert visit.console_errors == []
