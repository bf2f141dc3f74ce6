"""Cost model and saving per month: hand numbers, one definition of work time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pyarrow as pa
import pytest

import servops as so
from servops.errors import ConfigError, InvalidParameterError
from servops.improve.cost import (
    DAYS_PER_MONTH,
    CostModel,
    case_costs,
    cost_model_from_dict,
    cost_saving,
    load_cost_model,
)

if TYPE_CHECKING:
    from pathlib import Path

T0 = datetime(2026, 3, 2, tzinfo=UTC)
CHANGE = datetime(2026, 3, 10, tzinfo=UTC)
KPI = """\
timezone: UTC
activities: {first_response: Work, resolved: [Work], closed: Closed}
sla:
  - {name: std, resolution: 3h}
"""
MODEL = CostModel(
    per_agent_hour=40, per_ticket=5, per_breach=100, per_waiting_hour=2, currency="EUR"
)


def _log(cases):
    """(case, arrival day, wait h, work h) -> created, Work (timed), Closed."""
    rows: dict[str, list[object]] = {
        k: [] for k in ("case_id", "activity", "start_timestamp", "timestamp")
    }
    for cid, day, wait, work in cases:
        a = T0 + timedelta(days=day)
        s = a + timedelta(hours=wait)
        e = s + timedelta(hours=work)
        for act, st, en in (("Created", a, a), ("Work", s, e), ("Closed", e, e)):
            rows["case_id"].append(cid)
            rows["activity"].append(act)
            rows["start_timestamp"].append(st)
            rows["timestamp"].append(en)
    return so.read_log(pa.table(rows))


CASES = [
    # before the change (day 8)
    ("A", 0, 0.5, 1.0),  # 5 + 40·1 + 2·1.5 = 48
    ("B", 1, 3.0, 2.0),  # resolved after 5 h > 3 h: 5 + 80 + 100 + 2·5 = 195
    ("C", 2, 0.5, 1.0),  # 48
    # after
    ("D", 9, 0.5, 0.5),  # 5 + 20 + 2·1 = 27
    ("E", 10, 0.5, 1.0),  # 48
    ("F", 11, 0.5, 0.5),  # 27
]


@pytest.fixture
def kpi(tmp_path: Path) -> Path:
    p = tmp_path / "kpi.yaml"
    p.write_text(KPI, encoding="utf-8")
    return p


def test_case_costs_by_hand(kpi):
    t = case_costs(_log(CASES), MODEL, config=kpi).sort_by("case_id")
    assert t.column("work_h").to_pylist() == pytest.approx([1, 2, 1, 0.5, 1, 0.5])
    assert t.column("breached").to_pylist() == [False, True, False, False, False, False]
    assert t.column("cost").to_pylist() == pytest.approx([48, 195, 48, 27, 48, 27])


def test_saving_per_month_by_hand(kpi):
    r = cost_saving(_log(CASES), MODEL, CHANGE.date(), config=kpi, seed=1)
    assert r.before_per_case == pytest.approx(97.0)  # (48 + 195 + 48) / 3
    assert r.after_per_case == pytest.approx(34.0)  # (27 + 48 + 27) / 3
    # 3 arrivals from the change (day 8) to the last arrival (day 11): 3 days
    assert r.cases_per_month == pytest.approx(3 / 3 * DAYS_PER_MONTH)
    assert r.saving_per_month is not None and r.difference is not None
    assert r.difference.estimate == pytest.approx(-63.0)
    assert r.saving_per_month.estimate == pytest.approx(63.0 * DAYS_PER_MONTH)
    # the interval is the per-case bootstrap interval scaled by the volume
    assert r.saving_per_month.low == pytest.approx(-r.difference.high * DAYS_PER_MONTH)
    assert r.saving_per_month.high == pytest.approx(-r.difference.low * DAYS_PER_MONTH)
    assert "saves 1,918 EUR a month" in r.summary
    net = cost_saving(
        _log(CASES),
        MODEL,
        CHANGE.date(),
        config=kpi,
        seed=1,
        running_cost_per_month=500,
    ).net_per_month
    assert net is not None
    assert net.estimate == pytest.approx(63.0 * DAYS_PER_MONTH - 500)


def test_work_hours_are_value_streams_processing_time(kpi):
    log = _log(CASES)
    t = case_costs(log, MODEL, config=kpi)
    mean_h = sum(t.column("work_h").to_pylist()) / t.num_rows
    vs = so.mining.value_stream(log)
    assert mean_h * 3600 == pytest.approx(vs.processing_time_mean_s, rel=1e-12)


def test_open_cases_are_counted_not_costed(kpi):
    log = _log([*CASES[:3], *CASES[3:]])
    open_case = so.read_log(
        pa.concat_tables(
            [
                log.to_arrow("events").select(
                    ["case_id", "activity", "start_timestamp", "timestamp"]
                ),
                pa.table(
                    {
                        "case_id": ["G"],
                        "activity": ["Created"],
                        "start_timestamp": [T0 + timedelta(days=11, hours=1)],
                        "timestamp": [T0 + timedelta(days=11, hours=1)],
                    }
                ).cast(
                    log.to_arrow("events")
                    .select(["case_id", "activity", "start_timestamp", "timestamp"])
                    .schema
                ),
            ]
        )
    )
    r = cost_saving(open_case, MODEL, CHANGE.date(), config=kpi, seed=1)
    assert r.unmeasured == 1
    assert r.after_cases == 3
    assert any(
        "no cost yet" in n and "(0 before, 1 after the change)" in n for n in r.notes
    )


def test_model_yaml_errors(tmp_path):
    p = tmp_path / "cost.yaml"
    p.write_text("cost:\n  per_agent_hour: 38\n  per_breach: -5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"cost\.per_breach \(.*cost\.yaml, line 3\)"):
        load_cost_model(p)
    p.write_text("cost:\n  per_hour: 38\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key"):
        load_cost_model(p)
    with pytest.raises(ConfigError, match="at least one"):
        cost_model_from_dict({"cost": {"currency": "EUR"}})


def test_unknown_segment(kpi):
    with pytest.raises(InvalidParameterError, match="Attributes of this log"):
        cost_saving(_log(CASES), MODEL, CHANGE, config=kpi, segment={"team": "L2"})


def _day_log(seed: int):
    """20 days before and 20 after the change (day 20), 10 cases a day; each day's cases
    all wait the same hours (a queue's day), drawn alike on both sides: no change."""
    import numpy as np

    rng = np.random.default_rng(seed)
    waits = rng.gamma(2.0, 2.0, 40)
    cases = [
        (f"c{d:02d}-{i}", d + i / 20, float(waits[d]), 1.0)
        for d in range(40)
        for i in range(10)
    ]
    return _log(cases)


def test_saving_interval_resamples_days_not_cases(kpi):
    """Cases of one day share its queue: resampling cases one by one takes 400 values
    for 400 independent ones, when there are 40 days' worth. Under no change the case
    interval calls a saving (it excludes 0); day blocks, as before_after uses, do not.
    Over seeds 0-39 of this no-change log (seed s for the log and the resampling) the
    case interval excluded 0 in 19 of 40, the day-block one (whole weeks, about 3 a
    side, so widened) in 5 of 40 (in 4 with the blocks of sessions 24-25, 2-3 days
    starting on any day). Seed 5 is the first where the case interval excludes 0 and
    the day one does not."""
    import numpy as np

    model = CostModel(per_waiting_hour=10.0, currency="EUR")
    at = datetime(2026, 3, 22, tzinfo=UTC)  # day 20
    log = _day_log(seed=5)
    by_case = cost_saving(log, model, at, config=kpi, seed=5, dependence="none")
    by_day = cost_saving(log, model, at, config=kpi, seed=5)
    assert by_case.saving_per_month is not None and by_day.saving_per_month is not None
    assert by_case.method.startswith("bca")
    assert by_day.method.startswith("block-percentile")
    assert by_case.saving_per_month.estimate == pytest.approx(
        by_day.saving_per_month.estimate
    )
    assert not by_case.saving_per_month.low <= 0 <= by_case.saving_per_month.high
    assert by_day.saving_per_month.low <= 0 <= by_day.saving_per_month.high
    width = np.diff([by_day.saving_per_month.low, by_day.saving_per_month.high])
    assert width > 2 * np.diff(
        [by_case.saving_per_month.low, by_case.saving_per_month.high]
    )
    assert by_day.to_dict()["dependence"] == "day"
