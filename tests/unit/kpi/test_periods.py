"""Period keys by offset arithmetic against DuckDB's own time-zone conversion; the
one-statement KPI path against the path through the per-case table."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from servops.kpi import case_metrics, compute_kpis
from servops.kpi.periods import (
    key_dates,
    local_day_sql,
    period_key_sql,
    step_sql,
    utc_offsets,
)
from tests.unit.kpi.conftest import demo_config

ZONES = [
    "Europe/Amsterdam",
    "America/New_York",
    "Australia/Lord_Howe",  # half-hour DST shift
    "Asia/Kathmandu",  # +05:45, no DST
    "America/Santiago",  # southern-hemisphere DST, transitions at local midnight
    "UTC",
]


def test_amsterdam_transitions_are_exact():
    edges, offs = utc_offsets("Europe/Amsterdam", 2024, 2024)
    got = [datetime.fromtimestamp(e, UTC) for e in edges]
    assert got == [
        datetime(2024, 3, 31, 1, tzinfo=UTC),
        datetime(2024, 10, 27, 1, tzinfo=UTC),
    ]
    assert offs == (3600, 7200, 3600)
    assert utc_offsets("UTC", 2020, 2030) == ((), (0,))


def test_step_sql_is_a_lookup():
    con = duckdb.connect()
    sql = step_sql("x", [10, 20, 30], [0, 1, 2, 3])
    got = con.execute(
        f"SELECT x, {sql} FROM (VALUES (-5), (9), (10), (19), (20), (30), (99)) t(x) "
        "ORDER BY x"
    ).fetchall()
    assert [v for _, v in got] == [0, 0, 1, 1, 2, 3, 3]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("by", ["day", "week", "month"])
def test_period_keys_equal_duckdb_time_zones(zone, by):
    rng = np.random.default_rng(3)
    lo = datetime(2023, 12, 25, tzinfo=UTC).timestamp()
    hi = datetime(2025, 1, 8, tzinfo=UTC).timestamp()
    secs = rng.uniform(lo, hi, 4000)
    # every transition, a second before and at it, and local midnights around it
    edges, _ = utc_offsets(zone, 2023, 2025)
    extra = [e + d for e in edges for d in (-3601, -1, 0, 1, 1800, 3600)]
    us = (np.concatenate([secs, extra]) * 1e6).astype(np.int64)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    t = pa.table({"ts": pa.array(us, pa.timestamp("us", tz="UTC"))})
    con.register("t", t)
    day = local_day_sql("e", zone, 2023, 2025)
    key = period_key_sql("d", by, 2023, 2025)
    ours = con.sql(
        f"SELECT {key} FROM (SELECT *, {day} AS d FROM "
        "(SELECT *, epoch_us(ts) / 1e6 AS e FROM t))"
    ).to_arrow_table()
    mine = key_dates(ours.column(0), by).to_pylist()
    theirs = con.execute(
        f"SELECT CAST(date_trunc('{by}', timezone('{zone}', ts)) AS DATE) FROM t"
    ).fetchall()
    assert mine == [r[0] for r in theirs]


def test_null_stays_null():
    con = duckdb.connect()
    for by in ("day", "week", "month", None):
        key = period_key_sql("d", by, 2024, 2024)
        assert con.execute(
            f"SELECT {key} FROM (SELECT NULL::BIGINT AS d)"
        ).fetchall() == [(None,)]


@pytest.mark.parametrize("by", ["day", "week", "month", None])
@pytest.mark.parametrize("segment", [None, "priority", "reopened", "fcr"])
def test_one_statement_path_equals_the_per_case_path(synth_log, by, segment):
    cfg = demo_config(sla=[], timezone="Europe/Amsterdam")
    fast = compute_kpis(synth_log, cfg, by=by, segment=segment)
    slow = compute_kpis(
        synth_log, cfg, by=by, segment=segment, cases=case_metrics(synth_log, cfg)
    )
    assert fast.column_names == slow.column_names
    assert fast.schema == slow.schema
    for name in fast.column_names:
        a, b = fast.column(name).to_pylist(), slow.column(name).to_pylist()
        if name.endswith(("_s", "_rate", "_mean")):
            assert a == pytest.approx(b, nan_ok=True), name
        else:
            assert a == b, name
