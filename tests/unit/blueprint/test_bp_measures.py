"""Overlay and value stream on hand-countable logs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

import servops as so
from servops.blueprint import parse_blueprint
from servops.blueprint.overlay import heat, overlay
from servops.blueprint.valuestream import value_stream
from servops.errors import InvalidParameterError
from tests.unit.blueprint._logs import KNOWN_STD, make_log, seq

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)


def _timed_log():
    """Two cases with start and end times (minutes after T0)."""
    rows = [  # case, activity, start, end, resource
        ("1", "A", 0, 10, "x"),
        ("1", "B", 30, 60, "y"),
        ("1", "C", 60, 70, "y"),
        ("2", "A", 0, 10, "x"),
        ("2", "B", 20, 30, "x"),
        ("2", "B", 50, 80, "y"),
        ("2", "C", 100, 120, "y"),
    ]
    t = pa.table(
        {
            "case_id": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "start": pa.array(
                [T0 + timedelta(minutes=r[2]) for r in rows],
                pa.timestamp("us", tz="UTC"),
            ),
            "end": pa.array(
                [T0 + timedelta(minutes=r[3]) for r in rows],
                pa.timestamp("us", tz="UTC"),
            ),
            "resource": [r[4] for r in rows],
        }
    )
    return so.EventLog.from_arrow(
        t,
        columns=so.ColumnMap(
            "case_id", "activity", "end", start_timestamp="start", resource="resource"
        ),
    )


VA = """
name: timed
steps:
  - {id: a, name: A, lane: customer, activities: [A]}
  - {id: b, name: B, lane: frontstage, activities: [B], value_adding: true}
  - {id: c, name: C, lane: backstage, activities: [C]}
"""


def test_value_stream_by_hand():
    log = _timed_log()
    assert log.has_start_times
    vs = value_stream(log, parse_blueprint(VA))
    steps = {s.step: s for s in vs.steps}
    # case 1 lasts 70 min, case 2 lasts 120 min
    assert vs.lead_s == 190 * 60
    # B: first occurrences take 30 + 10 min; the repeat (50-80, after 30) is rework
    assert steps["b"].value_adding_s == 40 * 60
    assert steps["b"].rework_s == 50 * 60
    # waiting before first B: 20 min (case 1) + 10 min (case 2)
    assert steps["b"].waiting_s == 30 * 60
    # handovers: case 1 x→y at B; case 2 x→y at second B
    assert steps["b"].handovers == 2 and steps["c"].handovers == 0
    assert vs.pce == pytest.approx(40 / 190)
    assert sum(s.lead_s for s in vs.steps) == pytest.approx(vs.lead_s)
    assert vs.processing_basis == "start_timestamps"


def test_value_stream_without_start_times_uses_work_time_or_says_unknown():
    log = make_log({"1": ["A", "B", "C"], "2": ["A", "B", "X"]})
    bp = parse_blueprint(VA)
    vs = value_stream(log, bp)
    assert vs.pce is None and "cannot be measured" in vs.notes[0]
    assert vs.steps[-1].step == "(unmapped)"
    assert sum(s.lead_s for s in vs.steps) == pytest.approx(vs.lead_s)
    bp2 = parse_blueprint(
        VA.replace("value_adding: true}", "value_adding: true, work_time: 15 min}")
    )
    vs2 = value_stream(log, bp2)
    assert vs2.value_adding_s == 2 * 15 * 60
    assert vs2.pce == pytest.approx(1800 / vs2.lead_s)


def test_overlay_metrics_and_hot_spots():
    log = make_log(KNOWN_STD)
    bp = parse_blueprint(
        VA.replace("activities: [C]}", "activities: [C], standard: within 2 h}")
    )
    freq = overlay(log, bp, "frequency")
    assert freq.steps["a"].share == pytest.approx(5 / 6)
    assert freq.steps["b"].rework_cases == 1 and freq.steps["b"].hot_rework
    std = overlay(log, bp, "standard")
    assert std.steps["c"].attainment == pytest.approx(0.5)
    assert std.steps["c"].breaches == 2 and std.steps["c"].hot_breach
    assert std.steps["c"].colour == "#fecaca"
    assert std.steps["a"].label == ""
    wait = overlay(log, bp, "waiting")
    # five B's come 1 h after the event before them; c7's B opens its case (0 s)
    assert wait.steps["b"].mean_wait_s == pytest.approx(5 * 3600 / 6)
    assert wait.to_dict()["metric"] == "waiting"


def test_overlay_bad_metric():
    with pytest.raises(InvalidParameterError, match="'metric' parameter of overlay"):
        overlay(make_log({"1": ["A"]}), seq(), "speed")  # type: ignore[arg-type]


def test_heat_loses_green_as_it_grows():
    greens = [int(heat(t / 10)[3:5], 16) for t in range(11)]
    assert greens == sorted(greens, reverse=True)
    assert heat(-1) == heat(0) and heat(2) == heat(1)
