"""The planted-effect power study of issue 19: its CPU per run, and where power goes.

The twin of the demo desk with the first-visit Resolved -> Reopened chance 5 points
lower; n cases a side planned by ``sample_size_proportions`` for 80 % power at
alpha = 5 % (two-sided); each run is ``bench_before_after.planted_log`` (each side
after its own 14-day warm-up) and ``before_after`` on the reopen rate twice: its
default (day blocks) and cases resampled independently (``dependence="none"``:
Newcombe, the test the plan assumes). Prints per run the CPU of the simulation and of
each ``before_after``, both intervals, the block length, the days a side and whether
the default interval was widened; then the share found (interval below 0) and the mean
widths, overall and by block length. The seeds are those of
``tests/unit/demo/test_planted_improvement.py``.

Run: PYTHONPATH=. .venv/bin/python benchmarks/sim_power_study.py [--runs 100]
[--first 0] [--profile]   (``--profile``: cProfile of the first run, top 15 by
cumulative time)
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from benchmarks.bench_before_after import (
    WARMUP,
    changed_model,
    planted_log,
    rate,
    twin_model,
)
from servops.improve import before_after, sample_size_proportions


def main() -> None:
    """Print the study's runs and its power by both intervals."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--first", type=int, default=0, help="first run (seed offset)")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    model, cfg = twin_model()
    after_resolved = model.routing.by_visit.get("Resolved", {}).get(1)
    p0 = float((after_resolved or model.routing.successors("Resolved"))["Reopened"])
    plan = sample_size_proportions(p0, p0 - 0.05, alpha=0.05, power=0.8)
    changed, metric = changed_model("twin", model, "reopen")
    n = plan.n_control
    print(f"first-visit reopen {p0:.4f} -> {p0 - 0.05:.4f}: n = {n} a side")
    # label -> [runs, found by default, found by Newcombe, width sum, width sum]
    groups: dict[str, list[float]] = {}
    cpu = {"sim": 0.0, "default": 0.0, "none": 0.0}
    for s in range(args.first, args.first + args.runs):
        prof = cProfile.Profile() if args.profile and s == args.first else None
        if prof is not None:
            prof.enable()
        t0 = time.process_time()
        log, at = planted_log(model, changed, n, 5000 + 2 * s, WARMUP["twin"])
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
        label = "block 1 day" if rs.block == 1 else "block 2+ days"
        for key in ("all", label):
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
