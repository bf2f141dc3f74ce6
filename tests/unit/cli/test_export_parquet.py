"""servops export --parquet: Hive-partitioned Parquet that reads back as the same log."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import servops as so
from servops.cli.main import app
from servops.errors import InvalidParameterError, LogSchemaError
from servops.io import ColumnMap
from servops.log.export import write_parquet
from servops.log.export_format import (
    MANIFEST,
    is_export,
    read_manifest,
)
from tests.paths import DATA, shared_log

runner = CliRunner()


def _same_log(a: so.EventLog, b: so.EventLog) -> None:
    assert b.to_arrow("events").equals(a.to_arrow("events"))
    assert b.to_arrow("instances").equals(a.to_arrow("instances"))
    assert b.info() == a.info()
    assert b.meta == a.meta


def _per_folder(root) -> dict[str, int]:
    """Events per partition folder, read with DuckDB from the files themselves."""
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT parse_dirpath(filename), count(*) FROM read_parquet("
        f"'{root}/**/*.parquet', filename = true) GROUP BY 1"
    ).fetchall()
    return {str(d).rsplit("/", 1)[-1]: int(n) for d, n in rows}


def test_tiny_by_day_by_hand(tiny_log, tmp_path):
    out = write_parquet(tiny_log, tmp_path / "x", partition_by="day")
    # 8 Jan: c1 (4 events) + c2 (5); 9 Jan: c3 (4) + c4 (3); 10 Jan: c5 (2)
    assert _per_folder(tmp_path / "x") == {
        "event_day=2024-01-08": 9,
        "event_day=2024-01-09": 7,
        "event_day=2024-01-10": 2,
    }
    assert (out.events, out.cases, out.partition_column) == (18, 5, "event_day")
    manifest = json.loads((tmp_path / "x" / MANIFEST).read_text())
    assert manifest["events"] == 18 and manifest["partition_by"] == "day"
    # the data files hold the log's columns only (the partition is in the path)
    schema = (
        duckdb.connect()
        .execute(
            f"DESCRIBE SELECT * FROM read_parquet('{tmp_path}/x/**/*.parquet', "
            "hive_partitioning = false)"
        )
        .fetchall()
    )
    assert [r[0] for r in schema] == [c for c, _ in out.columns]
    assert "event_day" not in [c for c, _ in out.columns]


@pytest.mark.parametrize("partition_by", ["none", "day", "month", "year"])
def test_round_trip_tiny(tiny_log, tmp_path, partition_by):
    write_parquet(tiny_log, tmp_path / "x", partition_by=partition_by)
    assert is_export(tmp_path / "x")
    _same_log(tiny_log, so.read_log(tmp_path / "x"))
    _same_log(tiny_log, so.read_parquet(tmp_path / "x"))
    files = list((tmp_path / "x").rglob("*.parquet"))
    # tiny spans 8-10 January 2024: three days, one month, one year
    assert len(files) == {"none": 1, "day": 3, "month": 1, "year": 1}[partition_by]


def test_month_is_the_local_month(tmp_path):
    # 31 Jan 23:30 UTC is 1 Feb 00:30 in Amsterdam: a February event there
    t = pa.table(
        {
            "case": ["a", "a", "b"],
            "act": ["x", "y", "x"],
            "ts": ["2024-01-31 22:00", "2024-02-01 00:30", "2024-01-15 12:00"],
        }
    )
    log = so.read_log(
        t, columns=ColumnMap("case", "act", "ts"), timezone="Europe/Amsterdam"
    )
    out = write_parquet(log, tmp_path / "x")
    assert out.partition_timezone == "Europe/Amsterdam"
    assert _per_folder(tmp_path / "x") == {
        "event_month=2024-01": 2,
        "event_month=2024-02": 1,
    }
    back = so.read_log(tmp_path / "x")
    _same_log(log, back)
    assert back.meta.timezone == "Europe/Amsterdam"


def test_lifecycle_pairs_travel_with_the_events(tmp_path):
    # a complete after two starts (FIFO: the first start), a start never completed
    t = pa.table(
        {
            "case": ["c"] * 6,
            "act": ["A", "A", "A", "A", "B", "B"],
            "life": ["start", "start", "complete", "complete", "start", "complete"],
            "ts": [f"2024-03-01 0{h}:00" for h in range(6)],
            "res": ["r1", "r2", None, None, "r3", "r4"],
        }
    )
    log = so.read_log(
        t,
        columns=ColumnMap("case", "act", "ts", resource="res", lifecycle="life"),
    )
    write_parquet(log, tmp_path / "x", partition_by="none")
    back = so.read_log(tmp_path / "x")
    _same_log(log, back)
    starts = back.fetchall(
        "SELECT activity, start_timestamp, resource FROM instances ORDER BY event_index"
    )
    assert [(a, s.hour, r) for a, s, r in starts] == [
        ("A", 0, "r1"),
        ("A", 1, "r2"),
        ("B", 4, "r4"),
    ]


def test_round_trip_real_log_with_starts_and_attributes(tmp_path):
    log = so.read_log(shared_log("interval_event_log.csv.gz"))
    write_parquet(log, tmp_path / "x", partition_by="month")
    back = so.read_log(tmp_path / "x")
    _same_log(log, back)
    assert back.has_start_times


def test_filtered_log_writes_what_the_filter_keeps(tiny_log, tmp_path):
    phone = tiny_log.where("channel = 'phone'")
    out = write_parquet(phone, tmp_path / "x")
    back = so.read_log(tmp_path / "x")
    assert (out.events, out.cases) == (10, 3)  # c1 4, c3 4, c5 2
    assert back.fetchall("SELECT DISTINCT case_id FROM events ORDER BY 1") == [
        ("c1",),
        ("c3",),
        ("c5",),
    ]


def test_existing_folders(tiny_log, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(InvalidParameterError, match=r"other files in it"):
        write_parquet(tiny_log, other)
    assert (other / "keep.txt").read_text() == "mine"
    empty = tmp_path / "empty"
    empty.mkdir()
    write_parquet(tiny_log, empty)  # an empty folder is fine
    with pytest.raises(InvalidParameterError, match=r"--overwrite"):
        write_parquet(tiny_log, empty, partition_by="day")
    write_parquet(
        tiny_log.where("case_id = 'c5'"), empty, partition_by="day", overwrite=True
    )
    assert read_manifest(empty).events == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "other"]


def test_bad_partition_and_column_clash_and_nothing(tiny_log, tmp_path):
    with pytest.raises(InvalidParameterError, match=r"'partition_by'.*'week'"):
        write_parquet(tiny_log, tmp_path / "x", partition_by="week")  # type: ignore[arg-type]
    t = pa.table(
        {
            "case": ["a"],
            "act": ["x"],
            "ts": ["2024-01-01 09:00"],
            "event_month": ["mine"],
        }
    )
    clash = so.read_log(t, columns=ColumnMap("case", "act", "ts"))
    with pytest.raises(InvalidParameterError, match=r"column named 'event_month'"):
        write_parquet(clash, tmp_path / "x")
    write_parquet(clash, tmp_path / "x", partition_by="year")
    with pytest.raises(InvalidParameterError, match=r"no events to export after its"):
        write_parquet(tiny_log.where("false"), tmp_path / "y")
    assert not (tmp_path / "y").exists()


def test_missing_file_is_an_error_not_a_smaller_log(tiny_log, tmp_path):
    write_parquet(tiny_log, tmp_path / "x", partition_by="day")
    (tmp_path / "x" / "event_day=2024-01-10" / "part-0.parquet").unlink()
    with pytest.raises(LogSchemaError, match=r"holds 16 events of 4 cases.*18 events"):
        so.read_log(tmp_path / "x")


def test_not_an_export(tmp_path):
    with pytest.raises(LogSchemaError, match=r"no _servops.json"):
        read_manifest(tmp_path)
    (tmp_path / MANIFEST).write_text('{"format": "other"}')
    with pytest.raises(LogSchemaError, match=r"format 'other'"):
        read_manifest(tmp_path)


def test_cli_export_then_info(tmp_path):
    out = tmp_path / "tiny"
    res = runner.invoke(
        app,
        [
            "export",
            str(DATA / "tiny.csv"),
            "--parquet",
            str(out),
            "--partition-by",
            "day",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert (d["events"], d["cases"], d["partition_column"]) == (18, 5, "event_day")
    assert len(d["files"]) == 3
    info_csv = runner.invoke(app, ["info", str(DATA / "tiny.csv"), "--json"])
    info_dir = runner.invoke(app, ["info", str(out), "--json"])
    assert info_dir.exit_code == 0, info_dir.output
    assert json.loads(info_dir.stdout) == json.loads(info_csv.stdout)
    again = runner.invoke(
        app, ["export", str(DATA / "tiny.csv"), "--parquet", str(out)]
    )
    assert again.exit_code == 1
    assert "--overwrite" in again.stderr
    bad = runner.invoke(
        app,
        [
            "export",
            str(DATA / "tiny.csv"),
            "--parquet",
            str(out),
            "--partition-by",
            "x",
        ],
    )
    assert bad.exit_code == 1
    assert "InvalidParameterError" in bad.stderr


def test_cli_export_with_a_filter_human_output(tmp_path):
    res = runner.invoke(
        app,
        [
            "export",
            str(DATA / "tiny.csv"),
            "--parquet",
            str(tmp_path / "x"),
            "--where",
            "priority=low",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "Wrote 7 events of 2 cases" in res.stdout
    assert "event_month=2024-01/part-0.parquet" in res.stdout


_START = datetime(2023, 12, 28, tzinfo=UTC)


@st.composite
def _logs(draw: st.DrawFn) -> pa.Table:
    n = draw(st.integers(1, 40))
    return pa.table(
        {
            "case": [f"c{draw(st.integers(0, 6))}" for _ in range(n)],
            "act": [draw(st.sampled_from(["a", "b", "c"])) for _ in range(n)],
            "ts": [
                _START + timedelta(minutes=draw(st.integers(0, 60 * 24 * 70)))
                for _ in range(n)
            ],
        }
    )


@pytest.mark.property
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    table=_logs(),
    zone=st.sampled_from(["UTC", "Asia/Shanghai", "America/New_York"]),
    partition_by=st.sampled_from(["day", "month", "year"]),
)
def test_round_trip_and_partition_values_property(
    tmp_path_factory, table, zone, partition_by
):
    log = so.read_log(table, columns=ColumnMap("case", "act", "ts"), timezone=zone)
    root = tmp_path_factory.mktemp("p")
    out = write_parquet(log, root / "x", partition_by=partition_by)
    _same_log(log, so.read_log(root / "x"))
    fmt = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}[partition_by]
    from zoneinfo import ZoneInfo

    expected: dict[str, int] = {}
    for ts in table.column("ts").to_pylist():
        key = f"{out.partition_column}={ts.astimezone(ZoneInfo(zone)).strftime(fmt)}"
        expected[key] = expected.get(key, 0) + 1
    assert _per_folder(root / "x") == expected
