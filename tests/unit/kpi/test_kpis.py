"""KPIs per period and segment; SLA report; bad parameters."""

from __future__ import annotations

import pytest

from servops.errors import InvalidParameterError
from servops.kpi import case_metrics, compute_kpis, sla_report
from tests.unit.kpi.conftest import demo_config, make_log
from tests.unit.kpi.test_cases import ROWS

H = 3600.0


def test_one_row_over_everything():
    row = compute_kpis(make_log(ROWS), demo_config(), by=None).to_pylist()[0]
    assert row["period"] is None
    assert row["segment"] is None
    assert (row["cases"], row["closed"], row["backlog"]) == (6, 3, 3)
    # leads: a 26 h, b 58 h (Mon 09:00 -> Wed 19:00), c 28 h
    assert row["lead_time_median_s"] == 28 * H
    assert row["lead_time_mean_s"] == pytest.approx(112 / 3 * H)
    assert row["reopen_rate"] == pytest.approx(1 / 3)
    assert row["fcr_rate"] == pytest.approx(1 / 3)
    # decided cases: a met, b breached, c breached (4 business hours to its final
    # resolution > 3 h), and d, still open but already late (breached at the end of
    # the data, as sla_report counts it); e and f are pending
    assert row["sla_breaches"] == 3
    assert row["sla_cases"] == 4
    assert row["sla_attainment"] == pytest.approx(1 / 4)
    assert sla_report(make_log(ROWS), demo_config()).attainment == pytest.approx(1 / 4)
    assert isinstance(row["cases"], int)


def test_by_day_backlog_and_cohorts():
    rows = compute_kpis(make_log(ROWS), demo_config(), by="day").to_pylist()
    days = [r["period"] for r in rows]
    assert days == [f"2024-01-{d:02d}" for d in range(8, 16)]  # every day, even empty
    by = {r["period"]: r for r in rows}
    assert by["2024-01-08"]["cases"] == 2
    assert by["2024-01-08"]["closed"] == 0
    assert by["2024-01-09"]["closed"] == 1
    assert by["2024-01-09"]["backlog"] == 2
    assert by["2024-01-10"]["closed"] == 2
    assert by["2024-01-10"]["backlog"] == 0
    assert by["2024-01-11"]["cases"] == 0
    assert by["2024-01-11"]["lead_time_median_s"] is None
    assert by["2024-01-15"]["backlog"] == 3
    # first responses count on the day they happened
    assert by["2024-01-15"]["responded"] == 2
    assert sum(r["cases"] for r in rows) == 6


def test_by_week_and_segment(synth_log):
    cfg = demo_config()
    cases = case_metrics(synth_log, cfg)
    rows = compute_kpis(synth_log, cfg, by="week", segment="priority", cases=cases)
    rows = rows.to_pylist()
    assert {r["segment"] for r in rows} == {"P1", "P2", "P3", "P4"}
    assert all(r["period"] is not None for r in rows)
    assert sum(r["cases"] for r in rows) == cases.num_rows
    for r in rows:
        for k, v in r.items():
            if k.endswith(("_rate", "attainment")) and v is not None:
                assert 0.0 <= v <= 1.0, k
    # the last week's backlog per segment equals the open cases of that segment
    last = max(r["period"] for r in rows)
    open_by = cases.filter(cases.column("closed_at").is_null()).to_pandas()
    for r in rows:
        if r["period"] == last:
            assert r["backlog"] == int((open_by.priority == r["segment"]).sum())


def test_month_in_the_config_zone():
    # 23:30 UTC on 31 Jan is 00:30 on 1 Feb in Amsterdam
    rows = [
        ("a", "Ticket created", "2024-01-31 23:30", "x"),
        ("a", "Closed", "2024-02-01 10:00", "x"),
    ]
    cfg = demo_config(timezone="Europe/Amsterdam", sla=[], pauses=[])
    out = compute_kpis(make_log(rows), cfg, by="month").to_pylist()
    assert [r["period"] for r in out] == ["2024-02-01"]
    utc = compute_kpis(make_log(rows), demo_config(sla=[], pauses=[]), by="month")
    assert utc.column("period").to_pylist() == ["2024-01-01", "2024-02-01"]


def test_bad_parameters(tiny_log):
    with pytest.raises(InvalidParameterError, match="'by' parameter"):
        compute_kpis(tiny_log, by="year")  # type: ignore[arg-type]
    with pytest.raises(
        InvalidParameterError, match=r"Got 'prio'.*\['channel', 'priority'\]"
    ):
        compute_kpis(tiny_log, segment="prio")


def test_sla_report_by_hand():
    rep = sla_report(make_log(ROWS), demo_config())
    (pol,) = rep.policies
    # a met; b breached (16.5 h > 3 h); c breached (4 business h to its final
    # resolution); d breached while open; e reopened and open, 2 h by the end of the
    # data: pending; f pending
    assert (pol["met"], pol["breached"], pol["pending"]) == (1, 3, 2)
    assert rep.attainment == pytest.approx(1 / 4)
    b = rep.breaches.to_pylist()
    assert [(r["case_id"], r["metric"]) for r in b][:1] == [("b", "resolution")]
    d = [r for r in b if r["case_id"] == "d"]
    assert {r["metric"] for r in d} == {"first_response", "resolution"}
    assert all(r["open"] for r in d)
    assert rep.to_dict()["covered"] == 6


def test_sla_report_without_policies_says_so(tiny_log):
    rep = sla_report(tiny_log)
    assert rep.policies == ()
    assert rep.attainment is None
    assert "no SLA policy" in rep.notes[0]
