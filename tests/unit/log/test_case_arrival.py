"""One case start everywhere: a case arrives at its earliest enablement.

A Prosimos/Simod-style log whose first enablement precedes the first start: case 1 is
enabled on Sunday 7 January 2024 at 23:00 and first started on Monday at 09:30, so its
day, its ISO week and its duration all differ from those of its first activity.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import servops as so
from servops.blueprint._metrics import case_totals
from servops.feedback.drivers import case_features
from servops.log.periods import log_span
from servops.log.schema import BEGIN, case_arrival
from servops.report.builder import ReportContext
from servops.report.sections import overview

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"

ROWS = (
    "case_id,activity,enable_time,start_time,end_time,resource\n"
    "1,A,2024-01-07 23:00:00,2024-01-08 09:30:00,2024-01-08 10:00:00,r1\n"
    "1,B,2024-01-08 10:00:00,2024-01-08 10:15:00,2024-01-08 11:00:00,r1\n"
    "2,A,2024-01-08 10:00:00,2024-01-08 10:30:00,2024-01-08 11:00:00,r2\n"
    "3,A,2024-01-09 08:00:00,2024-01-09 08:00:00,2024-01-09 09:00:00,r1\n"
    "3,B,2024-01-09 09:00:00,2024-01-09 12:00:00,2024-01-09 13:00:00,r2\n"
)
# arrival -> last end, by hand: 23:00 -> 11:00 next day, 10:00 -> 11:00, 08:00 -> 13:00
DURATIONS = {"1": 12 * 3600.0, "2": 3600.0, "3": 5 * 3600.0}


@pytest.fixture
def log(tmp_path: Path) -> so.EventLog:
    path = tmp_path / "enabled.csv"
    path.write_text(ROWS)
    return so.read_log(path)


@pytest.fixture
def plain(tmp_path: Path) -> so.EventLog:
    """The same log without its enablement column."""
    path = tmp_path / "plain.csv"
    path.write_text(
        "\n".join(
            ",".join(c for k, c in enumerate(line.split(",")) if k != 2)
            for line in ROWS.splitlines()
        )
    )
    return so.read_log(path)


def test_the_fragment_falls_back_to_the_first_start_without_enablement():
    assert case_arrival({}) == f"min({BEGIN})"
    assert case_arrival({"enabled_timestamp": "VARCHAR"}) == f"min({BEGIN})"
    assert '"enable_time"' in case_arrival({"enable_time": "TIMESTAMP WITH TIME ZONE"})


def test_info_and_span_start_at_the_first_enablement(log, plain):
    assert log.attributes["enabled_timestamp"].startswith("TIMESTAMP")
    assert log.info().start == datetime(2024, 1, 7, 23, tzinfo=UTC)
    assert log_span(log, "UTC") == (datetime(2024, 1, 7, 23), datetime(2024, 1, 9, 13))
    assert plain.info().start == datetime(2024, 1, 8, 9, 30, tzinfo=UTC)
    assert log_span(plain, "UTC")[0] == datetime(2024, 1, 8, 9, 30)


def test_arrivals_per_day_count_the_enablement_day(log, plain):
    s = so.forecast.arrival_counts(log, interval="1d", timezone="UTC")
    assert s.start == datetime(2024, 1, 7)
    assert s.counts.tolist() == [1.0, 1.0, 1.0]
    p = so.forecast.arrival_counts(plain, interval="1d", timezone="UTC")
    assert p.start == datetime(2024, 1, 8)
    assert p.counts.tolist() == [2.0, 1.0]


def test_overview_weeks_count_the_enablement_week(log, plain):
    html = overview.build(ReportContext(log=log)).html
    assert "2024-01-01 (partial): 1" in html  # ISO week of Sunday 7 January
    assert "2024-01-08: 2" in html
    html = overview.build(ReportContext(log=plain)).html
    assert "2024-01-01" not in html
    assert "2024-01-08: 3" in html


def test_case_durations_agree_and_start_at_arrival(log, plain):
    durations = so.mining.case_durations(log)
    assert (
        dict(
            zip(
                durations.column("case_id").to_pylist(),
                durations.column("duration_s").to_pylist(),
                strict=True,
            )
        )
        == DURATIONS
    )
    lead = so.kpi.case_metrics(log).column("lead_time_s").to_pylist()
    assert sorted(lead) == sorted(DURATIONS.values())
    assert case_totals(log).lead_s == sum(DURATIONS.values())
    assert case_totals(plain).lead_s == (1.5 + 0.5 + 5) * 3600  # first start -> end
    # the feedback drivers' duration feature: 12 h for case 1 only (> 8 h)
    features = case_features(log, wait_hours=8).to_pylist()
    assert {f["case_id"]: f["duration > 8h"] for f in features} == {
        "1": True,
        "2": False,
        "3": False,
    }
    assert not any(
        f["duration > 8h"] for f in case_features(plain, wait_hours=8).to_pylist()
    )


def test_a_simulated_log_starts_its_cases_at_their_arrival():
    # M/M/10 at utilisation 0.95: most cases queue before Serve, so the arrival
    # (enabled_timestamp) precedes the first start; the kernel's cycle time is the parity
    run = so.sim.simulate(EXAMPLES / "mmc.yaml", cases=400, seed=3)
    log = run.log
    arrived, queued = log.fetchone(
        "SELECT min(enabled_timestamp), "
        "count(*) FILTER (WHERE enabled_timestamp < start_timestamp) FROM instances"
    )
    assert queued > 100
    assert log.info().start == arrived
    durations = so.mining.case_durations(log).column("duration_s").to_pylist()
    assert sum(durations) / len(durations) == pytest.approx(
        run.kpis.mean_cycle_time_s, abs=1e-5
    )
    assert case_totals(log).lead_s == pytest.approx(sum(durations), abs=1e-3)
    counts = so.forecast.arrival_counts(log, interval="15m", timezone="UTC")
    assert counts.start == arrived.replace(tzinfo=None, second=0, microsecond=0)
    assert counts.counts.sum() == 400
