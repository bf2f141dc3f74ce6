"""The report's KPI and control-chart sections cut the log by one period (issue 16).

Both take it from :func:`servops.log.periods.log_period`; before, the KPI section chose
week and the SPC section day for the demo (thresholds 21 vs 120 days of span).
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest

import servops as so
from servops.demo.generator import generate_service_desk
from servops.log.periods import MIN_CHOSEN_PERIODS, choose_period, log_period
from servops.report.builder import ReportContext
from servops.report.sections import kpi as kpi_section
from servops.report.sections import spc as spc_section
from tests.paths import shared_log


def section_periods(log: so.EventLog) -> tuple[set[str], set[str]]:
    """The periods named by the KPI section's charts and by the SPC section's charts."""
    ctx = ReportContext(log=log)
    kpi = kpi_section.build(ctx)
    spc = spc_section.build(ctx)
    assert kpi is not None and spc is not None
    kpi_named = set(
        re.findall(r"(?:Times|backlog|SLA attainment) per (day|week|month)", kpi.html)
    )
    spc_named = set(re.findall(r"time per (day|week|month)", spc.html))
    return kpi_named, spc_named


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: so.EventLog.from_arrow(generate_service_desk().events), "day"),
        (lambda: so.read_log(shared_log("helpdesk.xes.gz")), "month"),
    ],
    ids=["demo", "helpdesk"],
)
def test_kpi_and_spc_sections_name_the_same_period(make, expected):
    log = make()
    assert log_period(log) == expected
    kpi_named, spc_named = section_periods(log)
    assert kpi_named == spc_named == {expected}


def test_choose_period_by_hand():
    # 2026-01-05 .. 2026-05-25 is 21 weekly periods: 19 inner ones, one short of 20
    assert MIN_CHOSEN_PERIODS == 20
    assert choose_period(datetime(2026, 1, 5), datetime(2026, 5, 25)) == "day"
    assert choose_period(datetime(2026, 1, 5), datetime(2026, 6, 1)) == "week"
    # 22 months (Jan 2024 .. Oct 2025): 20 inner months
    assert choose_period(datetime(2024, 1, 31), datetime(2025, 10, 1)) == "month"
    assert choose_period(datetime(2024, 1, 31), datetime(2025, 9, 30)) == "week"
