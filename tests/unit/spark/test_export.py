"""``servops export --engine spark``: Spark writes the export folder, as DuckDB writes it.

The same log exported by each engine reads back (on DuckDB) as the same events, in the
same month folders, with the same manifest; Spark's executors write the files (Spark's
file names), the driver only the manifest. A Spark log names its source as DuckDB does.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pyarrow.parquet as pq
from typer.testing import CliRunner

import servops as so
from servops.cli.main import app
from servops.log.export import write_parquet
from servops.log.export_format import read_manifest
from servops.log.spark import read_spark_log
from tests.paths import DATA
from tests.unit.spark.test_parity import assert_same

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import pyarrow as pa
    from pyspark.sql import SparkSession

    from servops.log.spark import SparkEventLog

    Both = Callable[[str], tuple[so.EventLog, SparkEventLog]]

runner = CliRunner(env={"COLUMNS": "400", "NO_COLOR": "1"})


def _events(folder: Path) -> pa.Table:
    return so.read_log(folder).to_arrow("events").sort_by("event_index")


def _folders(files: tuple[str, ...]) -> list[str]:
    return sorted({f.rsplit("/", 1)[0] for f in files})


def test_spark_export_reads_back_as_the_duckdb_export(
    both_engines: Both, tmp_path: Path
) -> None:
    duck, spark = both_engines("bpic2012")  # start/complete pairs, Amsterdam months
    duck = duck.with_meta(timezone="Europe/Amsterdam")
    spark = spark.with_meta(timezone="Europe/Amsterdam")
    a = write_parquet(duck, tmp_path / "duck")
    b = write_parquet(spark, tmp_path / "spark")
    assert (b.partition_column, b.partition_timezone) == (
        "event_month",
        "Europe/Amsterdam",
    )
    assert (b.events, b.cases) == (a.events, a.cases)
    assert b.columns == a.columns
    assert _folders(b.files) == _folders(a.files)
    assert len(b.files) == len(a.files)  # one file a month
    # Spark's executors wrote the files, under Spark's names; no Hadoop side files
    assert all(f.split("/")[-1].startswith("part-00") for f in b.files)
    assert not list((tmp_path / "spark").rglob("_SUCCESS"))
    assert not list((tmp_path / "spark").rglob("*.crc"))
    # the same events (start times of the pairs included), in the same month
    duck_events, spark_events = _events(tmp_path / "duck"), _events(tmp_path / "spark")
    assert spark_events.schema == duck_events.schema
    assert spark_events.equals(duck_events)
    for f in b.files:
        month = f.split("/")[0].removeprefix("event_month=")
        table = pq.read_table(tmp_path / "spark" / f)
        local = so.EventLog.from_arrow(table).fetchone(
            "SELECT min(strftime(timezone('Europe/Amsterdam', \"timestamp\"), "
            "'%Y-%m')), max(strftime(timezone('Europe/Amsterdam', \"timestamp\"), "
            "'%Y-%m')) FROM events"
        )
        assert local == (month, month), f
    # the same info, but for what each log's metadata says of its import (source,
    # notes, attribute types: the DuckDB log was read from the XES file, the Spark log
    # from a Parquet copy of its events; the columns' types are compared above)
    info_a, info_b = (
        so.read_log(tmp_path / d).info().to_dict() for d in ("duck", "spark")
    )
    for key in ("source", "notes", "attributes"):
        del info_a[key], info_b[key]
    assert_same(info_a, info_b)


def test_export_cli_on_spark_and_source_as_on_duckdb(
    spark: SparkSession, tmp_path: Path
) -> None:
    duck = so.read_log(DATA / "tiny.csv")
    first = tmp_path / "first"
    write_parquet(duck, first, partition_by="none")
    out = tmp_path / "by_day"
    res = runner.invoke(
        app,
        [
            *("export", str(first), "--parquet", str(out), "--partition-by", "day"),
            *("--engine", "spark", "--json"),
        ],
    )
    assert res.exit_code == 0, res.output
    written = json.loads(res.stdout)
    assert written["events"] == 18
    assert _folders(tuple(written["files"])) == [
        "event_day=2024-01-08",
        "event_day=2024-01-09",
        "event_day=2024-01-10",
    ]
    assert read_manifest(out).events == 18
    assert _events(out).equals(_events(first))
    # the source: an export folder names the file first read, a file its path
    for path in (first, out):
        assert read_spark_log(path, spark=spark).info().source == str(DATA / "tiny.csv")
        assert so.read_log(path).info().source == str(DATA / "tiny.csv")
    plain = tmp_path / "plain.parquet"
    pq.write_table(duck.to_arrow("events"), plain)
    assert read_spark_log(plain, spark=spark).info().source == str(plain)
    assert so.read_log(plain).info().source == str(plain)
