"""Benchmark inputs: BPIC 2012 replicated N times as CSV, with renamed case ids.

``python benchmarks/make_data.py 20`` writes ``benchmarks/_data/bpic2012_x20.csv`` (5.24 M
events); 100 gives 26.2 M. ``--parquet`` writes the servops Parquet export instead
(``bpic2012_x100_parquet/``, Hive-partitioned by month, copies shifted by whole weeks).
Files are cached: a second call returns at once.
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


def replicated_bpic2012_parquet(times: int) -> Path:
    """Write (once) BPIC 2012 replicated ``times`` times as a servops Parquet export.

    Copy ``k`` of case ``c`` gets case id ``c_k``, its events ``k`` weeks later (whole
    weeks keep weekdays and hours, so business-time SLAs behave alike in every copy) and
    event indexes after the previous copy's. Start and complete events are paired as
    servops pairs them, then the copies are written by :func:`write_parquet`
    partitioned by month: ``benchmarks/_data/bpic2012_x{times}_parquet``.
    """
    from dataclasses import replace

    import servops as so
    from servops.log import EventLog
    from servops.log.export import write_parquet
    from servops.log.export_format import is_export
    from servops.log.lifecycle import instances_sql

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"bpic2012_x{times}_parquet"
    if is_export(path):
        return path
    log = so.read_log(BPIC2012)
    _ = log.stored_instances_sql  # pair start and complete events once, in the copy
    con = log.con
    top = log.fetchone("SELECT max(event_index) FROM events")[0]
    con.execute(
        f"""
        CREATE TABLE rep AS
        SELECT * EXCLUDE (k) REPLACE (
            case_id || '_' || CAST(k AS VARCHAR) AS case_id,
            "timestamp" + to_days(CAST(7 * k AS INTEGER)) AS "timestamp",
            start_timestamp + to_days(CAST(7 * k AS INTEGER)) AS start_timestamp,
            event_index + k * {int(top)} AS event_index)
        FROM events, (SELECT range AS k FROM range({times}))
        ORDER BY k, event_index
        """
    )
    copies = EventLog(
        con,
        "rep",
        instances_sql("rep"),
        replace(log.meta, source=f"BPIC 2012 x{times}", name=f"bpic2012_x{times}"),
    )
    write_parquet(copies, path, partition_by="month")
    con.execute("DROP TABLE rep")
    return path


if __name__ == "__main__":
    args = sys.argv[1:]
    parquet = "--parquet" in args
    for arg in [a for a in args if a != "--parquet"] or ["20"]:
        make = replicated_bpic2012_parquet if parquet else replicated_bpic2012_csv
        print(make(int(arg)))
