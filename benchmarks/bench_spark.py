"""BPIC 2012 x N on Spark and on DuckDB: the same analyses, one run, results compared.

    .venv/bin/python benchmarks/bench_spark.py --times 100 --master 'local[2]' \
        --driver-memory 8g [--engines duckdb,spark] [--json out.json]

The input is ``benchmarks/make_data.py --parquet N``: BPIC 2012 (262,200 events,
13,087 cases, start/complete/schedule lifecycles) copied N times with unique case ids,
each copy shifted by whole weeks, written by ``servops export --parquet`` partitioned by
month. Both engines read that folder: DuckDB through ``servops.read_log`` (the files
into an in-memory table), Spark through ``read_spark_log`` (a cached DataFrame, start
and complete events paired by Spark). The analyses: ``info``, the DFG, variants,
activity times, KPIs by month (one SQL statement, no SLA) and the SLA report (the
per-case pass on the engine, the business-calendar arithmetic in Spark's Python
workers as an Arrow UDF, the small per-policy summary on the driver). Every result of
Spark is compared with DuckDB's (counts exact, durations to 1e-9 relative) before the
times are printed. Wall times; ``--repeat K`` runs each engine K times (a fresh Spark
session each) and reports the median (the machine is shared: see RESULTS.md).

Where Spark's time goes and how it would scale (issue 20)::

    .venv/bin/python benchmarks/bench_spark.py --times 1 --engines spark --profile

``--profile`` writes Spark's event log (a temporary folder) and prints, per analysis,
the jobs, stages and tasks, the time in the driver and in tasks, and an Amdahl estimate
for 1, 2, 4 and 8 executor cores (:mod:`benchmarks.spark_profile`), from the run's
``local[N]`` cores (``--master spark://host:7077`` runs on a cluster; its profile is
read as if from one core).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.unit.spark.test_parity import assert_same, plain  # noqa: E402

import servops as so  # noqa: E402
from benchmarks.make_data import replicated_bpic2012_parquet  # noqa: E402
from benchmarks.spark_profile import event_log_conf, profile  # noqa: E402
from servops.kpi.calendar import BusinessCalendar  # noqa: E402
from servops.kpi.config import KpiConfig, SlaPolicy  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable

OFFICE = BusinessCalendar.from_spec(
    {
        "timezone": "Europe/Amsterdam",
        "hours": {"mon-fri": "08:00-18:00"},
        "holidays": ["2011-12-25", "2011-12-26", "2012-01-01", "2012-12-25"],
    },
    name="office",
)
#: BPIC 2012's loan applications: the pre-acceptance answers the customer, a decision
#: (approved, declined, cancelled) resolves and closes the application.
DECIDED = ("A_APPROVED", "A_DECLINED", "A_CANCELLED")
PLAIN = KpiConfig(
    first_response=("A_PREACCEPTED",),
    resolved=DECIDED,
    closed=DECIDED,
    timezone="Europe/Amsterdam",
)
SLA = KpiConfig(
    first_response=("A_PREACCEPTED",),
    resolved=DECIDED,
    closed=DECIDED,
    timezone="Europe/Amsterdam",
    calendars=(OFFICE,),
    policies=(SlaPolicy("application", (), 8 * 3600.0, 100 * 3600.0, OFFICE),),
)


def _info(log: so.EventLog) -> dict[str, Any]:
    d = log.info().to_dict()
    del d["source"], d["notes"]
    return d


ANALYSES: dict[str, Callable[[so.EventLog], Any]] = {
    "info": _info,
    "dfg": so.mining.discover_dfg,
    "variants": so.mining.variants,
    "activity_times": so.mining.activity_times,
    "kpis_by_month": lambda log: so.kpi.compute_kpis(log, PLAIN, by="month"),
    "sla_report": lambda log: so.kpi.sla_report(log, SLA),
}


def run_engine(
    engine: str,
    data: Path,
    master: str,
    driver_memory: str,
    *,
    partitions: str | None = None,
    profile_dir: Path | None = None,
) -> tuple[dict[str, float], dict[str, Any]]:
    """Seconds per step and the results (as plain data) of one engine.

    ``partitions`` overrides ``spark.sql.shuffle.partitions`` (default: the session's);
    with ``profile_dir`` the Spark session writes its event log there and each step's
    jobs are tagged with the step's name (a job group).
    """
    times: dict[str, float] = {}
    results: dict[str, Any] = {}
    t0 = time.perf_counter()
    if engine == "duckdb":
        log = so.read_log(data)
        log.n_events()
    else:
        from servops.log.spark import read_spark_log, spark_session

        config = {"spark.driver.memory": driver_memory}
        if partitions is not None:
            config["spark.sql.shuffle.partitions"] = partitions
        if profile_dir is not None:
            config |= event_log_conf(profile_dir)
        spark = spark_session(master, config=config)
        spark.sparkContext.setLogLevel("ERROR")
        times["session"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        spark.sparkContext.setJobGroup("read", "read")
        log = read_spark_log(str(data), spark=spark)
    times["read"] = time.perf_counter() - t0
    for name, analysis in ANALYSES.items():
        if engine == "spark":
            spark.sparkContext.setJobGroup(name, name)
        t = time.perf_counter()
        results[name] = plain(analysis(log))
        times[name] = time.perf_counter() - t
        print(f"{engine} {name}: {times[name]:.1f} s", file=sys.stderr, flush=True)
    if engine == "spark":
        spark.stop()
    del log
    gc.collect()
    return times, results


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def main() -> None:
    """Run the benchmark and print its figures as JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--times", type=int, default=100)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--driver-memory", default="8g")
    ap.add_argument("--engines", default="duckdb,spark")
    ap.add_argument("--repeat", type=int, default=1, help="runs per engine (median)")
    ap.add_argument("--shuffle-partitions", default=None)
    ap.add_argument("--profile", action="store_true", help="Spark event-log profile")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    t = time.perf_counter()
    data = replicated_bpic2012_parquet(args.times)
    manifest = json.loads((data / "_servops.json").read_text())
    print(f"data {data}: {time.perf_counter() - t:.1f} s", file=sys.stderr)
    out = _run(args, data, args.master, manifest)
    text = json.dumps(out, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n", encoding="utf-8")


def _run(
    args: argparse.Namespace, data: Path, master: str, manifest: dict[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "times": args.times,
        "events": manifest["events"],
        "cases": manifest["cases"],
        "files": len(manifest["files"]),
        "master": master,
        "driver_memory": args.driver_memory,
        "shuffle_partitions": args.shuffle_partitions or "session default",
        "repeat": args.repeat,
        "load_before": round(os.getloadavg()[0], 1),
    }
    results: dict[str, Any] = {}
    cores = _local_cores(master)
    for engine in args.engines.split(","):
        runs = []
        for i in range(args.repeat):
            prof = None
            if engine == "spark" and args.profile and i == args.repeat - 1:
                prof = Path(tempfile.mkdtemp(prefix="servops-spark-events-"))
            secs, results[engine] = run_engine(
                engine,
                data,
                master,
                args.driver_memory,
                partitions=args.shuffle_partitions,
                profile_dir=prof,
            )
            runs.append(secs)
            if prof is not None:
                steps = {k: v for k, v in secs.items() if k != "session"}
                out["profile"] = profile(prof, steps, run_cores=cores)
                shutil.rmtree(prof, ignore_errors=True)
        secs = _median(runs)
        out[engine] = {k: round(v, 2) for k, v in secs.items()}
        out[engine]["analyses_total"] = round(
            sum(v for k, v in secs.items() if k in ANALYSES), 2
        )
        if args.repeat > 1:
            out[engine]["runs_analyses_total"] = [
                round(sum(v for k, v in r.items() if k in ANALYSES), 2) for r in runs
            ]
    out["load_after"] = round(os.getloadavg()[0], 1)
    if "duckdb" in results and "spark" in results:
        for name in ANALYSES:
            assert_same(results["duckdb"][name], results["spark"][name], name)
        out["equal"] = list(ANALYSES)
    return out


def _local_cores(master: str) -> int:
    """The executor cores of a ``local[N]`` master (``local[*]``: this machine's)."""
    if master == "local":
        return 1
    inner = master.removeprefix("local[").rstrip("]")
    if inner == "*":
        return os.cpu_count() or 1
    return int(inner) if inner.isdigit() else 1


if __name__ == "__main__":
    main()
