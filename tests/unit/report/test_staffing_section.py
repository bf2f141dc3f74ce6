"""The staffing report section on the demo service desk."""

from __future__ import annotations

from pathlib import Path

import servops as so
from servops.demo.generator import generate_service_desk
from servops.report.builder import ReportContext
from servops.report.sections import staffing

KPI_YAML = Path(so.demo.__file__).parent / "kpi.yaml"


def test_section_on_demo_log_en_and_zh():
    log = so.read_log(generate_service_desk(cases=1600, seed=3).events)
    extras = {"staffing": {"runs": 2}, "kpi_config": KPI_YAML}
    sec = staffing.build(ReportContext(log=log, extras=extras))
    assert sec is not None
    assert sec.id == "staffing"
    assert "forecast vs actual" in sec.html
    assert "Erlang prediction vs simulation" in sec.html
    assert sec.html.count("<svg") >= 6
    # Both staffings, each with its simulated service level, and the validity note.
    assert "per-interval Erlang vs ISA" in sec.html
    assert "Simulated service level per interval (fresh runs)" in sec.html
    assert "per-interval Erlang is" in sec.html
    # A ticket desk is staffed for its SLA's first response, not 80 % in 20 s.
    assert "SLA policy" in sec.html
    zh = staffing.build(
        ReportContext(log=log, lang="zh", extras={"staffing": {"simulate": False}})
    )
    assert zh is not None
    assert "预测与实际" in zh.html
    assert "Erlang 预测与仿真" not in zh.html  # no proof-by-simulation chart
    assert "逐时段 Erlang 与 ISA" in zh.html


def test_section_absent_on_short_log(tiny_log):
    assert staffing.build(ReportContext(log=tiny_log)) is None
