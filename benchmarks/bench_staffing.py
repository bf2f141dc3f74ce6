"""Staffing benchmark: a week of 15-minute intervals (7 x 96) staffed for 80/20.

Peer: pyworkforce's ``ErlangC.required_positions`` (MIT; install with
``pip install --no-deps pyworkforce``: its package ``__init__`` imports OR-Tools for
scheduling, which the queuing module does not need, so we load the queuing module alone).

Run: /work/venv/bin/python benchmarks/bench_staffing.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
import types
from datetime import datetime, timedelta

import numpy as np


def week_calls() -> np.ndarray:
    """A service desk's week: office-hours bell on weekdays, 40 % on weekends."""
    t = np.arange(7 * 96)
    tod = (t % 96) / 96
    day = t // 96
    bell = np.where(
        (tod > 0.3) & (tod < 0.8), 60 * np.sin(np.pi * (tod - 0.3) / 0.5) + 5, 2.0
    )
    return bell * np.where(day < 5, 1.0, 0.4)


def load_pyworkforce() -> type | None:
    spec = importlib.util.find_spec("pyworkforce")
    if spec is None or spec.submodule_search_locations is None:
        return None
    pkg = types.ModuleType("pyworkforce")
    pkg.__path__ = list(spec.submodule_search_locations)
    sys.modules.setdefault("pyworkforce", pkg)
    from pyworkforce.queuing.erlang import ErlangC  # type: ignore[import-not-found]

    return ErlangC  # type: ignore[no-any-return]


def median_time(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from servops.staffing import (
        agents_for_target,
        schedule_shifts,
        staffing_requirements,
    )

    calls = week_calls()
    aht_s, interval_s = 300.0, 900.0
    print(f"{calls.size} intervals, {calls.sum():,.0f} calls, AHT {aht_s:g} s, 80/20 s")

    t_c, plan = median_time(
        lambda: staffing_requirements(
            calls, interval=interval_s, aht=aht_s, service_level=0.8, threshold=20
        ),
        args.repeat,
    )
    t_a, _plan_a = median_time(
        lambda: staffing_requirements(
            calls,
            interval=interval_s,
            aht=aht_s,
            service_level=0.8,
            threshold=20,
            patience=120,
        ),
        max(1, args.repeat // 2),
    )
    t_loop, loop = median_time(
        lambda: [
            agents_for_target(
                c, interval=interval_s, aht=aht_s, service_level=0.8, threshold=20
            ).agents
            for c in calls
        ],
        max(1, args.repeat // 2),
    )
    assert plan["agents"].tolist() == loop  # type: ignore[index, attr-defined]
    print(f"servops Erlang C, vectorised:   {t_c * 1000:8.1f} ms")
    print(f"servops Erlang C, scalar loop:  {t_loop * 1000:8.1f} ms")
    print(f"servops Erlang A (patience 2m): {t_a * 1000:8.1f} ms")

    erlang_c = load_pyworkforce()
    if erlang_c is None:
        print("pyworkforce not installed: no peer timing")
    else:

        def peer() -> list[int]:
            return [
                int(
                    erlang_c(
                        transactions=c,
                        aht=aht_s / 60,
                        asa=20 / 60,
                        interval=interval_s / 60,
                    ).required_positions(service_level=0.8)["positions"]
                )
                for c in calls
            ]

        t_p, pw = median_time(peer, max(1, args.repeat // 2))
        ours = plan["agents"]  # type: ignore[index]
        diff = np.asarray(pw) - ours
        print(
            f"pyworkforce required_positions: {t_p * 1000:8.1f} ms "
            f"(pyworkforce / servops = {t_p / t_c:,.0f}x)"
        )
        print(
            f"intervals where pyworkforce staffs more: {int((diff > 0).sum())}, "
            f"fewer: {int((diff < 0).sum())}, extra agent-intervals: {int(diff.sum())}"
        )
        # Shrinkage applied with a bare ceil: 21 / (1 - 0.3) = 30.000000000000004 -> 31.
        trap = []
        for c in range(1, 400):
            pwr = erlang_c(
                transactions=c, aht=3, asa=20 / 60, interval=30, shrinkage=0.3
            ).required_positions(service_level=0.8)
            ours_r = agents_for_target(
                c,
                interval=1800,
                aht=180,
                service_level=0.8,
                threshold=20,
                shrinkage=0.3,
            )
            if pwr["positions"] != ours_r.agents:
                trap.append((c, pwr["raw_positions"], pwr["positions"], ours_r.agents))
        print(
            f"shrinkage 0.3, 1-399 calls/30 min: pyworkforce schedules more in "
            f"{len(trap)} case(s): (calls, on queue, pyworkforce, servops) {trap[:4]}"
        )
        try:
            big = erlang_c(transactions=100_000, aht=3, asa=20 / 60, interval=30)
            big.required_positions(service_level=0.8)
            print("pyworkforce, 10,000 Erlangs: ok")
        except (OverflowError, ValueError) as exc:
            print(f"pyworkforce, 10,000 Erlangs: {type(exc).__name__}: {exc}")
    t_big, big_r = median_time(
        lambda: agents_for_target(
            100_000, interval=1800, aht=180, service_level=0.8, threshold=20
        ),
        args.repeat,
    )
    print(
        f"servops, 10,000 Erlangs: {big_r.agents:,} agents in "  # type: ignore[attr-defined]
        f"{t_big * 1000:.1f} ms"
    )

    t_s, sched = median_time(
        lambda: schedule_shifts(
            plan["agents"],  # type: ignore[index]
            start=datetime(2024, 1, 8),
            interval=timedelta(minutes=15),
            time_limit=30,
        ),
        1,
    )
    d = sched.to_dict()  # type: ignore[attr-defined]
    print(
        f"schedule (week, 15 min, default shifts): {t_s:.1f} s, status {d['status']}, "
        f"gap {d['mip_gap']:.2%}, cost {d['total_cost']:,.1f} vs "
        f"{plan['agents'].sum() / 4:,.1f} agent-hours required"
    )  # type: ignore[index]


def bench_isa(repeat: int) -> None:
    """A ticket desk's week: hourly intervals, AHT 45 min, 90 % first response in 2 h.

    ISA staffing (30 runs per iteration) against per-interval Erlang C, both checked
    in fresh simulations; and one simulated week in the ISA's heap loop against the
    digital twin (servops.sim, which writes an event log per run).
    """
    from servops.sim import Distribution, schedule_model, simulate
    from servops.staffing import isa_staffing, parse_service_target, simulate_queue

    t = np.arange(7 * 24)
    tod = t % 24
    day = t // 24
    calls = np.where(
        (tod >= 8) & (tod < 18), 12 * np.sin(np.pi * (tod - 8) / 10) + 3, 0.5
    )
    calls = calls * np.where(day < 5, 1.0, 0.3)
    target = parse_service_target("90%/2h")
    t_isa, res = median_time(
        lambda: isa_staffing(
            calls, interval=3600, aht=2700, target=target, runs=30, seed=1
        ),
        max(1, repeat // 2),
    )
    d = res.to_dict()  # type: ignore[attr-defined]
    print(
        f"ISA, ticket desk week ({calls.size} h, {calls.sum():,.0f} tickets, 90%/2h): "
        f"{t_isa:.2f} s, {d['iterations']} iterations, converged {d['converged']}"
    )
    for name in ("erlang", "isa"):
        x = d[name]
        print(
            f"  {name:6s}: peak {x['peak_agents']}, {x['agent_hours']:,.0f} agent-h, "
            f"simulated SL {x['simulated_service_level']:.1%}, "
            f"{x['intervals_below_target']} intervals short of the target"
        )
    agents = res.agents_on_queue  # type: ignore[attr-defined]
    t_loop, _ = median_time(
        lambda: simulate_queue(
            calls,
            agents,
            interval_s=3600,
            aht_s=np.full(calls.size, 2700.0),
            threshold_s=7200,
            runs=1,
            seed=1,
        ),
        repeat,
    )
    model = schedule_model(
        arrivals_per_interval=calls.tolist(),
        agents=[int(a) for a in agents],
        interval=timedelta(hours=1),
        service=Distribution.exponential(2700.0),
    )
    simulate(model, seed=0)  # warm-up (first DuckDB connection)
    t_twin, _ = median_time(lambda: simulate(model, seed=1), repeat)
    print(
        f"one simulated week: heap loop {t_loop * 1000:.1f} ms, twin {t_twin * 1000:.0f} ms "
        f"({t_twin / t_loop:,.0f}x)"
    )


if __name__ == "__main__":
    main()
    bench_isa(5)
