"""The one period module: local period keys, grids, labels and censored periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import servops as so
from servops.errors import InvalidParameterError
from servops.kpi import compute_kpis
from servops.log.periods import (
    PERIODS,
    activity_profile,
    bucket_sql,
    censored_periods,
    interval_key_sql,
    key_starts,
    log_censored,
    log_span,
    period_end,
    period_grid,
    period_key_sql,
    period_label,
    period_start,
    utc_offsets,
)

ZONES = ["Europe/Amsterdam", "America/New_York", "Asia/Kathmandu", "UTC"]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("by", PERIODS)
def test_bucket_sql_equals_duckdb_date_trunc(zone, by):
    rng = np.random.default_rng(5)
    lo = datetime(2023, 12, 20, tzinfo=UTC).timestamp()
    hi = datetime(2025, 1, 10, tzinfo=UTC).timestamp()
    edges, _ = utc_offsets(zone, 2023, 2025)
    secs = np.concatenate(
        [
            rng.uniform(lo, hi, 3000),
            [e + d for e in edges for d in (-3601, -1, 0, 1, 3600)],
        ]
    )
    us = (secs * 1e6).astype(np.int64)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("t", pa.table({"ts": pa.array(us, pa.timestamp("us", tz="UTC"))}))
    key = bucket_sql("e", by, zone, 2023, 2025)
    keys = [
        r[0]
        for r in con.execute(
            f"SELECT {key} FROM (SELECT epoch_us(ts) / 1e6 AS e FROM t)"
        ).fetchall()
    ]
    theirs = con.execute(
        f"SELECT date_trunc('{by}', timezone('{zone}', ts)) FROM t"
    ).fetchall()
    assert key_starts(keys, by) == [r[0] for r in theirs]


@given(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1)),
    st.sampled_from(PERIODS),
)
@settings(max_examples=200, deadline=None)
def test_a_moment_lies_in_its_period(moment, by):
    start = period_start(moment, by)
    assert start <= moment < period_end(start, by)
    assert period_start(start, by) == start
    grid = period_grid(start, period_end(period_end(start, by), by), by)
    assert grid == [start, period_end(start, by), period_end(period_end(start, by), by)]


NO_WARMUP = timedelta(0)


def test_grid_and_labels_by_hand():
    assert period_grid(date(2024, 2, 28), date(2024, 3, 1), "day") == [
        datetime(2024, 2, 28),
        datetime(2024, 2, 29),
        datetime(2024, 3, 1),
    ]
    assert period_grid(date(2024, 12, 31), date(2025, 1, 8), "week") == [
        datetime(2024, 12, 30),
        datetime(2025, 1, 6),
    ]
    assert [
        period_label(d, "quarter")
        for d in period_grid(date(2024, 11, 5), date(2025, 4, 1), "quarter")
    ] == ["2024-Q4", "2025-Q1", "2025-Q2"]
    assert period_label(datetime(2024, 3, 4, 9), "hour") == "2024-03-04 09:00"
    assert period_label(datetime(2024, 3, 4), "week") == "2024-03-04"


def test_hour_keys_need_the_time_of_day():
    with pytest.raises(InvalidParameterError, match="bucket_sql"):
        period_key_sql("d", "hour", 2024, 2024)


def test_censored_periods_by_hand():
    first, last = datetime(2024, 3, 6, 9), datetime(2024, 3, 21, 17)  # Wed .. Thu
    weeks = [datetime(2024, 3, 4), datetime(2024, 3, 11), datetime(2024, 3, 18)]
    assert censored_periods(weeks, "week", first, last) == [True, False, True]
    days = [datetime(2024, 3, 6), datetime(2024, 3, 21)]
    assert censored_periods(days, "day", first, last) == [False, False]
    hours = [
        datetime(2024, 3, 6, 8),
        datetime(2024, 3, 6, 9),
        datetime(2024, 3, 21, 17),
    ]
    assert censored_periods(hours, "hour", first, last) == [True, False, False]
    months = [date(2024, 3, 1)]
    assert censored_periods(months, "month", first, last) == [True]
    assert censored_periods(weeks, "week", None, None) == [False, False, False]


def _weekly_log(zone_offset_h: int = 0) -> so.EventLog:
    """Two cases a day from Monday 2024-03-04 to Thursday 2024-03-21 (UTC)."""
    rows: dict[str, list[object]] = {"case": [], "act": [], "ts": []}
    t0 = datetime(2024, 3, 4, 9, tzinfo=UTC) - timedelta(hours=zone_offset_h)
    for d in range(18):
        for j in range(2):
            start = t0 + timedelta(days=d, hours=2 * j)
            for act, h in (("Ticket created", 0.0), ("Closed", 1.0)):
                rows["case"].append(f"c{d}-{j}")
                rows["act"].append(act)
                rows["ts"].append(start + timedelta(hours=h))
    return so.EventLog.from_arrow(
        pa.table(rows), columns=so.ColumnMap("case", "act", "ts")
    )


def test_compute_kpis_flags_the_cut_last_week():
    log = _weekly_log()
    first, last = log_span(log, "UTC")
    assert first == datetime(2024, 3, 4, 9)
    assert last == datetime(2024, 3, 21, 12)
    rows = compute_kpis(log, by="week").to_pylist()
    assert [(r["period"], r["cases"], r["censored"]) for r in rows] == [
        ("2024-03-04", 14, False),
        ("2024-03-11", 14, False),
        ("2024-03-18", 8, True),
    ]
    assert [r["censored"] for r in compute_kpis(log, by="day").to_pylist()] == [
        False
    ] * 18
    assert compute_kpis(log, by=None).to_pylist()[0]["censored"] is False


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("step", [900, 1800, 3600, 86400])
def test_interval_keys_equal_duckdb_local_time(zone, step):
    rng = np.random.default_rng(11)
    lo = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
    hi = datetime(2024, 12, 31, tzinfo=UTC).timestamp()
    edges, _ = utc_offsets(zone, 2024, 2024)
    secs = np.concatenate(
        [rng.uniform(lo, hi, 2000), [e + d for e in edges for d in (-1, 0, 1)]]
    )
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    us = pa.array((secs * 1e6).astype(np.int64), pa.timestamp("us", tz="UTC"))
    con.register("t", pa.table({"ts": us}))
    key = interval_key_sql("e", step, zone, 2024, 2024)
    got = con.execute(
        f"SELECT {key}, CAST(floor(epoch_us(timezone('{zone}', ts)) / 1e6 / {step}) "
        "AS BIGINT) FROM (SELECT ts, epoch_us(ts) / 1e6 AS e FROM t)"
    ).fetchall()
    assert [a for a, _ in got] == [b for _, b in got]


def test_kpi_command_marks_the_partial_week(tmp_path):
    import json

    import pyarrow.csv as pacsv
    from typer.testing import CliRunner

    from servops.cli.main import app

    path = tmp_path / "t.csv"
    pacsv.write_csv(
        _weekly_log()
        .query(
            'SELECT case_id AS "case", activity AS act, "timestamp" AS ts FROM events'
        )
        .to_arrow_table(),
        path,
    )
    args = [
        "kpi",
        str(path),
        "--case",
        "case",
        "--activity",
        "act",
        "--timestamp",
        "ts",
    ]
    runner = CliRunner()
    people = runner.invoke(app, [*args, "--by", "week"], env={"COLUMNS": "160"})
    assert people.exit_code == 0, people.output
    assert "2024-03-18*" in people.stdout and "* partial" in people.stdout
    rows = json.loads(runner.invoke(app, [*args, "--by", "week", "--json"]).stdout)
    assert [r["censored"] for r in rows] == [False, False, True]


OFFICE = [1.0 if d < 5 and 8 <= h < 18 else 0.0 for d in range(7) for h in range(24)]


def test_profile_censoring_by_hand():
    weeks = [datetime(2024, 3, 4), datetime(2024, 3, 11)]
    first = datetime(2024, 3, 4, 8, 5)  # Monday morning
    # a desk closed at weekends: a log ending Friday 17:40 covers its last week
    assert censored_periods(
        weeks, "week", first, datetime(2024, 3, 15, 17, 40), profile=OFFICE
    ) == [False, False]
    # ending Thursday 17:00 it misses Friday: 20 % of the week's office hours
    assert censored_periods(
        weeks, "week", first, datetime(2024, 3, 14, 16, 30), profile=OFFICE
    ) == [False, True]
    days = [datetime(2024, 3, 14), datetime(2024, 3, 15)]
    # the last day ends at 12:10: its hour counts, so 5 of its 10 office hours
    assert censored_periods(
        days, "day", first, datetime(2024, 3, 15, 12, 10), profile=OFFICE
    ) == [False, True]
    # a Saturday the log ends on holds no office hours: not censored
    sat = [datetime(2024, 3, 16)]
    assert censored_periods(
        sat, "day", first, datetime(2024, 3, 16, 1), profile=OFFICE
    ) == [False]
    with pytest.raises(InvalidParameterError, match="168 hour-of-week"):
        censored_periods(days, "day", first, first, profile=[1.0] * 24)


def test_activity_profile_by_hand():
    log = _weekly_log()  # opens 09:00, 11:00; closes 10:00, 12:00, every day
    prof = activity_profile(log, "UTC")
    assert len(prof) == 168 and sum(prof) == pytest.approx(1.0)
    monday = prof[:24]
    assert [h for h, v in enumerate(monday) if v > 0] == [9, 10, 11, 12]
    # in Tokyo (+9) the same events fall at 18..21 h
    tokyo = activity_profile(log, "Asia/Tokyo")[:24]
    assert [h for h, v in enumerate(tokyo) if v > 0] == [18, 19, 20, 21]


def test_demo_last_day_and_week_are_censored_first_are_not():
    from servops.demo.generator import generate_service_desk

    # the demo without its warm-up ends on Friday noon: a week cut by the log's end
    log = so.EventLog.from_arrow(
        generate_service_desk(cases=3000, seed=7, warmup=NO_WARMUP).events
    )
    first, last = log_span(log, "UTC")
    assert first is not None and last is not None
    assert last.strftime("%a %H") == "Fri 12"
    weeks = period_grid(first, last, "week")
    flags = log_censored(log, weeks, "week", "UTC")
    assert flags == [False] * (len(weeks) - 1) + [True]
    days = period_grid(first, last, "day")
    dflags = log_censored(log, days, "day", "UTC")
    assert dflags[-1] and not any(dflags[:-1])


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
    st.integers(min_value=1, max_value=24 * 200),
    st.sampled_from(["day", "week", "month"]),
)
@settings(max_examples=150, deadline=None)
def test_uniform_profile_censors_by_covered_time(first, hours, by):
    """With activity spread evenly, a period is censored iff under 90 % of it is covered."""
    first = first.replace(minute=0, second=0, microsecond=0)
    last = first + timedelta(hours=hours) - timedelta(minutes=30)
    grid = period_grid(first, last, by)
    flags = censored_periods(grid, by, first, last, profile=[1.0] * 168)
    for p, flag in zip(grid, flags, strict=True):
        q = period_end(p, by)
        inside = min(q, first + timedelta(hours=hours)) - max(p, first)
        assert flag == (inside / (q - p) < 0.9)
