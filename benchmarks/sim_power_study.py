"""The planted-effect power study of issue 19: its CPU per run, and where power goes.

The twin of the demo desk with the first-visit Resolved -> Reopened chance 5 points
lower; the days a side planned by ``plan_before_after`` for 80 % power at alpha = 5 %
(two-sided) from a baseline of BASELINE_CASES cases of the twin (``planned_days``;
``--case-plan``: n cases a side planned by ``sample_size_proportions``, the plan of
session 24, 643 cases, about 11 days); each run is ``bench_before_after.planted_log`` (each side
after its own 14-day warm-up) and ``before_after`` on the reopen rate twice: its
default (day blocks) and cases resampled independently (``dependence="none"``:
Newcombe, the test the plan assumes). Prints per run the CPU of the simulation and of
each ``before_after``, both intervals, the block length, the days a side and whether
the default interval was widened; then the share found (interval below 0) and the mean
widths, overall and by block length. The seeds are those of
``tests/unit/demo/test_planted_improvement.py``.

Run: PYTHONPATH=. .venv/bin/python benchmarks/sim_power_study.py [--runs 100]
[--first 0] [--case-plan] [--cut -0.05] [--profile]   (``--profile``: cProfile of the first run, top 15 by
cumulative time)
"""

from __future__ import annotations

import argparse
import cProfile
import math
import pstats
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

import servops as so
from benchmarks.bench_before_after import (
    WARMUP,
    after_warmup,
    changed_model,
    planted_log,
    rate,
    twin_model,
)
from benchmarks.bench_before_after import _relabel as relabel
from servops.improve import (
    before_after,
    day_baseline,
    plan_before_after,
    sample_size_proportions,
)
from servops.sim.scenario import apply_scenario

if TYPE_CHECKING:
    from servops.improve import BeforeAfterPlan, DayBaseline
    from servops.kpi.config import KpiConfig
    from servops.sim.model import Model

#: Cases of the twin (after its warm-up) the before/after plan's baseline is read from.
BASELINE_CASES = 20000
#: The planted cut of the first-visit reopen chance.
CUT = -0.05


def first_visit_reopen(model: Model) -> float:
    """The twin's chance that a first Resolved is followed by Reopened."""
    after_resolved = model.routing.by_visit.get("Resolved", {}).get(1)
    return float((after_resolved or model.routing.successors("Resolved"))["Reopened"])


def planted_days_log(
    model: Model, changed: Model, days: int, seed: int
) -> tuple[so.EventLog, datetime]:
    """``days`` whole days of ``model``, then ``days`` of ``changed``; the change time.

    As ``planted_log`` (each side after its own warm-up, seeds ``seed`` and
    ``seed + 1``), but each side is cut to the cases arriving in ``days`` calendar
    days from a midnight, so that ``before_after`` counts ``days`` days a side, as
    the plan does.
    """
    warmup = WARMUP["twin"]
    first = datetime.combine(
        (model.start + warmup).date() + timedelta(days=1),
        datetime.min.time(),
        model.start.tzinfo,
    )
    per_day = model.arrivals.mean_rate_per_s * 86400
    sides = []
    for tag, m, start, s in (
        ("b", model, first, seed),
        ("a", changed, first + timedelta(days=days), seed + 1),
    ):
        # enough cases for the busiest stretch of ``days``; the rest are cut off
        events = after_warmup(m, math.ceil(1.3 * days * per_day) + 50, s, warmup, start)
        arrived = events.group_by("case_id").aggregate([("timestamp", "min")])
        keep = arrived.filter(
            pc.less(arrived.column("timestamp_min"), start + timedelta(days=days))
        )
        kept = events.filter(pc.is_in(events.column("case_id"), keep.column("case_id")))
        sides.append(relabel(so.read_log(kept), tag))
    both = pa.concat_tables(sides, promote_options="default")
    return so.read_log(both), first + timedelta(days=days)


def planned_days(
    model: Model, changed: Model, cfg: KpiConfig
) -> tuple[DayBaseline, BeforeAfterPlan]:
    """The before/after plan for the planted change, from baseline runs of the twin.

    The effect planned for is the one on the measured reopen rate: the rate of a run
    of ``changed`` minus that of ``model`` (BASELINE_CASES each, seed 77; 14.01 % and
    9.07 %), not the cut of the first-visit chance it comes from.
    """
    bases = [
        day_baseline(
            so.read_log(after_warmup(m, BASELINE_CASES, 77, WARMUP["twin"])),
            "reopened",
            config=cfg,
        )
        for m in (model, changed)
    ]
    effect = bases[1].mean - bases[0].mean
    return bases[0], plan_before_after(bases[0], effect, alpha=0.05, power=0.8)


def main() -> None:
    """Print the study's runs and its power by both intervals."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--first", type=int, default=0, help="first run (seed offset)")
    ap.add_argument(
        "--case-plan", action="store_true", help="cases a side by the case-by-case plan"
    )
    ap.add_argument(
        "--cut", type=float, default=CUT, help="the planted change of the chance"
    )
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    model, cfg = twin_model()
    p0 = first_visit_reopen(model)
    changed, metric = changed_model("twin", model, "reopen")
    cut = args.cut
    if cut != CUT:
        edit = {"routing": {"from": "Resolved", "to": "Reopened", "p": p0 + cut}}
        changed = apply_scenario(model, {"edits": [edit]})
    n = sample_size_proportions(p0, p0 + cut, alpha=0.05, power=0.8).n_control
    days = 0
    if not args.case_plan:
        t0 = time.process_time()
        base, plan = planned_days(model, changed, cfg)
        days = plan.days
        print(f"plan ({time.process_time() - t0:.1f} s CPU): {base}\n{plan}")
    print(
        f"first-visit reopen {p0:.4f} -> {p0 + cut:.4f}: "
        + (f"{n} cases a side" if args.case_plan else f"{days} days a side")
    )
    # label -> [runs, found by default, found by Newcombe, width sum, width sum]
    groups: dict[str, list[float]] = {}
    cpu = {"sim": 0.0, "default": 0.0, "none": 0.0}
    for s in range(args.first, args.first + args.runs):
        prof = cProfile.Profile() if args.profile and s == args.first else None
        if prof is not None:
            prof.enable()
        t0 = time.process_time()
        log, at = (
            planted_log(model, changed, n, 5000 + 2 * s, WARMUP["twin"])
            if args.case_plan
            else planted_days_log(model, changed, days, 5000 + 2 * s)
        )
        t1 = time.process_time()
        d = before_after(log, at, metric, config=cfg, mix=[], seed=s)
        t2 = time.process_time()
        c = before_after(log, at, metric, config=cfg, mix=[], seed=s, dependence="none")
        t3 = time.process_time()
        if prof is not None:
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(15)
        cpu["sim"] += t1 - t0
        cpu["default"] += t2 - t1
        cpu["none"] += t3 - t2
        iv, ivc, rs = d.effects["rate"], c.effects["rate"], d.resampling
        assert rs is not None
        print(
            f"{s} cpu {t1 - t0:.2f}/{t2 - t1:.2f}/{t3 - t2:.2f} s "
            f"estimate {iv.estimate:.4f} default [{iv.low:.4f}, {iv.high:.4f}] "
            f"newcombe [{ivc.low:.4f}, {ivc.high:.4f}] block {rs.block} days "
            f"{rs.periods_before}/{rs.periods_after} {rs.method}",
            flush=True,
        )
        label = f"block {rs.block} day(s)"
        for key in ("all", label, "widened" if not rs.enough else "not widened"):
            g = groups.setdefault(key, [0, 0, 0, 0.0, 0.0])
            g[0] += 1
            g[1] += iv.high < 0
            g[2] += ivc.high < 0
            g[3] += iv.high - iv.low
            g[4] += ivc.high - ivc.low
    print("| runs | found by default | by Newcombe | mean width default | Newcombe |")
    print("|---|---|---|---|---|")
    for key, (k, fd, fc, wd, wc) in groups.items():
        print(
            f"| {key}: {int(k)} | {rate(int(fd), int(k))} | {rate(int(fc), int(k))} "
            f"| {wd / k:.4f} | {wc / k:.4f} |"
        )
    per = {k: round(v / args.runs, 3) for k, v in cpu.items()}
    print(f"CPU per run (s): {per}")


if __name__ == "__main__":
    main()
