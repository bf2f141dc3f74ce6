"""The demo's twin is fit, honestly (issue 16).

Discovery takes a case's arrival from :func:`servops.log.schema.case_arrival` and
leaves out of the discovered delays what the twin recreates itself: the queue for a
pool (its members all busy in the log) and the pool's off-shift time. Before, the
demo's twin queued twice and waited for the morning after night-long delays drawn for
daytime tickets: median cycle time 1.2×, p90 1.4× the log's ("questionable").
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

import servops as so
from servops.demo.generator import generate_service_desk
from servops.sim import Model, discover_model
from servops.sim.discover import pool_queue
from servops.sim.run import simulate
from servops.sim.validate import VERDICT_RULES, validate_twin


def check(log: so.EventLog, model: Model, seed: int) -> tuple[str, dict[str, float]]:
    end = log.fetchone('SELECT max("timestamp") FROM events')[0]
    run = simulate(model, cases=log.n_cases(), until=end, seed=seed)
    r = validate_twin(log, run.log)
    ratios = {f.name: f.ratio for f in r.figures if f.ratio is not None}
    return r.verdict, ratios


def doubled_work(model: Model) -> Model:
    acts = {
        k: dataclasses.replace(a, duration=a.duration.scaled(2.0))
        for k, a in model.activities.items()
    }
    return dataclasses.replace(model, activities=acts)


@pytest.mark.slow
def test_the_demo_twin_is_fit_and_a_broken_one_unfit():
    # the log `servops demo` stores and the report's twin section discovers from
    demo = generate_service_desk(cases=3000, seed=7, improve_at="midway")
    log = so.EventLog.from_arrow(demo.events)
    model = discover_model(log, calendars=True)
    fit = VERDICT_RULES["fit_ratio"]
    runs = [check(log, model, seed) for seed in range(1, 6)]
    # over five runs (one run's p90 lies 1.15-1.20x: the L2 team is ~90 % busy)
    for name in ("median_cycle_time", "p90_cycle_time"):
        mid = float(np.median([ratios[name] for _, ratios in runs]))
        assert 1 / fit <= mid <= fit, (name, runs)
    assert [v for v, _ in runs].count("fit") >= 4, runs
    assert all(v != "unfit" for v, _ in runs), runs
    verdict, ratios = check(log, doubled_work(model), 1)
    assert verdict == "unfit", ratios
    assert ratios["median_cycle_time"] > VERDICT_RULES["unfit_ratio"]


def test_smaller_demo_twin_within_limits_and_doubled_work_unfit(demo_log, demo_twin):
    # 1,200 tickets, one run: noisier than the demo's 3,000 (p90 1.24x here)
    verdict, ratios = check(demo_log, demo_twin, 1)
    fit = VERDICT_RULES["fit_ratio"]
    assert 1 / fit <= ratios["median_cycle_time"] <= fit, ratios
    assert verdict != "unfit", ratios
    verdict, ratios = check(demo_log, doubled_work(demo_twin), 1)
    assert verdict == "unfit", ratios


def test_pool_queue_by_hand():
    # two members; work 0-10 and 0-20 (both busy 0-10), 30-40
    busy_from, busy_to = np.array([0.0, 0.0, 30.0]), np.array([10.0, 20.0, 40.0])
    # enabled at 5, started at 30: all busy only 5-10 -> 5 s of queue
    q = pool_queue(
        busy_from, busy_to, np.array([5.0]), np.array([30.0]), 2, np.array([25.0])
    )
    assert q.tolist() == [5.0]
    # one member: busy 0-40 except 20-30 -> from 5 to 35: 15 + 5 = 20 s
    q = pool_queue(
        busy_from, busy_to, np.array([5.0]), np.array([35.0]), 1, np.array([30.0])
    )
    assert q.tolist() == [20.0]
    # capped at the delay; no enablement (a case's first instance) or no wait: 0
    q = pool_queue(
        busy_from,
        busy_to,
        np.array([5.0, np.nan, 7.0]),
        np.array([35.0, 3.0, 7.0]),
        1,
        np.array([12.0, 0.0, 0.0]),
    )
    assert q.tolist() == [12.0, 0.0, 0.0]


def test_arrival_is_the_case_enablement():
    # each ticket is enabled (arrives) 2 h before its first activity starts
    t0 = datetime(2024, 1, 1, 9, tzinfo=UTC)  # a Monday
    rows: dict[str, list[object]] = {
        k: [] for k in ("case", "act", "ts", "enabled_timestamp")
    }
    for c in range(30):
        arrive = t0 + timedelta(hours=7 * c)
        for i, act in enumerate(("Register", "Close")):
            rows["case"].append(f"c{c}")
            rows["act"].append(act)
            rows["ts"].append(arrive + timedelta(hours=2 + i))
            rows["enabled_timestamp"].append(arrive if i == 0 else None)
    table = pa.table(
        {
            **{k: rows[k] for k in ("case", "act")},
            "ts": pa.array(rows["ts"], pa.timestamp("us", tz="UTC")),
            "enabled_timestamp": pa.array(
                rows["enabled_timestamp"], pa.timestamp("us", tz="UTC")
            ),
        }
    )
    log = so.EventLog.from_arrow(table, columns=so.ColumnMap("case", "act", "ts"))
    model = discover_model(log, calendars=False)
    # the model starts at the first arrival (its hour), not at the first event
    assert model.start == t0
    register = model.activities["Register"].delay
    assert register is not None
    assert register.mean_s == pytest.approx(2 * 3600.0)


# -- capacity fidelity (issue 19, session 23) -----------------------------------------
# The demo desk's L2 is ~93 % busy. A twin with 6 % more arrivals and 6 % fewer L2
# hours than the desk ran its L2 at 100 % and its backlog grew without bound over a
# long run, which before/after A/A tests read as a change.


def test_arrivals_count_each_slot_over_the_hours_it_was_seen():
    # one case at 09:30 every weekday for 3 weeks and Monday-Thursday of a fourth:
    # 5 a week. Dividing by the span (3.4 weeks) gave 19 / 3.43 = 5.5 a week.
    monday = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    days = [w * 7 + d for w in range(3) for d in range(5)] + [21, 22, 23, 24]
    ts = [monday + timedelta(days=d) for d in days]
    log = so.read_log(
        pa.table(
            {
                "case_id": [str(i) for i in range(len(ts))],
                "activity": ["Open"] * len(ts),
                "timestamp": ts,
            }
        )
    )
    m = discover_model(log)
    assert m.arrivals.mean_rate_per_s * 7 * 86400 == pytest.approx(5.0)
    rates = m.arrivals.weekly_per_hour
    assert rates is not None
    assert [rates[d][9] for d in range(7)] == pytest.approx([1, 1, 1, 1, 1, 0, 0])


def test_demo_twin_has_the_desks_hours_and_arrivals():
    # the desk: L1 and L2 on shift Monday-Friday 08-18, 406 tickets a week expected
    # (75 an average weekday); before, 95 % coverage gave L2 47 h a week (Thursday
    # 17-18 and Friday 16-18 dropped) and the twin 433 arrivals a week
    log = so.read_log(generate_service_desk(cases=1500, seed=11).events)
    m = discover_model(log)
    l2 = m.pools["L2 work team"].calendar
    assert sum(b - a for a, b in l2.intervals) == 50 * 3600
    weekly = m.arrivals.mean_rate_per_s * 7 * 86400
    # 1,500 Poisson arrivals: sd about 2.6 % of the rate
    assert weekly == pytest.approx(406, rel=0.06)
    # so the twin's L2 is as busy as the desk's (0.92-0.97 of its on-shift hours over
    # 24 weeks, seeds 11 and 12), not saturated: 26-week runs, before 0.987-0.996
    busy = [
        simulate(m, until=timedelta(weeks=26), seed=s, keep_log=False).kpis.utilization[
            "L2 work team"
        ]
        for s in (1, 2, 3)
    ]
    assert np.mean(busy) < 0.97, busy
