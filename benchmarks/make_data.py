"""Benchmark inputs: BPIC 2012 replicated N times as CSV, with renamed case ids.

``python benchmarks/make_data.py 20`` writes ``benchmarks/_data/bpic2012_x20.csv`` (5.24 M
events); 100 gives 26.2 M. Files are cached: a second call returns at once.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from servops.io import read_xes_arrow

if TYPE_CHECKING:
    import pyarrow as pa

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "_data"
SHARED = ROOT.parents[1] / "shared" / "data" / "eventlogs"
BPIC2012 = SHARED / "bpic2012.xes.gz"


def replicated_bpic2012_csv(times: int) -> Path:
    """Write (once) BPIC 2012 replicated ``times`` times as CSV and return its path.

    Copy ``k`` of case ``c`` gets case id ``c_k``; timestamps are ISO 8601 in UTC; columns
    keep their XES names (``case:concept:name``, ``concept:name``, ``time:timestamp``…).
    """
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"bpic2012_x{times}.csv"
    if path.exists():
        return path
    table: pa.Table = read_xes_arrow(BPIC2012)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("src_arrow", table)
    con.execute(
        "CREATE TABLE src AS SELECT *, row_number() OVER () AS rn FROM src_arrow"
    )
    con.execute(f"CREATE TABLE reps AS SELECT range AS k FROM range({times})")
    tmp = path.with_suffix(".tmp")
    con.execute(
        f"""
        COPY (
          SELECT s."case:concept:name" || '_' || CAST(r.k AS VARCHAR) AS "case:concept:name",
                 s."concept:name", s."lifecycle:transition",
                 strftime(s."time:timestamp", '%Y-%m-%dT%H:%M:%S.%g+00:00') AS "time:timestamp",
                 s."org:resource", s."case:AMOUNT_REQ"
          FROM reps r, src s
          ORDER BY r.k, s.rn
        ) TO '{tmp}' (HEADER, DELIMITER ',')
        """
    )
    con.close()
    tmp.rename(path)
    return path


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["20"]:
        print(replicated_bpic2012_csv(int(arg)))
