"""Planning a before/after comparison: days a side for the day-block interval."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pytest
from scipy import stats
from typer.testing import CliRunner

import servops as so
import servops.demo
from servops.cli.main import app
from servops.demo.generator import generate_service_desk
from servops.errors import InvalidParameterError
from servops.improve import (
    DayBaseline,
    before_after,
    day_baseline,
    plan_before_after,
    power_proportions,
    sample_size_proportions,
)
from servops.improve.beforeafter import MIN_BLOCKS
from servops.kpi.cases import case_metrics, resolve_config

KPI_YAML = str(Path(servops.demo.__file__).parent / "kpi.yaml")
RATE = DayBaseline("rate", 0.14, math.sqrt(0.14 * 0.86), 60.0)
runner = CliRunner()


def _hand_power(days: int, cases_per_day: float, deff: float = 1.0) -> float:
    # 1-day blocks: K = days, and the expanded quantile times sqrt((D - 1) / D) is
    # Student's t with D - 1 degrees of freedom
    n = days * cases_per_day
    se = math.sqrt(deff * (0.14 * 0.86 + 0.09 * 0.91) / n)
    t = stats.t.ppf(0.975, days - 1)
    return float(stats.norm.cdf(0.05 / se - t) + stats.norm.cdf(-0.05 / se - t))


def test_power_by_hand_with_one_day_blocks():
    plan = plan_before_after(RATE, -0.05, days=11, block=1)
    # se = sqrt((0.1204 + 0.0819) / 660) = 0.01751; t_10 = 2.228
    assert plan.power == pytest.approx(_hand_power(11, 60.0), abs=1e-9)
    assert plan.power == pytest.approx(0.735, abs=0.001)
    assert (plan.binding, plan.cases, plan.blocks, plan.p_widened) == (
        "given",
        660,
        11.0,
        0.0,
    )
    # the fewest days with 1-day blocks: 12 fall short, 13 reach 0.8
    best = plan_before_after(RATE, -0.05, block=1)
    assert best.days == 13 and best.binding == "power"
    assert _hand_power(12, 60.0) < 0.8 <= _hand_power(13, 60.0)


def test_case_by_case_limit():
    # few cases a day, so many days: the t quantile tends to z and the cases a side
    # to sample_size_proportions' n (unpooled vs pooled variance: about 1 % apart)
    plan = plan_before_after(replace_cases(RATE, 5.0), -0.05, block=1)
    n = sample_size_proportions(0.14, 0.09).n_control
    assert plan.case_by_case == n
    assert plan.days > 100
    assert n <= plan.cases <= 1.02 * n


def replace_cases(base: DayBaseline, cases_per_day: float) -> DayBaseline:
    return DayBaseline(base.kind, base.mean, base.sd, cases_per_day)


def test_design_effect_scales_the_cases():
    one = plan_before_after(replace_cases(RATE, 5.0), -0.05, block=1)
    two = plan_before_after(
        DayBaseline("rate", 0.14, RATE.sd, 5.0, design_effect=2.0), -0.05, block=1
    )
    assert two.design_effect == 2.0
    assert 1.9 < two.cases / one.cases < 2.1
    # a day-to-day correlation inflates the variance by (1 + phi) / (1 - phi)
    corr = DayBaseline("rate", 0.14, RATE.sd, 5.0, day_correlation=1 / 3)
    assert plan_before_after(corr, -0.05, block=1).design_effect == pytest.approx(2)


def test_min_blocks_binds_with_many_cases_a_day():
    plan = plan_before_after(replace_cases(RATE, 1000.0), -0.05, block=1)
    assert (plan.days, plan.binding) == (MIN_BLOCKS, "min_blocks")
    assert plan.power > 0.99
    # with 3-day blocks 10 blocks take 30 days
    three = plan_before_after(replace_cases(RATE, 1000.0), -0.05, block=3)
    assert (three.days, three.blocks, three.p_widened) == (30, 10.0, 0.0)


def test_drawn_block_lengths_cost_days():
    drawn = plan_before_after(RATE, -0.05)
    fixed = plan_before_after(RATE, -0.05, block=1)
    # before_after's blocks are whole weeks (the rule's length rounded up): one week
    # on independent days, so MIN_BLOCKS weeks, far more days than 1-day blocks need
    assert drawn.days > fixed.days
    assert (drawn.days, drawn.block, drawn.binding) == (7 * MIN_BLOCKS, 7, "min_blocks")
    assert drawn.p_widened <= 0.5
    assert drawn.power >= 0.8
    # at the case-by-case plan's 11 days every draw leaves < 10 blocks: the interval
    # is widened to the case-resampling one, whose power is the case-by-case power
    short = plan_before_after(RATE, -0.05, days=11)
    assert short.p_widened == 1.0 and short.block == 7
    assert short.power == pytest.approx(
        power_proportions(660, 660, 0.14, 0.09), abs=0.03
    )
    # seeded: the same plan again
    assert plan_before_after(RATE, -0.05) == drawn


def test_power_rises_with_days():
    powers = [plan_before_after(RATE, -0.05, days=d).power for d in (10, 20, 40)]
    assert powers == sorted(powers) and powers[-1] > 0.99


def test_means_plan():
    base = DayBaseline("mean", 36000.0, 7200.0, 40.0)
    plan = plan_before_after(base, 1800.0, block=1)
    assert plan.power >= 0.8 and plan.case_by_case == 252
    assert plan.cases >= plan.case_by_case


def test_bad_plans():
    with pytest.raises(InvalidParameterError, match="'effect' parameter"):
        plan_before_after(RATE, 0.0)
    with pytest.raises(InvalidParameterError, match=r"inside \(0, 1\)"):
        plan_before_after(RATE, -0.2)
    with pytest.raises(InvalidParameterError, match="'power' parameter"):
        plan_before_after(RATE, -0.05, power=1.5)
    with pytest.raises(InvalidParameterError, match="'days' parameter"):
        plan_before_after(RATE, -0.05, days=1)
    with pytest.raises(InvalidParameterError, match="'max_days' parameter"):
        plan_before_after(replace_cases(RATE, 0.5), -0.01, block=1, max_days=50)


@pytest.fixture(scope="module")
def demo():
    data = generate_service_desk(cases=1500, seed=11, improve_at="midway")
    assert data.improved_at is not None
    return so.read_log(data.events), data.improved_at


def test_day_baseline_reads_the_days_before(demo):
    log, at = demo
    base = day_baseline(log, "reopened", until=at, config=KPI_YAML)
    ba = before_after(log, at, "reopened", config=KPI_YAML, mix=[])
    # the same cases as before_after's before side
    assert base.mean == pytest.approx(ba.before.value)
    rs = ba.resampling
    assert rs is not None and base.days == rs.periods_before
    assert base.cases_per_day == pytest.approx(ba.before.measured / base.days)
    assert base.sd == pytest.approx(math.sqrt(base.mean * (1 - base.mean)))
    # design effect recomputed from the daily sums: s_u^2 / (m p (1 - p))
    cases = case_metrics(log, resolve_config(KPI_YAML, log))
    arrived = cases.column("arrived_at").to_pylist()
    flags = cases.column("reopened").to_pylist()
    days: dict[object, list[float]] = {}
    for t, f in zip(arrived, flags, strict=True):
        if t < at and f is not None:
            days.setdefault(t.date(), []).append(float(f))
    m = np.array([len(v) for v in days.values()], dtype=float)
    y = np.array([sum(v) for v in days.values()])
    p = y.sum() / m.sum()
    s2 = ((y - p * m) ** 2).sum() / (m.size - 1)
    assert base.design_effect == pytest.approx(s2 / (m.mean() * p * (1 - p)))
    assert 0.0 <= base.day_correlation <= 0.9
    assert base.weekday_shares is not None
    assert sum(base.weekday_shares) == pytest.approx(1.0)
    # the demo desk is busy on weekdays, nearly empty at weekends
    assert min(base.weekday_shares[:5]) > 2 * max(base.weekday_shares[5:])


def test_day_baseline_durations_and_bad_input(demo):
    log, at = demo
    base = day_baseline(log, "lead_time", until=at, config=KPI_YAML)
    assert base.kind == "mean" and base.mean > 0 and base.sd > 0
    with pytest.raises(InvalidParameterError, match="'metric' parameter"):
        day_baseline(log, "nps", config=KPI_YAML)
    arrived = case_metrics(log, resolve_config(KPI_YAML, log)).column("arrived_at")
    first = min(arrived.to_pylist())
    with pytest.raises(InvalidParameterError, match="at least 3 days"):
        day_baseline(log, "reopened", until=first + timedelta(days=1), config=KPI_YAML)
    with pytest.raises(InvalidParameterError, match="attribute 'colour'"):
        day_baseline(log, "reopened", config=KPI_YAML, segment={"colour": "red"})


def test_day_baseline_of_a_segment_is_before_afters(demo):
    # the cases of one channel, as before_after compares them
    log, at = demo
    seg = {"channel": "email"}
    base = day_baseline(log, "reopened", until=at, config=KPI_YAML, segment=seg)
    ba = before_after(log, at, "reopened", config=KPI_YAML, mix=[], segment=seg)
    whole = day_baseline(log, "reopened", until=at, config=KPI_YAML)
    assert base.mean == pytest.approx(ba.before.value)
    assert base.cases_per_day == pytest.approx(ba.before.measured / base.days)
    assert base.cases_per_day < whole.cases_per_day


def test_sample_size_before_after_cli():
    res = runner.invoke(
        app,
        [
            "improve",
            "sample-size",
            "--p-control",
            "0.14",
            "--p-treatment",
            "0.09",
            "--cases-per-day",
            "60",
            "--days",
            "11",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["binding"] == "given" and out["days"] == 11
    assert out["power"] == pytest.approx(plan_before_after(RATE, -0.05, days=11).power)
    res = runner.invoke(
        app,
        [
            "improve",
            "sample-size",
            "--delta",
            "30min",
            "--sd",
            "2h",
            "--cases-per-day",
            "40",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "days a side" in res.stdout and "252 cases a side" in res.stdout


def test_plan_before_after_cli(tmp_path):
    path = tmp_path / "demo.csv"
    pacsv.write_csv(generate_service_desk(cases=900, seed=11).events, path)
    args = ["improve", "plan-before-after", str(path), "-m", "reopened", "-c", KPI_YAML]
    res = runner.invoke(app, [*args, "--effect", "-0.05", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    log = so.read_log(generate_service_desk(cases=900, seed=11).events)
    base = day_baseline(log, "reopened", config=KPI_YAML)
    assert out["baseline"]["days"] == base.days
    assert out["plan"] == plan_before_after(base, -0.05).to_dict()
    res = runner.invoke(app, [*args, "--effect", "-0.05", "--days", "14"])
    assert res.exit_code == 0 and "14 days a side" in res.stdout
    res = runner.invoke(
        app, [*args, "--effect", "-0.05", "--segment", "channel=email", "--json"]
    )
    assert res.exit_code == 0, res.output
    email = day_baseline(log, "reopened", config=KPI_YAML, segment={"channel": "email"})
    assert json.loads(res.stdout)["baseline"] == email.to_dict()
    res = runner.invoke(app, [*args, "--effect", "five points"])
    assert res.exit_code == 1 and "--effect of a rate" in res.stderr
