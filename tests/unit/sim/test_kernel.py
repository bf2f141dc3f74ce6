"""The kernel against queueing theory, hand-computed runs, and its own invariants."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import servops as so
from servops.errors import InvalidParameterError
from servops.sim import Distribution, load_model, replicate, simulate
from servops.sim.scenario import apply_scenario


def erlang_c_wq(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of M/M/c (Erlang C), computed here on purpose: the staffing
    package is written concurrently and must not be a dependency of these tests."""
    a = lam / mu
    rho = a / c
    # Erlang B by recursion, then C = B / (1 - rho (1 - B)).
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    pc = b / (1 - rho * (1 - b))
    return pc / (c * mu - lam)


def mmc(lam_per_min: float, c: int, mean_service_min: float = 1.0) -> so.sim.Model:
    return load_model(
        {
            "time_unit": "minute",
            "arrivals": {"rate": lam_per_min},
            "activities": {
                "Serve": {
                    "pool": "agents",
                    "duration": {"dist": "exponential", "mean": mean_service_min},
                }
            },
            "pools": {"agents": {"size": c}},
            "routing": {"start": {"Serve": 1.0}, "Serve": {"end": 1.0}},
        }
    )


def test_erlang_c_reference_value():
    # ANCHORS: M/M/10, lambda 9.5/min, mu 1/min -> Wq = 1.651171 min.
    assert erlang_c_wq(9.5, 1.0, 10) == pytest.approx(1.651171, abs=1e-6)


@pytest.mark.parametrize(
    ("lam", "c", "cases"),
    [(0.8, 1, 40_000), (4.5, 5, 60_000), (9.5, 10, 120_000)],
    ids=["M/M/1 rho=0.8", "M/M/5 rho=0.9", "M/M/10 rho=0.95"],
)
def test_mmc_waits_match_erlang_c_within_ci(lam, c, cases):
    wq_s = erlang_c_wq(lam, 1.0, c) * 60
    res = replicate(
        mmc(lam, c), replications=10, cases=cases, seed=11, warmup=cases // 20
    )
    est = res["mean_waiting_time_s"]
    assert est.contains(wq_s), (est, wq_s)
    # The interval is informative, not a blanket: under 15 % of the value.
    assert est.half_width < 0.15 * wq_s
    util = res["utilization.agents"]
    assert util.mean == pytest.approx(lam / c, rel=0.02)


def test_littles_law_on_simulated_log():
    run = simulate(mmc(4.5, 5), cases=20_000, seed=3)
    log = run.log
    # Time-average number in system, by sweeping arrivals (+1) and departures (-1).
    (area, span, n, mean_w) = log.fetchone("""
        SELECT sum(n_before * dt), max(x) - min(x), count(*) / 2, NULL FROM (
          SELECT x, sum(d) OVER (ORDER BY x, d ROWS BETWEEN UNBOUNDED PRECEDING
                                 AND 1 PRECEDING) AS n_before,
                 x - lag(x) OVER (ORDER BY x, d) AS dt
          FROM (SELECT epoch(enabled_timestamp) AS x, 1 AS d FROM instances
                UNION ALL SELECT epoch("timestamp") AS x, -1 AS d FROM instances))
    """)
    (w,) = log.fetchone(
        'SELECT avg(epoch("timestamp") - epoch(enabled_timestamp)) FROM instances'
    )
    big_l = area / span
    lam = n / span
    assert big_l == pytest.approx(lam * w, rel=1e-3)
    # And against theory: L = lambda (Wq + 1/mu) for M/M/5 at rho 0.9.
    theory = 4.5 * (erlang_c_wq(4.5, 1.0, 5) + 1.0)
    assert big_l == pytest.approx(theory, rel=0.15)
    assert mean_w is None


def test_same_seed_same_log_and_different_seed_differs():
    m = load_model(_example("mmc.yaml"))
    a = simulate(m, cases=3000, seed=42).log.to_arrow("events")
    b = simulate(m, cases=3000, seed=42).log.to_arrow("events")
    c = simulate(m, cases=3000, seed=43).log.to_arrow("events")
    assert a.equals(b)
    assert not a.equals(c)


def test_hand_computed_single_server_run():
    # Arrivals every 10 s, service 15 s, one server: starts 10, 25, 40; ends 25, 40, 55.
    m = load_model(
        {
            "arrivals": {"interarrival": {"dist": "fixed", "value": 10}},
            "activities": {
                "A": {"pool": "p", "duration": {"dist": "fixed", "value": 15}}
            },
            "pools": {"p": {"size": 1}},
            "routing": {"start": {"A": 1.0}, "A": {"end": 1.0}},
        }
    )
    run = simulate(m, cases=3, seed=0)
    rows = run.log.fetchall(
        "SELECT case_id, epoch(start_timestamp) - epoch(TIMESTAMPTZ '2024-01-01'), "
        "epoch(\"timestamp\") - epoch(TIMESTAMPTZ '2024-01-01'), resource "
        "FROM instances ORDER BY 2"
    )
    assert rows == [
        ("1", 10.0, 25.0, "p-01"),
        ("2", 25.0, 40.0, "p-01"),
        ("3", 40.0, 55.0, "p-01"),
    ]
    assert run.kpis.mean_waiting_time_s == pytest.approx(5.0)
    assert run.kpis.mean_cycle_time_s == pytest.approx(20.0)
    assert run.kpis.utilization["p"] == pytest.approx(45 / 55)


def test_priority_class_waits_less():
    m = load_model(
        {
            "time_unit": "minute",
            "arrivals": {"rate": 9.0},
            "attributes": {"segment": {"VIP": 0.2, "standard": 0.8}},
            "activities": {
                "Serve": {
                    "pool": "agents",
                    "duration": {"dist": "exponential", "mean": 1},
                }
            },
            "pools": {
                "agents": {
                    "size": 10,
                    "queue": {"priority": "segment", "order": ["VIP"]},
                }
            },
            "routing": {"start": {"Serve": 1.0}, "Serve": {"end": 1.0}},
        }
    )
    run = simulate(m, cases=20_000, seed=5)
    waits = dict(
        run.log.fetchall(
            "SELECT segment, avg(epoch(start_timestamp) - epoch(enabled_timestamp)) "
            "FROM instances GROUP BY 1"
        )
    )
    assert waits["VIP"] < 0.3 * waits["standard"]


def test_abandonment_with_patience():
    base = mmc(9.8, 10)
    m = load_model(
        {
            **base.to_dict(),
            "activities": {
                "Serve": {
                    "pool": "agents",
                    "duration": {"dist": "exponential", "mean": 1},
                    "patience": {"dist": "exponential", "mean": 0.5},
                }
            },
        }
    )
    run = simulate(m, cases=20_000, seed=2)
    k = run.kpis
    assert k.abandoned > 0
    assert k.cases + k.abandoned == k.arrived
    assert run.abandonments is not None
    assert run.abandonments.num_rows == k.abandoned
    assert run.log.n_cases() == k.cases
    # Without patience nobody leaves.
    assert simulate(base, cases=2000, seed=2, keep_log=False).kpis.abandoned == 0


def test_calendar_restricts_starts_to_working_hours():
    m = load_model(
        {
            "time_unit": "hour",
            "arrivals": {"rate": 1.0},
            "activities": {
                "A": {"pool": "p", "duration": {"dist": "fixed", "value": 0.25}}
            },
            "pools": {
                "p": {
                    "size": 2,
                    "calendar": [{"days": "mon-fri", "hours": "09:00-17:00"}],
                }
            },
            "routing": {"start": {"A": 1.0}, "A": {"end": 1.0}},
        }
    )
    log = simulate(m, cases=500, seed=1).log
    bad = log.fetchone("""
        SELECT count(*) FROM instances
        WHERE isodow(start_timestamp) > 5 OR hour(start_timestamp) < 9
           OR hour(start_timestamp) >= 17""")[0]
    assert bad == 0


def test_staff_schedule_changes_capacity():
    from servops.sim import schedule_model, service_level_by_interval

    def day(agents):
        return schedule_model(
            arrivals_per_interval=[60, 60, 60],
            agents=agents,
            interval=timedelta(minutes=30),
            service=Distribution.exponential(120.0),
        )

    few, many = day([3, 3, 3]), day([3, 6, 3])
    sl_few = service_level_by_interval(
        [simulate(few, seed=s) for s in range(3)], threshold=timedelta(seconds=20)
    )
    sl_many = service_level_by_interval(
        [simulate(many, seed=s) for s in range(3)], threshold=timedelta(seconds=20)
    )
    f = sl_few.column("service_level").to_pylist()
    g = sl_many.column("service_level").to_pylist()
    assert g[1] > f[1] + 0.2
    # Never more than 6 agents busy at once, and only 3 in the first interval.
    run = simulate(many, seed=1)
    n_res = run.log.fetchone(
        "SELECT count(DISTINCT resource) FROM instances "
        "WHERE start_timestamp < TIMESTAMPTZ '2024-01-01 00:30:00+00'"
    )[0]
    assert n_res <= 3
    assert run.log.fetchone("SELECT count(DISTINCT resource) FROM instances")[0] <= 6


def test_loop_guard_limits_visits():
    m = load_model(
        {
            "arrivals": {"rate": 0.1},
            "activities": {"A": {"duration": {"dist": "fixed", "value": 1}}},
            "routing": {"start": {"A": 1.0}, "A": {"A": 0.99, "end": 0.01}},
            "max_visits": 3,
        }
    )
    log = simulate(m, cases=200, seed=1).log
    assert (
        log.fetchone(
            "SELECT max(n) FROM (SELECT count(*) n FROM instances GROUP BY case_id)"
        )[0]
        == 3
    )


def test_until_stops_and_leaves_cases_open():
    m = mmc(9.5, 10)
    run = simulate(m, until=timedelta(hours=2), seed=1)
    assert run.kpis.horizon_s == 7200
    end = run.log.fetchone('SELECT max("timestamp") FROM instances')[0]
    assert (end - m.start).total_seconds() <= 7200
    assert run.kpis.arrived == pytest.approx(9.5 * 120, rel=0.1)


def test_keep_log_false_gives_same_kpis():
    m = mmc(4.5, 5)
    a = simulate(m, cases=5000, seed=9).kpis
    b = simulate(m, cases=5000, seed=9, keep_log=False).kpis
    assert a == b


def test_bad_inputs():
    m = mmc(1, 2)
    with pytest.raises(InvalidParameterError, match=r"needs 'cases'"):
        simulate(m, seed=1)
    with pytest.raises(InvalidParameterError, match="'cases' parameter"):
        simulate(m, cases=0)
    with pytest.raises(InvalidParameterError, match="seed"):
        simulate(m, cases=5, seed="x")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'replications'"):
        replicate(m, replications=0, cases=5)


@settings(max_examples=15, deadline=None)
@given(c=st.integers(1, 6), rho=st.floats(0.2, 0.9), seed=st.integers(0, 1000))
def test_property_conservation_and_fifo(c, rho, seed):
    """Every arrival finishes; starts never precede enabling; FIFO order of starts."""
    run = simulate(mmc(rho * c, c), cases=300, seed=seed)
    k = run.kpis
    assert k.cases == k.arrived == 300
    bad, out_of_order = run.log.fetchone("""
        SELECT count(*) FILTER (WHERE start_timestamp < enabled_timestamp
                                   OR "timestamp" < start_timestamp),
               count(*) FILTER (WHERE prev_start > start_timestamp)
        FROM (SELECT *, lag(start_timestamp) OVER (ORDER BY enabled_timestamp)
                          AS prev_start FROM instances)""")
    assert bad == 0
    assert out_of_order == 0
    assert 0 < k.utilization["agents"] <= 1 + 1e-9


def test_scenario_changes_are_seen_with_common_random_numbers():
    m = mmc(9.5, 10)
    more = apply_scenario(m, {"edits": [{"staff": {"pool": "agents", "change": 1}}]})
    comp = so.sim.compare(m, more, replications=5, cases=5000, seed=4)
    d = comp.differences()["mean_waiting_time_s"]
    assert d.high < 0
    assert math.isfinite(d.low)
    out = comp.to_dict()
    assert set(out) >= {"baseline", "scenario", "difference"}


def _example(name: str):
    from pathlib import Path

    return Path(__file__).resolve().parents[3] / "docs" / "examples" / name


def test_docs_example_is_mm10():
    m = load_model(_example("mmc.yaml"))
    assert m.pools["agents"].size == 10
    assert m.arrivals.rate_per_s is not None
    assert m.arrivals.rate_per_s * 60 == pytest.approx(9.5)
    assert m.activities["Serve"].duration.mean_s == pytest.approx(60.0)
    assert np.isclose(m.activities["Serve"].duration.sd, 60.0)


def test_warmup_leaves_early_cases_out_and_drains():
    m = mmc(4.5, 5)
    k = simulate(m, cases=2000, warmup=200, seed=1, keep_log=False).kpis
    assert k.in_progress == 0
    assert 1800 <= k.cases < 2000
    assert k.arrived == 2000
    cut = simulate(m, until=timedelta(minutes=30), seed=1, keep_log=False).kpis
    assert cut.in_progress == cut.arrived - cut.cases - cut.abandoned
    assert cut.in_progress > 0


def test_parallel_replications_equal_serial():
    m = mmc(4.5, 5)
    a = replicate(m, replications=3, cases=2000, seed=3, workers=2)
    b = replicate(m, replications=3, cases=2000, seed=3, workers=1)
    assert a.runs == b.runs


def test_utilisation_counts_people_kept_past_their_shift():
    # One person on shift Monday 09:00-10:00; a case arrives at 09:30 and takes 5 h.
    # Present 09:00-14:30 (the shift, then the work in hand): 5 h busy of 5.5 h.
    # Before, available time was the shift only and utilisation 500 % (the demo twin's
    # L2 team showed 113.6 %).
    m = load_model(
        {
            "time_unit": "hour",
            "start": "2024-01-01T00:00:00Z",
            "arrivals": {"interarrival": {"dist": "fixed", "value": 9.5}},
            "activities": {
                "Fix": {"pool": "p", "duration": {"dist": "fixed", "value": 5}}
            },
            "pools": {
                "p": {"size": 1, "calendar": [{"days": "mon", "hours": "09:00-10:00"}]}
            },
            "routing": {"start": {"Fix": 1.0}, "Fix": {"end": 1.0}},
        }
    )
    k = simulate(m, cases=1, seed=0).kpis
    assert k.busy_s["p"] == pytest.approx(5 * 3600)
    assert k.available_s["p"] == pytest.approx(5.5 * 3600)
    assert k.utilization["p"] == pytest.approx(5 / 5.5)


@settings(max_examples=15, deadline=None)
@given(
    size=st.integers(1, 4),
    rate=st.floats(0.5, 6.0),
    mean=st.floats(0.1, 3.0),
    hours=st.sampled_from(["09:00-10:00", "08:00-12:00", "13:00-13:30"]),
    seed=st.integers(0, 10_000),
)
def test_utilisation_never_above_one(size, rate, mean, hours, seed):
    m = load_model(
        {
            "time_unit": "hour",
            "arrivals": {"rate": rate},
            "activities": {
                "A": {"pool": "p", "duration": {"dist": "exponential", "mean": mean}}
            },
            "pools": {
                "p": {"size": size, "calendar": [{"days": "mon-fri", "hours": hours}]}
            },
            "routing": {"start": {"A": 1.0}, "A": {"end": 1.0}},
        }
    )
    for kw in ({"cases": 200}, {"until": 3 * 86400.0}):
        k = simulate(m, seed=seed, keep_log=False, **kw).kpis
        assert 0.0 <= k.utilization["p"] <= 1.0 + 1e-9, (kw, k.busy_s, k.available_s)


def test_replication_intervals_stay_within_what_a_kpi_can_be():
    # Two short replications give wide t-intervals; a utilisation's is cut at 100 %
    # and every level's at 0 (the CLI printed "[-15.8%, 147.6%]" for the demo twin).
    res = replicate(mmc(9.5, 10), replications=2, cases=300, seed=4)
    for name, est in res.estimates().items():
        if est.n > 1 and math.isfinite(est.low):
            assert est.low >= 0.0, name
        if name.startswith("utilization.") and math.isfinite(est.high):
            assert est.high <= 1.0, name
    # Differences between scenarios can be negative: not cut.
    diff = so.sim.compare(
        mmc(9.5, 10), mmc(9.5, 11), replications=2, cases=300, seed=4
    ).differences()["mean_waiting_time_s"]
    assert diff.low < 0
