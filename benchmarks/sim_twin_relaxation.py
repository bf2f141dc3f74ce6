"""The demo desk's twin over long runs: is its L2 saturated, and how fast does it relax?

1. ``busy``: L2 and L1 busy share of their on-shift hours per 4 weeks, in the demo
   generator (its calendar: Monday-Friday 08:00-18:00) and in the twin discovered from
   1,500 of its cases (seed 11; the twin's own calendars), CASES cases each.
2. ``transient``: from an empty desk, the mean lead time (first to last event) of each
   week's arrivals, averaged over RUNS runs: how long a warm-up must be.
3. ``acf``: one run of CASES cases; the autocorrelation of the weekly mean lead time
   and its integrated autocorrelation time (lags up to 10 weeks).
4. ``blocks``: on RUNS A/A logs of the before/after study (``bench_before_after``,
   seeds 1000...), the Politis-White block length ``before_after`` uses for the lead
   time, and the same with each weekday's mean taken out of the daily means first.

Run: PYTHONPATH=. .venv/bin/python benchmarks/sim_twin_relaxation.py busy|transient|acf|blocks [CASES] [RUNS]
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import servops as so
from servops.demo.generator import generate_service_desk
from servops.sim.calendars import Calendar
from servops.sim.discover import _on_shift, discover_model
from servops.sim.run import simulate

if TYPE_CHECKING:
    from servops.sim.model import Model

DESK = Calendar.from_slots([(d, h) for d in range(5) for h in range(8, 18)])
WEEK = 7 * 86400.0


def _epoch(col: pa.ChunkedArray) -> np.ndarray:
    return np.array(
        [np.nan if x is None else x.timestamp() for x in col.to_pylist()], dtype=float
    )


def busy_share(
    events: pa.Table, cal: Calendar, size: int, acts: list[str], block: int = 4
) -> list[float]:
    """On-shift work of ``acts`` over ``size`` people's on-shift hours, per block."""
    t = events.filter(pc.is_in(events.column("activity"), pa.array(acts)))
    s, e = _epoch(t.column("start_timestamp")), _epoch(t.column("timestamp"))
    on = _on_shift(cal, s, e)
    t0 = np.nanmin(_epoch(events.column("timestamp")))
    wk = ((s - t0) // WEEK).astype(int)
    cap = size * sum(b - a for a, b in cal.intervals) * block
    return [
        float(on[(wk >= w) & (wk < w + block)].sum() / cap)
        for w in range(0, wk.max() + 1, block)
    ]


def weekly_lead_h(log: so.EventLog, weeks: int) -> np.ndarray:
    """Mean lead time (h) of the cases arriving in each week of the run."""
    a = np.array(
        log.fetchall(
            'SELECT epoch(min("timestamp")), epoch(max("timestamp")) '
            "FROM events GROUP BY case_id"
        ),
        dtype=float,
    )
    wk = ((a[:, 0] - a[:, 0].min()) // WEEK).astype(int)
    lead = (a[:, 1] - a[:, 0]) / 3600
    return np.array(
        [lead[wk == w].mean() if (wk == w).any() else np.nan for w in range(weeks)]
    )


def blocks(model: Model, cases: int, runs: int) -> None:
    """Block lengths with and without the weekday cycle in the daily means."""
    from benchmarks.bench_before_after import KPI, WARMUP, aa_log
    from servops.improve.beforeafter import metric_values
    from servops.improve.intervals import block_length, optimal_block_length
    from servops.kpi import load_config
    from servops.kpi.cases import case_metrics

    for seed in range(1000, 1000 + runs):
        log, at = aa_log(model, cases, seed, WARMUP["twin"])
        cm = case_metrics(log, load_config(KPI, log))
        x = metric_values(cm, "lead_time")
        arrived = cm.column("arrived_at").to_pylist()
        ok = np.isfinite(x)
        day = np.array([t.date().toordinal() for t in arrived])
        after = np.array([t >= at for t in arrived])
        b, a = ok & ~after, ok & after
        pw = block_length(x[b], x[a], units_before=day[b], units_after=day[a])
        parts = []
        for side in (b, a):
            days = np.unique(day[side])
            means = np.array([x[side & (day == k)].mean() for k in days])
            weekday = (days - 1) % 7  # ordinal 1 was a Monday
            for w in range(7):
                means[weekday == w] -= means[weekday == w].mean()
            parts.append(means)
        seasonal = math.ceil(optimal_block_length(np.concatenate(parts)))
        print(
            f"seed {seed}: {np.unique(day[b]).size} / {np.unique(day[a]).size} days, "
            f"block {pw} days; {seasonal} with each weekday's mean taken out"
        )


def main() -> None:
    """Print the study named on the command line."""
    mode = sys.argv[1]
    cases = (
        int(sys.argv[2]) if len(sys.argv) > 2 else (5000 if mode == "blocks" else 10000)
    )
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    model = discover_model(
        so.read_log(generate_service_desk(cases=1500, seed=11).events)
    )
    if mode == "busy":
        for seed in (11, 12):
            ev = generate_service_desk(cases=cases, seed=seed).events
            l2 = busy_share(ev, DESK, 3, ["L2 work"])
            print(f"generator seed {seed}: L2", " ".join(f"{x:.2f}" for x in l2))
        for seed in (5, 6):
            ev = simulate(model, cases=cases, seed=seed).log.to_arrow("events")
            cal = model.pools["L2 work team"].calendar
            l2 = busy_share(ev, cal, model.pools["L2 work team"].size, ["L2 work"])
            print(f"twin seed {seed}: L2", " ".join(f"{x:.2f}" for x in l2))
    elif mode == "transient":
        weeks = 24
        m = np.array(
            [
                weekly_lead_h(
                    simulate(model, cases=weeks * 412 + 800, seed=100 + s).log, weeks
                )
                for s in range(runs)
            ]
        )
        mu, se = np.nanmean(m, 0), np.nanstd(m, 0) / np.sqrt(runs)
        for w in range(weeks):
            print(f"week {w:2d}: mean lead time {mu[w]:6.1f} h (SE {se[w]:.1f})")
    elif mode == "blocks":
        blocks(model, cases, runs)
    else:
        x = weekly_lead_h(simulate(model, cases=cases, seed=7).log, cases // 420)
        x = x[4:-2]
        x = x[np.isfinite(x)]
        xc = x - x.mean()
        acf = [float(np.dot(xc[:-k], xc[k:]) / np.dot(xc, xc)) for k in range(1, 11)]
        print(f"{x.size} weeks: mean {x.mean():.1f} h, sd {x.std():.1f} h")
        print("autocorrelation, lags 1-10:", " ".join(f"{a:.2f}" for a in acf))
        print(f"integrated autocorrelation time: {1 + 2 * sum(acf):.2f} weeks")


if __name__ == "__main__":
    main()
