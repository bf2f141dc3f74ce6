"""Before/after on simulated queues: A/A false positives and power, by resampling.

In a queue a case's waiting carries over to the next cases, so resampling cases
independently (``dependence="none"``, the method before issue 19's fix) makes the
intervals too narrow. This study runs ``servops.improve.before_after`` on logs from the
project's own simulator with no change between the halves (A/A) and counts how often
each resampling calls the difference significant at alpha = 5 %; then on logs with a
planted change (power).

Queues (each run drops the cases of its first WARMUP days: the simulator starts empty):

* ``mmc``: docs/examples/mmc.yaml read in hours (9 arrivals an hour, mean service 1 h,
  10 agents: utilisation 0.9, about 216 cases a day), CASES_MMC cases (about 70 days).
* ``twin``: the demo desk's twin (``discover_model`` of 1,500 demo cases, seed 11, with
  calendars: nights and weekends, L1/L2 backlogs), CASES_TWIN cases (about 17 weeks).

A/A: one run split at the middle arrival of the kept cases; metrics lead time (mean,
median, p90) on both, first response and the reopen rate on the twin.
Power: the same run length with the change planted half-way as two runs joined (the
second starting an hour after the first's last event): mmc with mean service 0.9 h
(utilisation 0.81), the twin with the Resolved -> Reopened chance 5 points lower.

Run: .venv/bin/python benchmarks/bench_before_after.py [--seeds 100] [--power-seeds 40]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import yaml
from scipy import stats

import servops as so
from servops.demo.generator import generate_service_desk
from servops.improve import before_after
from servops.kpi import load_config
from servops.sim.discover import discover_model
from servops.sim.model import load_model
from servops.sim.run import simulate
from servops.sim.scenario import apply_scenario

if TYPE_CHECKING:
    from servops.kpi.config import KpiConfig
    from servops.sim.model import Model

ROOT = Path(__file__).resolve().parents[1]
KPI = Path(so.__file__).parent / "demo" / "kpi.yaml"
DEPENDENCE = ("none", "day", "week")
WARMUP = timedelta(days=3)
CASES_MMC = 15000
CASES_TWIN = 5000
ALPHA = 0.05


def mmc_model(mean_service_h: float = 1.0) -> Model:
    """docs/examples/mmc.yaml in hours at utilisation 0.9 (or the given service)."""
    spec = yaml.safe_load((ROOT / "docs" / "examples" / "mmc.yaml").read_text())
    spec["time_unit"] = "hour"
    spec["arrivals"]["rate"] = 9.0
    spec["activities"]["Serve"]["duration"]["mean"] = mean_service_h
    return load_model(spec)


def twin_model() -> tuple[Model, KpiConfig]:
    """The demo desk's twin and the demo's KPI config."""
    log = so.read_log(generate_service_desk(cases=1500, seed=11).events)
    return discover_model(log, calendars=True), load_config(KPI, log)


def _relabel(log: so.EventLog, tag: str) -> pa.Table:
    t = log.to_arrow("events")
    ids = pa.array([f"{tag}-{c}" for c in t.column("case_id").to_pylist()])
    return t.set_column(t.schema.get_field_index("case_id"), "case_id", ids)


def steady(events: pa.Table) -> tuple[so.EventLog, datetime]:
    """The cases arriving after the warm-up, and the middle arrival among them."""
    first = events.group_by("case_id").aggregate([("timestamp", "min")])
    start = pc.min(first.column("timestamp_min")).as_py() + WARMUP
    keep = first.filter(pc.greater_equal(first.column("timestamp_min"), start))
    kept = events.filter(pc.is_in(events.column("case_id"), keep.column("case_id")))
    arrivals = sorted(keep.column("timestamp_min").to_pylist())
    return so.read_log(kept), arrivals[len(arrivals) // 2]


def aa_log(model: Model, cases: int, seed: int) -> tuple[so.EventLog, datetime]:
    """One run of ``model`` with no change, after the warm-up; the split time."""
    return steady(simulate(model, cases=cases, seed=seed).log.to_arrow("events"))


def planted_log(
    model: Model, changed: Model, cases: int, seed: int
) -> tuple[so.EventLog, datetime]:
    """``cases`` of ``model`` then ``cases`` of ``changed``; the change time."""
    before = simulate(model, cases=cases, seed=seed).log
    at = before.fetchone('SELECT max("timestamp") FROM events')[0] + timedelta(hours=1)
    after = simulate(replace(changed, start=at), cases=cases, seed=seed + 1).log
    both = pa.concat_tables(
        [_relabel(before, "b"), _relabel(after, "a")], promote_options="default"
    )
    log, _ = steady(both)
    return log, at


def significant(
    log: so.EventLog,
    at: datetime,
    metric: str,
    dependence: str,
    seed: int,
    n_resamples: int,
    config: KpiConfig | None = None,
) -> dict[str, int]:
    """Per statistic: -1 / +1 when the interval lies below / above 0, else 0."""
    r = before_after(
        log,
        at,
        metric,
        config=config,
        mix=[],
        seed=seed,
        n_resamples=n_resamples,
        dependence=dependence,  # type: ignore[arg-type]
    )
    return {
        k: (0 if not iv.excludes(0.0) else (1 if iv.low > 0 else -1))
        for k, iv in r.effects.items()
    }


def rate(k: int, n: int) -> str:
    """``k/n`` with its Clopper–Pearson 95 % interval."""
    lo, hi = stats.binomtest(k, n).proportion_ci(0.95)
    return f"{k / n:.3f} [{lo:.2f}-{hi:.2f}]"


def aa_study(
    queue: str, seeds: int, n_resamples: int, first_seed: int = 1000
) -> dict[tuple[str, str, str], int]:
    """A/A false positives: (metric, statistic, dependence) -> runs called significant."""
    metrics: tuple[str, ...] = ("lead_time",)
    if queue == "mmc":
        model, cfg, cases = mmc_model(), None, CASES_MMC
    else:
        model, cfg = twin_model()
        cases, metrics = CASES_TWIN, ("lead_time", "first_response", "reopened")
    hits: dict[tuple[str, str, str], int] = {}
    for s in range(seeds):
        log, at = aa_log(model, cases, first_seed + s)
        for metric in metrics:
            for dep in DEPENDENCE:
                for stat, sig in significant(
                    log, at, metric, dep, s, n_resamples, cfg
                ).items():
                    key = (metric, stat, dep)
                    hits[key] = hits.get(key, 0) + int(sig != 0)
    return hits


def power_study(
    queue: str, seeds: int, n_resamples: int
) -> dict[tuple[str, str, str], int]:
    """Planted improvement found (interval below 0): (metric, stat, dep) -> runs."""
    if queue == "mmc":
        model, cfg = mmc_model(), None
        changed, cases, metric = mmc_model(0.9), CASES_MMC // 2, "lead_time"
    else:
        model, cfg = twin_model()
        after_resolved = model.routing.by_visit.get("Resolved", {}).get(1)
        p0 = float((after_resolved or model.routing.successors("Resolved"))["Reopened"])
        changed = apply_scenario(
            model,
            {
                "edits": [
                    {"routing": {"from": "Resolved", "to": "Reopened", "p": p0 - 0.05}}
                ]
            },
        )
        cases, metric = CASES_TWIN // 2, "reopened"
    found: dict[tuple[str, str, str], int] = {}
    for s in range(seeds):
        log, at = planted_log(model, changed, cases, 5000 + 2 * s)
        for dep in DEPENDENCE:
            for stat, sig in significant(
                log, at, metric, dep, s, n_resamples, cfg
            ).items():
                key = (metric, stat, dep)
                found[key] = found.get(key, 0) + int(sig < 0)
    return found


def main() -> None:
    """Print the A/A false-positive rates and the power, per queue and resampling."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=100, help="A/A runs per queue")
    ap.add_argument("--power-seeds", type=int, default=40, help="runs with a change")
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--queues", default="mmc,twin")
    args = ap.parse_args()
    t0 = time.perf_counter()
    for queue in args.queues.split(","):
        hits = aa_study(queue, args.seeds, args.resamples)
        print(f"\n{queue}: A/A, {args.seeds} runs, share called significant at 5 %")
        print("| metric | statistic | " + " | ".join(DEPENDENCE) + " |")
        print("|---|---|" + "---|" * len(DEPENDENCE))
        for metric, stat in dict.fromkeys((m, s) for m, s, _ in hits):
            cells = [rate(hits[(metric, stat, d)], args.seeds) for d in DEPENDENCE]
            print(f"| {metric} | {stat} | " + " | ".join(cells) + " |")
        if args.power_seeds:
            found = power_study(queue, args.power_seeds, args.resamples)
            print(f"\n{queue}: planted improvement, {args.power_seeds} runs, power")
            print("| metric | statistic | " + " | ".join(DEPENDENCE) + " |")
            print("|---|---|" + "---|" * len(DEPENDENCE))
            for metric, stat in dict.fromkeys((m, s) for m, s, _ in found):
                cells = [
                    rate(found[(metric, stat, d)], args.power_seeds) for d in DEPENDENCE
                ]
                print(f"| {metric} | {stat} | " + " | ".join(cells) + " |")
        print(f"({time.perf_counter() - t0:.0f} s so far)", flush=True)


if __name__ == "__main__":
    main()
