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


def make_log(days=40, spike_day=30):
    """Three tickets a day opened at 09:00; closed after ~2 h, after 11 h on spike_day."""
    rows: dict[str, list[str]] = {"case": [], "act": [], "ts": []}
    t0 = datetime(2024, 3, 4)
    for d in range(days):
        for j in range(3):
            cid = f"d{d:02d}-{j}"
            start = t0 + timedelta(days=d, hours=9, minutes=10 * j)
            lead = 11.0 if d == spike_day else 2.0 + 0.4 * math.sin(3 * d + j)
            for act, h in (
                ("Ticket created", 0.0),
                ("Resolved", lead - 0.5),
                ("Closed", lead),
            ):
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
    assert {a.kpi for a in alerts} <= {"lead_time", "resolution_time"}
    assert "lead_time" in {a.kpi for a in alerts}
    periods = [a.period for a in alerts]
    assert periods == sorted(periods)


def test_bad_kpi_and_chart(tiny_log, spike_log):
    with pytest.raises(InvalidParameterError, match="Known KPIs"):
        kpi_series(tiny_log, "happiness")
    with pytest.raises(InvalidParameterError, match="does not fit KPI 'lead_time'"):
        chart_kpi(spike_log, "lead_time", chart="p")
    with pytest.raises(
        InvalidParameterError, match=r"at least 2\. Use a shorter period"
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
    assert np.all(kc.phase1.primary.points == 0.0)
