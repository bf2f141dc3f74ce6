"""``--engine spark`` on the CLI: the same JSON as DuckDB's, and its refusals."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

import servops as so
from servops.cli.main import app
from servops.errors import InvalidParameterError, LogSchemaError
from servops.log.export import write_parquet
from servops.log.spark import SparkEventLog, read_spark_log
from tests.paths import DATA

if TYPE_CHECKING:
    from pathlib import Path

    from pyspark.sql import SparkSession

runner = CliRunner(env={"COLUMNS": "400", "NO_COLOR": "1"})


def _json(args: list[str]) -> Any:
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_info_and_dfg_of_an_export_folder(spark: SparkSession, tmp_path: Path) -> None:
    folder = tmp_path / "tiny"
    write_parquet(so.read_log(DATA / "tiny.csv"), folder, partition_by="day")
    for command in (["info"], ["dfg"], ["variants"]):
        duck = _json([*command, str(folder), "--json"])
        on_spark = _json([*command, str(folder), "--json", "--engine", "spark"])
        if isinstance(duck, dict):
            duck.pop("source", None), on_spark.pop("source", None)
        assert on_spark == duck, command


def test_export_folder_keeps_its_meta_and_checks_counts(
    spark: SparkSession, tmp_path: Path
) -> None:
    folder = tmp_path / "tiny"
    write_parquet(so.read_log(DATA / "tiny.csv"), folder, partition_by="day")
    log = read_spark_log(folder, spark=spark)
    assert "event_day" not in log.attributes  # the partition column is not an attribute
    assert log.meta.column_map == so.read_log(DATA / "tiny.csv").meta.column_map
    # a lost data file is an error, not a smaller log (a folder Spark has not listed
    # yet: a session caches the files it found in a folder)
    other = tmp_path / "other"
    write_parquet(so.read_log(DATA / "tiny.csv"), other, partition_by="day")
    next(other.glob("event_day=2024-01-10/*.parquet")).unlink()
    res = runner.invoke(app, ["info", str(other), "--engine", "spark"])
    assert res.exit_code == 1
    assert "16 events of 4 cases, but was written with 18 events of 5 cases" in (
        res.output
    )


def test_columns_are_mapped_on_spark(spark: SparkSession, tmp_path: Path) -> None:
    frame = spark.createDataFrame(
        [("t1", "Open", "2024-01-01 09:00:00"), ("t1", "Close", "2024-01-01 10:30:00")],
        ["ticket", "step", "at"],
    )
    path = tmp_path / "raw.parquet"
    frame.write.parquet(str(path))
    args = ["variants", str(path), "--engine", "spark", "--json"]
    res = runner.invoke(app, args)
    assert res.exit_code == 1
    assert "no column 'case_id' for `case_id`" in res.output
    assert "['at', 'step', 'ticket']" in res.output
    out = _json([*args, "--case", "ticket", "--activity", "step", "--timestamp", "at"])
    assert out[0]["activities"] == ["Open", "Close"]
    assert out[0]["mean_duration_s"] == 5400.0


def test_spark_refuses_raw_file_options(tmp_path: Path) -> None:
    res = runner.invoke(app, ["info", str(tmp_path), "--engine", "spark", "--dayfirst"])
    assert res.exit_code == 2
    assert "--dayfirst: not with --engine spark" in res.output
    res = runner.invoke(app, ["info", str(tmp_path), "--engine", "spork"])
    assert res.exit_code == 2
    assert "--engine must be 'duckdb' or 'spark'; got 'spork'" in res.output
    res = runner.invoke(
        app, ["info", str(DATA / "tiny.csv"), "--spark-master", "local[4]"]
    )
    assert res.exit_code == 2
    assert "--spark-master applies to --engine spark only" in res.output


def test_open_log_on_spark(spark: SparkSession, tmp_path: Path) -> None:
    folder = tmp_path / "tiny"
    duck = so.read_log(DATA / "tiny.csv")
    write_parquet(duck, folder, partition_by="none")
    log = so.open_log(folder, engine="spark", spark=spark)
    assert isinstance(log, SparkEventLog)
    assert log.info().variants == duck.info().variants == 4
    with pytest.raises(InvalidParameterError, match="Got 'spork' instead"):
        so.open_log(folder, engine="spork")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="engine='spark' reads"):
        so.open_log(duck, engine="spark", spark=spark)


def test_rows_spark_cannot_use_are_counted_not_dropped(spark: SparkSession) -> None:
    def frame(rows: list[tuple[object, ...]]) -> Any:
        cols = ["case_id", "activity", "timestamp", "lifecycle", "event_index"]
        return spark.createDataFrame(
            rows,
            "case_id string, activity string, timestamp string, lifecycle string, "
            "event_index bigint",
        ).select(*cols)

    ok = ("c1", "a", "2024-01-01 09:00:00", "complete", 1)
    with pytest.raises(LogSchemaError, match=r"1 without activity \(of 2 rows\)"):
        read_spark_log(frame([ok, ("c1", None, "2024-01-01 10:00:00", None, 2)]))
    with pytest.raises(LogSchemaError, match="'event_index' has 1 repeated"):
        read_spark_log(frame([ok, ("c1", "b", "2024-01-01 10:00:00", None, 1)]))
    with pytest.raises(
        LogSchemaError, match=r"not XES transitions \(like \['in progress'\]"
    ):
        read_spark_log(
            frame([ok, ("c1", "b", "2024-01-01 10:00:00", "In Progress", 2)])
        )
    log = read_spark_log(frame([ok, ("c1", "b", "2024-01-01 10:30:00", "COMPLETE", 2)]))
    assert log.fetchone("SELECT count(*) FROM instances") == (2,)
