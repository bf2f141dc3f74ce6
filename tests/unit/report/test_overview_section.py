"""The report's overview: weekly arrivals from the period module, data-shape warnings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

import servops as so
from servops.report.builder import ReportContext
from servops.report.sections import overview


def _log(starts: list[datetime]) -> so.EventLog:
    rows: dict[str, list[object]] = {"case": [], "act": [], "ts": []}
    for i, s in enumerate(starts):
        for act, t in (("Open", s), ("Close", s + timedelta(hours=2))):
            rows["case"].append(f"c{i}")
            rows["act"].append(act)
            rows["ts"].append(t)
    return so.EventLog.from_arrow(
        pa.table(rows), columns=so.ColumnMap("case", "act", "ts")
    )


def test_weeks_with_no_arrival_show_zero_and_the_cut_week_is_partial():
    t0 = datetime(2024, 3, 4, 9, tzinfo=UTC)  # a Monday
    starts = [t0 + timedelta(hours=7 * i) for i in range(20)]  # Mon 4 .. Sat 9 Mar
    starts += [t0 + timedelta(days=14, hours=7 * i) for i in range(10)]  # 18 .. 21 Mar
    html = overview.build(ReportContext(log=_log(starts))).html
    assert "2024-03-11" in html  # the empty week is on the axis
    assert "2024-03-18 (partial)" in html  # ends Saturday 23 March
    assert "2024-03-04 (partial)" not in html
    assert 'class="warn"' not in html


def test_a_lone_outlier_date_is_warned_about():
    t0 = datetime(2017, 3, 6, 9, tzinfo=UTC)
    starts = [datetime(2011, 5, 3, 12, tzinfo=UTC)]
    starts += [t0 + timedelta(hours=5 * i) for i in range(300)]
    html = overview.build(ReportContext(log=_log(starts))).html
    assert 'class="warn"' in html
    assert "2011-05-03 12:00 (case c0, Open, source row 1)" in html
    assert "--from 2017-03-" in html
