"""Before/after on the demo desk's twin at steady state: A/A, planned power, coverage.

The twin is discovered from the demo desk (1,500 cases, seed 11, no planted change);
every run drops the cases arriving in its first two weeks (``bench_before_after.WARMUP``:
the twin reaches its steady level within a week from empty). ``before_after`` is
called as users call it (``dependence="day"``, the default; ``n_resamples`` given).

1. A/A: AA_RUNS runs of CASES_TWIN kept cases split at the middle arrival; lead time
   and first response (mean, median, p90) and the reopen rate, at alpha 5 %.
2. A planted reopen cut (Resolved -> Reopened 5 points lower), as many cases a side
   as ``sample_size_proportions`` plans for 80 % power; POWER_RUNS runs.
3. One more L2 agent, sized by the twin: the true effect on the mean lead time is the
   difference of the two models' long-run means; the spread of the A/A mean-difference
   estimates (at CASES_TWIN / 2 a side, scaled by 1/sqrt(cases)) plans the cases a side
   for 80 % power; POWER_RUNS runs.

For 2 and 3: the share of runs whose interval lies below 0 (power) and the share
whose interval holds the true effect (coverage; nominal 95 %).

Run: PYTHONPATH=. .venv/bin/python benchmarks/sim_before_after_twin.py [AA_RUNS] [POWER_RUNS] [RESAMPLES]
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np
from scipy import stats

from benchmarks.bench_before_after import (
    ALPHA,
    CASES_TWIN,
    WARMUP,
    aa_study,
    changed_model,
    planned_power,
    power_study,
    print_table,
    true_effect,
    twin_model,
)
from servops.improve import sample_size_proportions


def main() -> None:
    """Print the A/A rates, the planned and measured power and the coverage."""
    aa_runs, power_runs, resamples = (
        int(a) for a in [*sys.argv[1:], "100", "100", "2000"][:3]
    )
    t0 = time.process_time()
    deps = ("day",)
    hits, estimates = aa_study("twin", aa_runs, resamples, dependence=deps)
    print_table(f"A/A, {aa_runs} runs of {CASES_TWIN} cases", hits, aa_runs, deps)
    sd = float(np.std(estimates[("lead_time", "mean")], ddof=1))
    print(f"A/A mean lead time difference: sd {sd / 3600:.3f} h", flush=True)

    model, _ = twin_model()
    after_resolved = model.routing.by_visit.get("Resolved", {}).get(1)
    p0 = float((after_resolved or model.routing.successors("Resolved"))["Reopened"])
    plan = sample_size_proportions(p0, p0 - 0.05, alpha=ALPHA, power=0.8)
    print(
        f"\nreopen {p0:.3f} -> {p0 - 0.05:.3f}: {plan.n_control} cases a side planned"
    )
    metric, found, covered = power_study(
        "twin", power_runs, resamples, "reopen", deps, plan.n_control
    )
    print_table("reopen cut: power", found, power_runs, deps)
    print_table("reopen cut: coverage of the true effect", covered, power_runs, deps)

    # the L2 change: its true effect first (power_study prints it again)
    cfg = twin_model()[1]
    changed, metric = changed_model("twin", model, "l2")
    truth, _ = true_effect(model, changed, metric, cfg, WARMUP["twin"])
    z = stats.norm.ppf(1 - ALPHA / 2) + stats.norm.ppf(0.8)
    per_side = CASES_TWIN // 2
    n = math.ceil(per_side * (z * sd / truth) ** 2)
    scaled = [e * math.sqrt(per_side / n) for e in estimates[("lead_time", "mean")]]
    print(
        f"\none more L2 agent: true effect {truth / 3600:.3f} h; {n} cases a side "
        f"planned (planned power {planned_power(truth, scaled):.2f})",
        flush=True,
    )
    metric, found, covered = power_study("twin", power_runs, resamples, "l2", deps, n)
    print_table("one more L2 agent: power", found, power_runs, deps)
    print_table(
        "one more L2 agent: coverage of the true effect", covered, power_runs, deps
    )
    print(f"({time.process_time() - t0:.0f} s CPU)")


if __name__ == "__main__":
    main()
