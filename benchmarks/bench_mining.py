"""Import + DFG + performance DFG + variants: servops vs PM4Py on replicated BPIC 2012.

Usage::

    /work/venv/bin/python benchmarks/bench_mining.py            # x20 (5.2 M events), 3 runs
    /work/venv/bin/python benchmarks/bench_mining.py 100 --runs 1   # x100 (26 M events)

Each side runs in its own subprocess (one per run); peak memory is that process's
maximum resident set size from ``os.wait4``. The sides run one after the other, never in
parallel. PM4Py's pipeline is the documented one: ``pandas.read_csv`` +
``pm4py.format_dataframe`` + ``discover_dfg`` + ``discover_performance_dfg`` +
``get_variants``. servops: ``read_log`` (CSV into in-memory DuckDB, lifecycle pairing)
+ ``discover_dfg`` (frequency and performance in one pass) + ``variants``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _csv(times: int) -> Path:
    sys.path.insert(0, str(ROOT.parent))
    from benchmarks.make_data import replicated_bpic2012_csv

    return replicated_bpic2012_csv(times)


def worker_servops(path: Path) -> dict[str, float]:
    import servops as so
    from servops.log.engine import connect
    from servops.log.read import read_log_with_report

    out: dict[str, float] = {}
    t0 = time.perf_counter()
    con = connect()
    limit = os.environ.get("SERVOPS_BENCH_MEMORY_LIMIT")
    if limit:  # let DuckDB spill to disk instead of holding everything in RAM
        tmp = ROOT / "_data" / "duckdb_tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET memory_limit = '{limit}'")
        con.execute(f"SET temp_directory = '{tmp}'")
    log, _ = read_log_with_report(path, con=con)
    out["import"] = time.perf_counter() - t0
    t = time.perf_counter()
    dfg = so.mining.discover_dfg(log)
    out["dfg+perf_dfg"] = time.perf_counter() - t
    t = time.perf_counter()
    v = so.mining.variants(log)
    out["variants"] = time.perf_counter() - t
    out["total"] = time.perf_counter() - t0
    out["edges"] = len(dfg.edges)
    out["variants_n"] = len(v)
    out["events"] = log.n_events()
    return out


def worker_pm4py(path: Path) -> dict[str, float]:
    import warnings

    warnings.filterwarnings("ignore")
    import pandas as pd
    import pm4py

    out: dict[str, float] = {}
    t0 = time.perf_counter()
    df = pd.read_csv(path, keep_default_na=False, dtype={"case:concept:name": str})
    out["read_csv"] = time.perf_counter() - t0
    t = time.perf_counter()
    df = pm4py.format_dataframe(
        df,
        case_id="case:concept:name",
        activity_key="concept:name",
        timestamp_key="time:timestamp",
    )
    out["format_dataframe"] = time.perf_counter() - t
    t = time.perf_counter()
    dfg, _, _ = pm4py.discover_dfg(df)
    out["dfg"] = time.perf_counter() - t
    t = time.perf_counter()
    pm4py.discover_performance_dfg(df)
    out["perf_dfg"] = time.perf_counter() - t
    t = time.perf_counter()
    v = pm4py.get_variants(df)
    out["variants"] = time.perf_counter() - t
    out["total"] = time.perf_counter() - t0
    out["edges"] = len(dfg)
    out["variants_n"] = len(v)
    out["events"] = len(df)
    return out


def run_side(side: str, path: Path) -> dict[str, float]:
    """Run one side in a fresh process; add its peak RSS in GB."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--worker", side, str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        msg = f"{side} worker failed with exit code {proc.returncode}"
        raise RuntimeError(msg)
    res: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    res["peak_gb"] = usage.ru_maxrss / 1024 / 1024  # ru_maxrss is in KiB on Linux
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("times", nargs="?", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sides", default="servops,pm4py")
    ap.add_argument("--worker", nargs=2, metavar=("SIDE", "CSV"))
    ap.add_argument("--memory-limit", help="DuckDB memory_limit for servops, e.g. 3GB")
    args = ap.parse_args()
    if args.memory_limit:
        os.environ["SERVOPS_BENCH_MEMORY_LIMIT"] = args.memory_limit
    if args.worker:
        side, csv = args.worker
        fn = worker_servops if side == "servops" else worker_pm4py
        print(json.dumps(fn(Path(csv))), flush=True)
        return
    path = _csv(args.times)
    print(f"data: {path} ({path.stat().st_size / 1e9:.2f} GB)")
    results: dict[str, list[dict[str, float]]] = {}
    for side in args.sides.split(","):
        for i in range(args.runs):
            r = run_side(side, path)
            results.setdefault(side, []).append(r)
            print(
                f"{side} run {i + 1}: "
                + ", ".join(
                    f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in r.items()
                ),
                flush=True,
            )
    med = {
        s: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
        for s, rs in results.items()
    }
    for s, m in med.items():
        print(
            f"median {s}: total {m['total']:.1f} s, peak {m['peak_gb']:.2f} GB, "
            f"{int(m['events']):,} events, {int(m['edges'])} edges, "
            f"{int(m['variants_n'])} variants"
        )
    if "servops" in med and "pm4py" in med:
        a, b = med["servops"], med["pm4py"]
        print(
            f"speed-up {b['total'] / a['total']:.1f}x; "
            f"memory ratio {a['peak_gb'] / b['peak_gb']:.2f} (servops / pm4py)"
        )


if __name__ == "__main__":
    main()
