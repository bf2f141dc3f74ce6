"""The SPC report section."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pyarrow as pa
import pytest

import servops as so
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


def test_partial_weeks_are_drawn_hollow_and_not_charted():
    # 24 weekly periods, 22 inner ones: weekly charts (log_period)
    log = make_log(days=165, spike_day=100)
    s = section.build(ReportContext(log=log))
    assert s is not None
    # 2024-03-04 + 164 days is Thursday 2024-08-15: that week is cut by the log's end
    assert re.search(
        r'class="censored"><title>2024-08-12: [\d.]+ — partial period', s.html
    )
    assert "2024-08-12" not in re.findall(r'class="signal"><title>([\d-]+)', s.html)
    assert re.search(r"By KPI: [^<]*Resolution time \d+", s.html)  # alerts' summary


def _daily_tickets(leads: list[list[int]]) -> so.EventLog:
    """Tickets created at 08:00 on consecutive days from 4 March 2024.

    ``leads[d]`` holds the hours to closure of day ``d``'s tickets (case ``c{d}-{j}``).
    """
    rows: dict[str, list[str]] = {"case": [], "act": [], "ts": []}
    for d, hours in enumerate(leads):
        start = datetime(2024, 3, 4, 8) + timedelta(days=d)
        for j, lead in enumerate(hours):
            for act, h in (("Ticket created", 0), ("Closed", lead)):
                rows["case"].append(f"c{d}-{j}")
                rows["act"].append(act)
                rows["ts"].append((start + timedelta(hours=h)).isoformat(sep=" "))
    return so.EventLog.from_arrow(
        pa.table(rows), columns=so.ColumnMap("case", "act", "ts")
    )


def test_clipped_lower_limit_is_said_in_the_caption():
    # lead 1 h, 9 h, 1 h, …: raw LCL 5 - 3 * 8 / 1.128 < 0
    log = _daily_tickets([[1 if d % 2 == 0 else 9] for d in range(14)])
    s = section.build(ReportContext(log=log))
    assert s is not None
    assert "lower limit clipped at 0: a time cannot be negative" in s.html


def test_svg_partial_points_sit_outside_the_charted_span():
    r = ControlChart("imr").fit([1.0, 2.0, 1.5, 1.7], labels=list("abcd")).result_
    svg = section.control_chart_svg(
        r.primary,
        list("abcd"),
        title="t",
        partial_before=[("w0", 0.5)],
        partial_after=[("w5", 0.8)],
    )
    xs = [
        float(x) for x in re.findall(r'<circle cx="([\d.]+)"[^>]*class="censored"', svg)
    ]
    points = [
        float(x) for x in re.findall(r'<circle cx="([\d.]+)" cy="[\d.]+" r="2.3"', svg)
    ]
    assert len(xs) == 2 and len(points) == 4
    assert xs[0] < min(points) and xs[1] > max(points)


def test_periods_with_one_or_two_cases_are_named_under_the_chart():
    # two tickets a day, one on day 4
    log = _daily_tickets(
        [[2 + j + d % 3 for j in range(1 if d == 4 else 2)] for d in range(10)]
    )
    s = section.build(ReportContext(log=log))
    assert s is not None
    # the last day (13 March) ends at 11:00, before its usual closures: censored,
    # so not charted and not counted here
    assert "9 period(s) with only 1–2 cases (2024-03-04, 2024-03-05" in s.html
