"""The least each step of the mining pipeline can cost in DuckDB, on replicated BPIC 2012.

Usage::

    /work/venv/bin/python benchmarks/bench_floor.py            # x20 (5.2 M events)
    /work/venv/bin/python benchmarks/bench_floor.py 20 --runs 5

Issue 3 asks for import + DFG + performance DFG + variants at least 10x faster than
PM4Py's pipeline (30.8 s at x20 in ../shared/ANCHORS.md, so about 3 s). This measures
bare versions of the steps servops cannot do without, with nothing of servops' own
(no validation, no attribute typing, no quantiles, no case counts):

* ``parse``: pyarrow's multi-threaded CSV reader, timestamps parsed (the fastest reader
  at hand; a lower bound for any reader);
* ``store``: DuckDB copying that already parsed Arrow table into a table (where every
  servops log lives, so that every analysis is SQL);
* ``compress``: the checkpoint that compresses it (without it the stored log alone takes
  about a third of PM4Py's peak memory and the memory goal is missed);
* ``pairing``, ``dfg``, ``variants``: one bare window (or ordered aggregate) over the
  events or the instances, as each analysis needs at least once.

Each step is timed on its own connection state; the figure is the median of ``--runs``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _csv(times: int) -> Path:
    sys.path.insert(0, str(ROOT.parent))
    from benchmarks.make_data import replicated_bpic2012_csv

    return replicated_bpic2012_csv(times)


STEPS = {
    "pairing": """
        SELECT count(prev), max(prev_ts) FROM (
          SELECT lag(lifecycle) OVER w AS prev, lag("timestamp") OVER w AS prev_ts
          FROM events WHERE lifecycle IN ('START', 'COMPLETE') AND activity IN (
            SELECT DISTINCT activity FROM events WHERE lifecycle = 'START')
          WINDOW w AS (PARTITION BY case_id, activity ORDER BY "timestamp", event_index))
        """,
    "dfg": """
        SELECT activity, nxt, count(*), avg(d) FROM (
          SELECT activity, lead(activity) OVER w AS nxt,
            epoch_us(lead("timestamp") OVER w) - epoch_us("timestamp") AS d
          FROM events WHERE lifecycle = 'COMPLETE'
          WINDOW w AS (PARTITION BY case_id ORDER BY "timestamp", event_index))
        GROUP BY ALL""",
    "variants": """
        SELECT trace, count(*) FROM (
          SELECT case_id, string_agg(activity, ',' ORDER BY "timestamp", event_index)
            AS trace
          FROM events WHERE lifecycle = 'COMPLETE' GROUP BY case_id)
        GROUP BY trace""",
}


def run_once(path: Path) -> dict[str, float]:
    import duckdb
    import pyarrow as pa
    import pyarrow.csv as pacsv

    out: dict[str, float] = {}
    t = time.perf_counter()
    table = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types={"time:timestamp": pa.timestamp("ms", tz="UTC")}
        ),
    )
    out["parse"] = time.perf_counter() - t
    table = table.append_column("event_index", pa.array(range(table.num_rows)))
    table = table.rename_columns(
        [
            "case_id",
            "activity",
            "lifecycle",
            "timestamp",
            "resource",
            "amount",
            "event_index",
        ]
    )
    con = duckdb.connect()
    con.register("parsed", table)
    t = time.perf_counter()
    con.execute("CREATE TABLE events AS SELECT * FROM parsed")
    out["store"] = time.perf_counter() - t
    con.unregister("parsed")
    del table
    t = time.perf_counter()
    con.execute("CHECKPOINT")
    out["compress"] = time.perf_counter() - t
    for name, sql in STEPS.items():
        t = time.perf_counter()
        con.execute(sql).fetchall()
        out[name] = time.perf_counter() - t
    out["total"] = sum(out.values())
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("times", nargs="?", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    path = _csv(args.times)
    runs = [run_once(path) for _ in range(args.runs)]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"data: {path}; median of {args.runs} runs")
    for k, v in med.items():
        print(f"  {k:<9} {v:6.2f} s")
    print(
        f"floor {med['total']:.2f} s; 10x of PM4Py's 30.8 s (ANCHORS.md) is 3.08 s; "
        f"PM4Py / floor = {30.8 / med['total']:.1f}x at most"
    )


if __name__ == "__main__":
    main()
