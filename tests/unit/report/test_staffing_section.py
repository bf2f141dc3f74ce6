"""The staffing report section on the demo service desk."""

from __future__ import annotations

import servops as so
from servops.demo.generator import generate_service_desk
from servops.report.builder import ReportContext
from servops.report.sections import staffing


def test_section_on_demo_log_en_and_zh():
    log = so.read_log(generate_service_desk(cases=1600, seed=3).events)
    sec = staffing.build(ReportContext(log=log, extras={"staffing": {"runs": 2}}))
    assert sec is not None
    assert sec.id == "staffing"
    assert "forecast vs actual" in sec.html
    assert "Erlang prediction vs simulation" in sec.html
    assert sec.html.count("<svg") >= 4
    zh = staffing.build(
        ReportContext(log=log, lang="zh", extras={"staffing": {"simulate": False}})
    )
    assert zh is not None
    assert "预测与实际" in zh.html and "仿真" not in zh.html


def test_section_absent_on_short_log(tiny_log):
    assert staffing.build(ReportContext(log=tiny_log)) is None
