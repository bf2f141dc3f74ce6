"""The report's scorecard section: funnel plots, table, nothing without SLA policies."""

from __future__ import annotations

import re

import pyarrow as pa

from servops.kpi.config import config_from_dict
from servops.report.builder import ReportContext
from servops.report.sections import scorecard as section
from tests.unit.kpi.test_scorecard import CFG, tickets


def _log():
    spec = []
    for agent, n, k in (("A", 30, 27), ("B", 30, 20), ("C", 10, 9), ("D", 30, 8)):
        spec += [(agent, "P1", True)] * k + [(agent, "P1", False)] * (n - k)
    return tickets(spec)


def test_section_has_funnels_and_table():
    log = _log()
    ratings = pa.table(
        {"case_id": [f"t{i:04d}" for i in range(0, 100, 3)], "score": [4.0] * 34}
    )
    ctx = ReportContext(log=log, extras={"kpi_config": CFG, "feedback": ratings})
    s = section.build(ctx)
    assert s is not None
    assert s.id == "scorecards"
    # two funnels (on time, rating); one point per agent in each
    assert s.html.count("<svg") == 2
    assert len(re.findall(r"<circle [^>]*><title>A:", s.html)) == 2
    # D: 8 of 30 on time against a desk near 64 %: below the 99.8 % limit
    assert "below 99.8%" in s.html
    assert s.html.count("<tr>") == 1 + 4
    assert "agent(s) outside the funnel" in s.summary
    zh = section.build(ReportContext(log=log, lang="zh", extras={"kpi_config": CFG}))
    assert zh is not None and zh.title == "坐席绩效"
    assert zh.html.count("<svg") == 1  # no ratings: no rating funnel


def test_no_section_without_sla():
    cfg = config_from_dict({"activities": {"resolved": "Resolved"}}, source="t")
    ctx = ReportContext(log=_log(), extras={"kpi_config": cfg})
    assert section.build(ctx) is None


def test_funnel_svg_escapes_and_handles_empty():
    html = section.funnel_svg(
        [("<b>", 5.0, 0.5, "low_95")],
        {"n": [1, 5], "lower_95": [0.0, 0.2], "upper_95": [1.0, 0.8]},
        0.5,
        title="t",
        x_label="x",
        y_label="y",
        fmt=str,
    )
    assert "&lt;b&gt;" in html and "<b>" not in html
    assert section.SIGNAL_COLOURS["low_95"] in html
    assert "empty" in section.funnel_svg(
        [], {}, 0.5, title="t", x_label="x", y_label="y", fmt=str
    )
