"""One definition per number: figures that two packages both report are equal.

For the demo log, a simulated log and two real logs, every figure reported by more than
one package -- lead time / case duration, waiting, SLA attainment, cases per period --
is compared across the packages that report it (issue 16's cross-package check).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

import servops as so
from servops.demo.generator import generate_service_desk
from servops.sim import load_model, simulate
from tests.paths import shared_log

ROOT = Path(__file__).resolve().parents[2]
DEMO_CFG = ROOT / "src" / "servops" / "demo" / "kpi.yaml"


def _demo() -> so.EventLog:
    return so.EventLog.from_arrow(generate_service_desk(cases=600, seed=11).events)


def _simulated() -> so.EventLog:
    model = load_model(ROOT / "docs" / "examples" / "mmc.yaml")
    return simulate(model, seed=3, cases=400).log


def _helpdesk() -> so.EventLog:
    return so.read_log(shared_log("helpdesk.xes.gz"))


def _sepsis() -> so.EventLog:
    return so.read_log(shared_log("sepsis.csv.gz"))


LOGS = {
    "demo": _demo,
    "simulated": _simulated,
    "helpdesk": _helpdesk,
    "sepsis": _sepsis,
}


@pytest.fixture(scope="module", params=sorted(LOGS))
def log(request: pytest.FixtureRequest) -> so.EventLog:
    return LOGS[request.param]()


def test_lead_time_is_one_number(log):
    # a case closed at its last event: the lead time of kpi is mining's case duration
    cfg = so.kpi.KpiConfig()
    kpi = so.kpi.compute_kpis(log, cfg, by=None).to_pylist()[0]
    times = so.mining.activity_times(log)
    summary = so.mining.duration_summary(log)
    stream = so.mining.value_stream(log)
    per_case = so.kpi.case_metrics(log, cfg).column("lead_time_s").to_numpy()
    variants = so.mining.variants(log).variants
    weighted = sum(v.cases * v.mean_duration_s for v in variants) / sum(
        v.cases for v in variants
    )

    assert kpi["cases"] == summary.count == stream.cases == log.n_cases()
    # DuckDB sums in parallel: equal up to the order of the additions
    for name in ("count", "mean_s", "median_s", "min_s", "max_s", "p90_s", "total_s"):
        assert getattr(times.case_duration, name) == pytest.approx(
            getattr(summary, name), rel=1e-9
        )
    for other in (
        summary.mean_s,
        stream.lead_time_mean_s,
        float(np.mean(per_case)),
        weighted,
    ):
        assert kpi["lead_time_mean_s"] == pytest.approx(other, rel=1e-9)
    assert kpi["lead_time_median_s"] == pytest.approx(summary.median_s, rel=1e-9)
    assert kpi["lead_time_p90_s"] == pytest.approx(summary.p90_s, rel=1e-9)


def test_waiting_is_one_number(log):
    times = so.mining.activity_times(log)
    stream = so.mining.value_stream(log)
    bn = so.mining.bottlenecks(log, top=1000)
    total_wait = sum(a.waiting_total_s or 0.0 for a in times.activities)
    total_service = sum(a.service_total_s or 0.0 for a in times.activities)
    n = stream.cases
    # the value stream's mean waiting and processing per case are the activities' sums
    assert stream.waiting_time_mean_s * n == pytest.approx(total_wait, rel=1e-9)
    assert stream.processing_time_mean_s * n == pytest.approx(total_service, rel=1e-9)
    # bottlenecks rank the same per-activity waiting
    by_activity = {a.activity: a.waiting_total_s for a in times.activities}
    for b in bn.activities:
        assert b.waiting_total_s == pytest.approx(by_activity[b.activity], rel=1e-9)
    # DuckDB sums in parallel: equal up to the order of the additions
    for name in ("lead_time_mean_s", "waiting_time_mean_s", "processing_time_mean_s"):
        assert getattr(bn.value_stream, name) == pytest.approx(
            getattr(stream, name), rel=1e-9
        )


def test_cases_per_period_are_one_count(log):
    tz = log.meta.timezone or "UTC"
    weekly = so.kpi.compute_kpis(log, so.kpi.KpiConfig(), by="week").to_pylist()
    per_week_kpi = {r["period"]: r["cases"] for r in weekly if r["cases"]}
    assert sum(per_week_kpi.values()) == log.n_cases()

    daily = so.forecast.arrival_counts(log, interval="1d", timezone=tz)
    assert int(daily.counts.sum()) == log.n_cases()
    per_week_forecast: Counter[object] = Counter()
    for day, n in zip(daily.timestamps(), daily.counts, strict=True):
        d = day.astype("datetime64[D]").item()
        monday = d - timedelta(days=d.weekday())
        if n:
            per_week_forecast[monday.isoformat()] += int(n)
    as_text = {str(k): v for k, v in per_week_kpi.items()}
    assert as_text == dict(per_week_forecast)


def test_sla_attainment_is_one_number():
    log = _demo()
    cfg = so.kpi.load_config(DEMO_CFG)
    kpi = so.kpi.compute_kpis(log, cfg, by=None).to_pylist()[0]
    report = so.kpi.sla_report(log, cfg)
    assert kpi["sla_attainment"] is not None
    assert kpi["sla_attainment"] == pytest.approx(report.total["attainment"], rel=1e-12)
    weekly = so.kpi.compute_kpis(log, cfg, by="week").to_pylist()
    assert sum(r["sla_cases"] or 0 for r in weekly) == kpi["sla_cases"]
    assert sum(r["sla_breaches"] or 0 for r in weekly) == kpi["sla_breaches"]
