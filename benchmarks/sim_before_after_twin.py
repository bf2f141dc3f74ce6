"""Before/after on the demo desk's twin: A/A false positives and the power for a planted cut.

The twin is discovered from the demo desk (1,500 cases, seed 11, no planted change).
A/A: one run of CASES cases split at the middle arrival; before/after on the reopen rate
(Newcombe interval) and on mean lead time and first response (bootstrap), at alpha 5 %.
Power: RUNS pairs of runs, the twin then the twin with the Resolved -> Reopened chance
5 points lower, each as many cases as `sample_size_proportions` plans for 80 % power;
found when the interval of the difference lies below 0.

Run: .venv/bin/python benchmarks/sim_before_after_twin.py [AA_RUNS] [DURATION_RUNS] [POWER_RUNS]
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
from scipy import stats

import servops as so
from servops.demo.generator import generate_service_desk
from servops.improve import before_after, sample_size_proportions
from servops.kpi import load_config
from servops.sim.discover import discover_model
from servops.sim.run import simulate
from servops.sim.scenario import apply_scenario

KPI = Path(so.__file__).parent / "demo" / "kpi.yaml"


def _split(run: so.EventLog) -> datetime:
    starts = sorted(
        r[0]
        for r in run.fetchall('SELECT min("timestamp") FROM events GROUP BY case_id')
    )
    return starts[len(starts) // 2]


def main() -> None:
    """Print the false-positive rates and the power with their 95 % intervals."""
    aa_runs, dur_runs, power_runs = (
        int(a) for a in [*sys.argv[1:], "300", "60", "150"][:3]
    )
    t0 = time.perf_counter()
    log = so.read_log(generate_service_desk(cases=1500, seed=11).events)
    model = discover_model(log, calendars=True)
    cfg = load_config(KPI, log)

    def ci(k: int, n: int) -> str:
        lo, hi = stats.binomtest(k, n).proportion_ci(0.95)
        return f"{k}/{n} = {k / n:.3f} (95 % CI {lo:.3f}-{hi:.3f})"

    hits = 0
    for s in range(aa_runs):
        run = simulate(model, cases=600, seed=1000 + s)
        ba = before_after(
            run.log, _split(run.log), "reopened", config=cfg, mix=[], seed=s
        )
        hits += int(ba.effects["rate"].excludes(0.0))
    print(f"A/A reopen rate, 600 cases per run: {ci(hits, aa_runs)}")
    for metric in ("lead_time", "first_response"):
        hits = 0
        for s in range(dur_runs):
            run = simulate(model, cases=600, seed=1000 + s)
            ba = before_after(
                run.log,
                _split(run.log),
                metric,
                config=cfg,
                mix=[],
                seed=s,
                n_resamples=500,
            )
            hits += int(ba.effects["mean"].excludes(0.0))
        print(f"A/A mean {metric}, 600 cases per run: {ci(hits, dur_runs)}")
    after_resolved = model.routing.by_visit.get("Resolved", {}).get(1)
    p0 = float((after_resolved or model.routing.successors("Resolved"))["Reopened"])
    p1 = p0 - 0.05
    plan = sample_size_proportions(p0, p1, power=0.8)
    changed = apply_scenario(
        model, {"edits": [{"routing": {"from": "Resolved", "to": "Reopened", "p": p1}}]}
    )
    found = 0
    for s in range(power_runs):
        before = simulate(model, cases=plan.n_control, seed=2000 + 2 * s)
        at = before.log.fetchone('SELECT max("timestamp") FROM events')[0] + timedelta(
            hours=1
        )
        after = simulate(
            replace(changed, start=at), cases=plan.n_control, seed=2001 + 2 * s
        )
        tables = []
        for tag, r in (("b", before), ("a", after)):
            t = r.log.to_arrow("events")
            ids = pa.array([f"{tag}-{c}" for c in t.column("case_id").to_pylist()])
            tables.append(
                t.set_column(t.schema.get_field_index("case_id"), "case_id", ids)
            )
        both = so.read_log(pa.concat_tables(tables, promote_options="default"))
        ba = before_after(both, at, "reopened", config=cfg, mix=[], seed=s)
        found += int(ba.effects["rate"].high < 0)
    print(
        f"Power, reopen {p0:.3f} -> {p1:.3f}, {plan.n_control} cases a side "
        f"(planned 0.80): {ci(found, power_runs)}"
    )
    print(f"{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
