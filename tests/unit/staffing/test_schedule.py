"""Per-interval requirements and shift scheduling (HiGHS)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta

import numpy as np
import pytest

from servops.errors import ConfigError, InvalidParameterError
from servops.staffing import (
    Break,
    ShiftTemplate,
    agents_for_target,
    read_shift_templates,
    schedule_shifts,
    service_level,
    staffing_requirements,
)

HOURS = tuple(timedelta(hours=h) for h in range(24))


def test_requirements_match_scalar_staffing():
    calls = [100, 50, 0, 3.5, 400]
    plan = staffing_requirements(
        calls, interval=1800, aht=180, service_level=0.8, threshold=20, shrinkage=0.3
    )
    for i, c in enumerate(calls):
        r = agents_for_target(
            c, interval=1800, aht=180, service_level=0.8, threshold=20, shrinkage=0.3
        )
        assert plan["agents"][i] == r.agents
        assert plan["agents_on_queue"][i] == r.agents_on_queue
        assert plan["service_level"][i] == pytest.approx(r.service_level)
    assert plan["agents"].tolist()[:3] == [20, 12, 0]
    d = plan.to_dict()
    assert d["peak_agents"] == int(plan["agents"].max())
    assert d["rows"][0]["agents"] == 20


def test_requirements_erlang_a_match_scalar():
    calls = np.array([100.0, 10.0, 250.0])
    plan = staffing_requirements(
        calls,
        interval=1800,
        aht=[180, 240, np.nan],
        service_level=0.8,
        threshold=20,
        patience=90,
    )
    for i, (c, h) in enumerate(zip(calls, [180, 240, 210], strict=True)):
        r = agents_for_target(
            c, interval=1800, aht=h, service_level=0.8, threshold=20, patience=90
        )
        assert plan["agents"][i] == r.agents
        assert plan["p_abandon"][i] == pytest.approx(r.p_abandon)


def test_requirements_bad_input():
    with pytest.raises(InvalidParameterError, match="finite numbers >= 0"):
        staffing_requirements(
            [1, -2], interval=1800, aht=180, service_level=0.8, threshold=20
        )
    with pytest.raises(InvalidParameterError, match="one per interval"):
        staffing_requirements(
            [1, 2], interval=1800, aht=[180], service_level=0.8, threshold=20
        )


def test_schedule_covers_hand_example():
    tpl = [ShiftTemplate("4h", timedelta(hours=4), HOURS)]
    req = [0] * 8 + [2] * 4 + [3] * 4 + [0] * 8
    s = schedule_shifts(
        req, start=datetime(2024, 1, 8), interval=timedelta(hours=1), templates=tpl
    )
    # 2 shifts 08-12, 3 shifts 12-16: cost 5 x 4 h, no over- or under-staffing.
    assert s.status == "Optimal"
    assert s.total_cost == 20.0
    assert s.over.sum() == 0 and s.under.sum() == 0
    assert sorted((sh.start.hour, sh.count) for sh in s.shifts) == [(8, 2), (12, 3)]


def test_schedule_breaks_and_over_staffing_reported():
    # One 3 h shift with a 1 h break in hour 2: one agent cannot cover 3 straight hours.
    tpl = [
        ShiftTemplate(
            "3h",
            timedelta(hours=3),
            HOURS,
            breaks=(Break(timedelta(hours=1), timedelta(hours=1), timedelta(hours=1)),),
        )
    ]
    req = [0, 1, 1, 1, 0, 0]
    s = schedule_shifts(
        req, start=datetime(2024, 1, 8), interval=timedelta(hours=1), templates=tpl
    )
    assert s.under.sum() == 0
    assert (s.scheduled >= np.array(req)).all()
    assert s.over.sum() >= 1  # breaks force some over-staffing
    assert all(len(sh.breaks) == 1 for sh in s.shifts)
    assert s.total_cost == pytest.approx(2 * 2.0 * sum(sh.count for sh in s.shifts) / 2)


def test_schedule_cap_leaves_under_staffing():
    tpl = [ShiftTemplate("4h", timedelta(hours=4), HOURS, max_shifts=1)]
    s = schedule_shifts(
        [2, 2, 2, 2],
        start=datetime(2024, 1, 8),
        interval=timedelta(hours=1),
        templates=tpl,
    )
    assert s.under.tolist() == [1.0, 1.0, 1.0, 1.0]
    assert s.to_dict()["intervals_under"] == 4
    assert s.notes


def test_schedule_wrap_covers_across_the_end():
    tpl = [ShiftTemplate("night", timedelta(hours=4), (timedelta(hours=22),))]
    req = [1, 1, 0, 0] + [0] * 18 + [1, 1]
    s = schedule_shifts(
        req,
        start=datetime(2024, 1, 8),
        interval=timedelta(hours=1),
        templates=tpl,
        wrap=True,
    )
    assert s.under.sum() == 0
    assert s.total_cost == 4.0


def _week_calls(per_day: int, days: int) -> np.ndarray:
    t = np.arange(per_day * days)
    tod = (t % per_day) / per_day
    return np.where(
        (tod > 0.3) & (tod < 0.8), 60 * np.sin(np.pi * (tod - 0.3) / 0.5) + 5, 2.0
    ) * np.where(t // per_day < 5, 1, 0.4)


def test_schedule_two_days_of_30_minute_intervals_near_bound():
    calls = _week_calls(48, 2)
    plan = staffing_requirements(
        calls, interval=1800, aht=300, service_level=0.8, threshold=20, shrinkage=0.3
    )
    s = schedule_shifts(
        plan["agents"],
        start=datetime(2024, 1, 8),
        interval=timedelta(minutes=30),
        time_limit=10,
    )
    assert s.under.sum() == 0
    assert s.total_cost <= 1.05 * plan["agents"].sum() / 2


@pytest.mark.slow
def test_schedule_week_of_15_minute_intervals_near_lp_bound():
    t = np.arange(672)
    tod = (t % 96) / 96
    calls = np.where(
        (tod > 0.3) & (tod < 0.8), 60 * np.sin(np.pi * (tod - 0.3) / 0.5) + 5, 2.0
    ) * np.where(t // 96 < 5, 1, 0.4)
    plan = staffing_requirements(
        calls, interval=900, aht=300, service_level=0.8, threshold=20, shrinkage=0.3
    )
    s = schedule_shifts(
        plan["agents"],
        start=datetime(2024, 1, 8),
        interval=timedelta(minutes=15),
        time_limit=20,
    )
    assert s.under.sum() == 0
    # Within 2 % of the paid hours needed (a lower bound on any schedule's cost).
    assert s.total_cost <= 1.05 * plan["agents"].sum() / 4
    assert s.mip_gap <= 0.011


def test_read_templates_errors(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("shifts:\n  - name: x\n    length: 8h\n")
    with pytest.raises(ConfigError, match="missing 'starts'"):
        read_shift_templates(p)
    p.write_text("shifts:\n  - name: x\n    length: 8h\n    starts: [25:00]\n")
    with pytest.raises(ConfigError, match="within 00:00-23:59"):
        read_shift_templates(p)
    p.write_text(
        "shifts:\n  - name: x\n    length: 8h\n    starts: [08:00]\n    lenght: 3\n"
    )
    with pytest.raises(ConfigError, match="unknown key"):
        read_shift_templates(p)


def test_schedule_bad_input():
    with pytest.raises(InvalidParameterError, match="non-empty"):
        schedule_shifts([], start=datetime(2024, 1, 8), interval=timedelta(hours=1))
    tpl = [ShiftTemplate("long", timedelta(hours=30), HOURS)]
    with pytest.raises(InvalidParameterError, match="no shift template fits"):
        schedule_shifts(
            [1, 1],
            start=datetime(2024, 1, 8),
            interval=timedelta(hours=1),
            templates=tpl,
        )


def test_predicted_and_simulated_service_level():
    from servops.staffing import predicted_service_level, simulate_staffing

    calls = np.array([40.0, 120.0, 40.0])
    agents = np.array([7, 16, 7])
    pred = predicted_service_level(calls, agents, interval=1800, aht=180, threshold=20)
    assert pred[1] == pytest.approx(service_level(16, 12.0, aht=180, threshold=20))
    assert predicted_service_level(
        [100.0], [10], interval=1800, aht=180, threshold=20
    ).tolist() == [0.0]  # load 10 on 10 agents
    table = simulate_staffing(
        calls, agents, interval=1800, aht=180, threshold=20, runs=3, seed=1
    )
    assert table.num_rows == 3
    assert table.column("erlang_service_level").to_pylist() == pytest.approx(
        pred.tolist()
    )
    sim = table.column("simulated_service_level").to_pylist()
    assert all(0 <= s <= 1 for s in sim)
    offered = table.column("simulated_offered").to_pylist()
    assert offered[1] == pytest.approx(120, rel=0.2)


def test_schedule_prints_no_solver_banner():
    # highspy prints "Running HiGHS ..." from C++ when the first solver of a process is
    # built; servops demo must not show it. A fresh process, so the banner is due.
    code = (
        "from datetime import datetime, timedelta\n"
        "from servops.staffing import ShiftTemplate, schedule_shifts\n"
        "s = schedule_shifts([1, 2, 2, 1], start=datetime(2024, 1, 1, 8),\n"
        "    interval=timedelta(hours=1),\n"
        "    templates=[ShiftTemplate('t', timedelta(hours=2), (timedelta(hours=8),))])\n"
        "print('shifts', sum(x.count for x in s.shifts))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "HiGHS" not in out.stdout + out.stderr
    assert out.stdout.strip().startswith("shifts ")


def test_agents_on_queue_after_shrinkage():
    sched = schedule_shifts(
        [1, 2, 2, 1],
        start=datetime(2024, 1, 1, 8),
        interval=timedelta(hours=1),
        templates=[
            ShiftTemplate(
                "t", timedelta(hours=2), (timedelta(hours=8), timedelta(hours=10))
            )
        ],
    )
    assert sched.scheduled.tolist() == [2, 2, 2, 2]
    assert sched.agents_on_queue(0.3).tolist() == [1, 1, 1, 1]
    assert sched.agents_on_queue().tolist() == [2, 2, 2, 2]


def test_read_requirements(tmp_path):
    from servops.staffing import read_requirements

    f = tmp_path / "req.csv"
    f.write_text(
        "interval_start,agents\n2024-01-08 09:30,3\n2024-01-08 09:00,2\n"
        "2024-01-08 10:00,4\n"
    )
    req = read_requirements(f)
    assert req.start == datetime(2024, 1, 8, 9)
    assert req.interval_s == 1800.0
    assert req.required.tolist() == [2.0, 3.0, 4.0]
    one = tmp_path / "one.csv"
    one.write_text("interval_start,required\n2024-01-08 09:00,2\n")
    assert read_requirements(one, interval_s=900).interval_s == 900.0
    with pytest.raises(InvalidParameterError, match="single row"):
        read_requirements(one)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("interval_start,agents\n2024-01-08 09:00,2\nsoon,3\n", "row 3: 'soon'"),
        ("interval_start,agents\n2024-01-08 09:00,2\n2024-01-08 09:00,3\n", "twice"),
        ("when,agents\n2024-01-08 09:00,2\n", "needs the columns"),
        ("interval_start,agents\n2024-01-08 09:00,two\n", "numbers of agents"),
    ],
)
def test_read_requirements_bad_input(tmp_path, text, match):
    from servops.staffing import read_requirements

    f = tmp_path / "req.csv"
    f.write_text(text)
    with pytest.raises(InvalidParameterError, match=match):
        read_requirements(f)
