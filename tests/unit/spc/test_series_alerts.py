"""KPI series of a log, charts on them, and alert records."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

import servops as so
from servops.errors import InvalidParameterError
from servops.spc import chart_kpi, kpi_series, log_alerts
from servops.spc.alerts import Alert

NO_WARMUP = timedelta(0)


def make_log(days=40, spike_day=30):
    """Three tickets a day opened at 09:00; closed after ~2 h, after 11 h on spike_day.

    Ticket d10-1 is reopened and resolved again before it closes (one reopen in the
    week of 2024-03-11, so the log measures reopens). Days run from Monday 2024-03-04
    to Friday 2024-04-12: the last week is cut by the log's end.
    """
    rows: dict[str, list[str]] = {"case": [], "act": [], "ts": []}
    t0 = datetime(2024, 3, 4)
    for d in range(days):
        for j in range(3):
            cid = f"d{d:02d}-{j}"
            start = t0 + timedelta(days=d, hours=9, minutes=10 * j)
            lead = 11.0 if d == spike_day else 2.0 + 0.4 * math.sin(3 * d + j)
            steps = [("Ticket created", 0.0), ("Resolved", lead - 0.5)]
            if cid == "d10-1":
                steps += [("Reopened", lead - 0.4), ("Resolved", lead - 0.2)]
            for act, h in (*steps, ("Closed", lead)):
                rows["case"].append(cid)
                rows["act"].append(act)
                rows["ts"].append((start + timedelta(hours=h)).isoformat(sep=" "))
    return so.EventLog.from_arrow(
        pa.table(rows), columns=so.ColumnMap("case", "act", "ts")
    )


@pytest.fixture(scope="module")
def spike_log():
    return make_log()


def test_kpi_series_by_day_hand_checked(tiny_log):
    s = kpi_series(tiny_log, "lead_time", by="day")
    assert s.periods == ("2024-01-08", "2024-01-09")
    assert s.values.tolist() == pytest.approx([3.5, 1.25])  # (2h + 5h)/2, (1h + 1.5h)/2
    assert s.case_values.tolist() == pytest.approx([2.0, 5.0, 1.0, 1.5])
    a = kpi_series(tiny_log, "arrivals", by="day")
    assert a.values.tolist() == [2.0, 2.0, 1.0]
    assert a.default_chart == "c"
    w = kpi_series(tiny_log, "lead_time", by="week")
    assert w.periods == ("2024-01-08",)
    assert w.sizes.tolist() == [4.0]


def test_arrivals_count_empty_days_as_zero(spike_log):
    log = spike_log.where("case_id NOT LIKE 'd05-%'")
    s = kpi_series(log, "arrivals", by="day")
    assert len(s.periods) == 40
    assert s.values[5] == 0.0


def test_chart_and_alert_on_a_spike(spike_log):
    kc = chart_kpi(spike_log, "lead_time", by="day")
    assert kc.chart == "imr"
    first = kc.phase1.primary
    assert [s.index for s in first.signals if s.test == 1] == [30]
    alerts = log_alerts(spike_log, kpis=["lead_time"])
    ind = [a for a in alerts if a.chart == "individuals" and a.test == 1]
    assert [(a.kpi, a.period, a.test) for a in ind] == [("lead_time", "2024-04-03", 1)]
    # the spike lifts the center line: the ordinary days then run below it (test 2)
    runs = [a for a in alerts if a.test == 2]
    assert runs and all(a.direction == "down" for a in runs)
    assert isinstance(ind[0], Alert)
    assert "UCL" in ind[0].message and "2024-04-03" in ind[0].message
    assert ind[0].direction == "up"
    assert set(ind[0].to_dict()) >= {"kpi", "period", "test", "value", "message"}


def test_phase_two_after_a_baseline(spike_log):
    kc = chart_kpi(spike_log, "lead_time", by="day", baseline=20)
    assert kc.phase1.phase == "I" and len(kc.phase1.primary.points) == 20
    assert kc.phase2 is not None and kc.phase2.labels is not None
    assert kc.phase2.labels[0] == "2024-03-24"
    assert [s.index for s in kc.phase2.primary.signals if s.test == 1] == [10]
    alerts = log_alerts(spike_log, kpis=["lead_time"], baseline=20)
    assert all(a.phase == "II" for a in alerts)


def test_xbar_chart_on_cases_per_period(spike_log):
    kc = chart_kpi(spike_log, "lead_time", chart="xbar_s")
    assert kc.phase1.sizes is not None and set(kc.phase1.sizes.tolist()) == {3.0}
    assert 30 in {s.index for s in kc.phase1.primary.signals}


def test_default_alerts_skip_what_the_log_cannot_give(spike_log):
    alerts = log_alerts(spike_log)
    assert {a.kpi for a in alerts} <= {"lead_time", "resolution_time", "reopen_rate"}
    assert "lead_time" in {a.kpi for a in alerts}
    periods = [a.period for a in alerts]
    assert periods == sorted(periods, reverse=True)  # newest first


def test_bad_kpi_and_chart(tiny_log, spike_log):
    with pytest.raises(InvalidParameterError, match="Known KPIs"):
        kpi_series(tiny_log, "happiness")
    with pytest.raises(InvalidParameterError, match="does not fit KPI 'lead_time'"):
        chart_kpi(spike_log, "lead_time", chart="p")
    with pytest.raises(
        InvalidParameterError,
        match=r"at least 2\. 1 month\(s\) the log covers only partly .*2024-01.* "
        r"Use a shorter period",
    ):
        chart_kpi(tiny_log, "lead_time", by="month")
    with pytest.raises(
        InvalidParameterError,
        match=r"0 usable .* No case of this log has a value for it \(it needs the config.s first_resp",
    ):
        chart_kpi(spike_log, "first_response", by="day")
    with pytest.raises(InvalidParameterError, match="'baseline' parameter"):
        chart_kpi(spike_log, "lead_time", baseline=400)
    with pytest.raises(InvalidParameterError, match="'by' parameter"):
        kpi_series(tiny_log, "lead_time", by="year")  # type: ignore[arg-type]


def test_rates_go_on_a_p_chart(spike_log):
    kc = chart_kpi(spike_log, "reopen_rate", by="week")
    assert kc.chart == "p"
    # five whole weeks of 21 closures; one reopen in the second; the sixth is censored
    assert kc.phase1.labels == (
        "2024-03-04",
        "2024-03-11",
        "2024-03-18",
        "2024-03-25",
        "2024-04-01",
    )
    assert kc.phase1.primary.points.tolist() == pytest.approx([0, 1 / 21, 0, 0, 0])
    assert kc.censored == ("2024-04-08",)


def test_the_week_cut_by_the_log_end_is_flagged_and_not_charted(spike_log):
    s = kpi_series(spike_log, "lead_time", by="week")
    assert s.periods[-1] == "2024-04-08"  # Mon 8 .. Fri 12 April: the log ends
    assert s.censored.tolist() == [False] * 5 + [True]
    assert s.to_dict()["censored"][-1] is True
    kc = chart_kpi(spike_log, "lead_time", by="week")
    assert kc.censored == ("2024-04-08",)
    assert "2024-04-08" not in (kc.phase1.labels or ())
    assert any("censored: 2024-04-08" in n for n in kc.notes)
    assert kc.to_dict()["censored"] == ["2024-04-08"]
    assert all(a.period != "2024-04-08" for a in log_alerts(spike_log, by="week"))


def test_demo_last_partial_week_raises_no_alert():
    from servops.demo.generator import generate_service_desk

    # the demo without its warm-up ends on Friday noon: a week cut by the log's end
    log = so.EventLog.from_arrow(
        generate_service_desk(cases=3000, seed=7, warmup=NO_WARMUP).events
    )
    alerts = log_alerts(log, by="week")
    # the demo ends on Friday 2026-10-30: that week used to fire three test-1 alerts
    assert all(a.period != "2026-10-26" for a in alerts)
    s = kpi_series(log, "first_response", by="week")
    assert s.periods[-1] == "2026-10-26" and bool(s.censored[-1])
    assert not s.censored[:-1].any()


def test_duration_lcl_is_clipped_at_zero_and_said():
    # lead times 1, 9, 1, 9 … h: mean 5 h, MR 8 h -> raw LCL 5 - 3·8/1.128 < 0
    rows: dict[str, list[str]] = {"case": [], "act": [], "ts": []}
    t0 = datetime(2024, 3, 4)
    for d in range(14):
        start = t0 + timedelta(days=d, hours=8)
        lead = 1.0 if d % 2 == 0 else 9.0
        for act, h in (("Ticket created", 0.0), ("Closed", lead)):
            rows["case"].append(f"c{d}")
            rows["act"].append(act)
            rows["ts"].append((start + timedelta(hours=h)).isoformat(sep=" "))
    log = so.EventLog.from_arrow(
        pa.table(rows), columns=so.ColumnMap("case", "act", "ts")
    )
    kc = chart_kpi(log, "lead_time", by="day")
    ind = kc.phase1.primary
    assert ind.center[0] == pytest.approx(5.0)
    assert ind.lcl.tolist() == [0.0] * 14  # 5 - 3 * 8 / 1.128 = -16.3 before clipping
    assert kc.lcl_clipped and kc.to_dict()["lcl_clipped"] is True
    assert any("clipped at 0 h" in n for n in kc.notes)
    # a rate chart keeps its own floor and says nothing about clipping
    assert not chart_kpi(log, "arrivals", by="day").lcl_clipped


def test_periods_with_one_or_two_cases_are_named(tiny_log):
    kc = chart_kpi(tiny_log, "lead_time", by="day")
    assert kc.small == ("2024-01-08", "2024-01-09")
    assert any("only 1–2 cases" in n for n in kc.notes)


def test_alerts_newest_first_since_and_summary(spike_log):
    from servops.spc import alert_summary

    alerts = log_alerts(spike_log, kpis=["lead_time"])
    assert [a.period for a in alerts] == sorted(
        (a.period for a in alerts), reverse=True
    )
    later = log_alerts(spike_log, kpis=["lead_time"], since="2024-04-03")
    assert later and all(a.period >= "2024-04-03" for a in later)
    assert {a.period for a in later} == {
        a.period for a in alerts if a.period >= "2024-04-03"
    }
    summary = alert_summary(later, since="2024-04-03")
    assert summary.total == len(later)
    assert summary.by_kpi == {"lead_time": len(later)}
    assert sum(summary.by_test.values()) == len(later)
    assert summary.newest is not None and summary.newest.period == later[0].period
    assert "since 2024-04-03" in summary.text()
    assert summary.to_dict()["newest"]["unit"] == "h"
    with pytest.raises(InvalidParameterError, match="'since' parameter"):
        log_alerts(spike_log, kpis=["lead_time"], since="last tuesday")
    assert alert_summary([]).text() == "No alerts."


def test_periods_are_cut_in_the_config_zone(spike_log):
    from servops.kpi import case_metrics
    from servops.kpi.config import KpiConfig

    cfg = KpiConfig(timezone="Asia/Tokyo")  # +9 h: 09:00 UTC is 18:00 there
    metrics = case_metrics(spike_log, cfg)
    utc = kpi_series(spike_log, "lead_time", by="day", metrics=metrics)
    tokyo = kpi_series(spike_log, "lead_time", by="day", metrics=metrics, config=cfg)
    assert utc.timezone == "UTC" and tokyo.timezone == "Asia/Tokyo"
    # the 11 h spike closes at 20:00 UTC on 3 April: 05:00 on 4 April in Tokyo
    assert utc.periods[int(np.argmax(utc.values))] == "2024-04-03"
    assert tokyo.periods[int(np.argmax(tokyo.values))] == "2024-04-04"
