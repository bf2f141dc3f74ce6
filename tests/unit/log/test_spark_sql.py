"""servops.log.spark_sql: DuckDB SQL rendered for Spark 3.5 (no Spark needed here).

The parity suite (tests/unit/spark) runs the rendered SQL on Spark; these pin each
rewrite, so that a change of sqlglot's output shows here first.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

pytest.importorskip("sqlglot")

from servops.log.engine import (
    epoch_s,
    inline_cte,
    local_time,
    quantile,
    seconds_between,
)
from servops.log.spark_sql import SparkDialectError, to_spark


def test_engine_helpers_render_for_spark() -> None:
    assert to_spark(f"SELECT {quantile('d', 0.9)} FROM t") == (
        "SELECT PERCENTILE(d, CAST(0.9 AS DOUBLE)) FROM t"
    )
    assert to_spark(f"SELECT {epoch_s('ts')} FROM t") == (
        "SELECT (UNIX_MICROS(ts) / 1e6) FROM t"
    )
    assert to_spark(f"SELECT {seconds_between('a', 'b')} FROM t") == (
        "SELECT ((UNIX_MICROS(b) - UNIX_MICROS(a)) / 1e6) FROM t"
    )
    assert to_spark(f"SELECT {local_time('ts', 'Europe/Amsterdam')} FROM t") == (
        "SELECT CAST(FROM_UTC_TIMESTAMP(ts, 'Europe/Amsterdam') AS TIMESTAMP_NTZ) "
        "FROM t"
    )
    assert to_spark(f"WITH {inline_cte('e', '(SELECT 1 AS x)')} SELECT x FROM e") == (
        "WITH e AS (SELECT 1 AS x) SELECT x FROM e"
    )


def test_rewrites_nest() -> None:
    # the quantile of a duration: both rewrites apply, inside out
    sql = to_spark(f"SELECT {quantile(seconds_between('a', 'b'), 0.5)} FROM t")
    assert sql == (
        "SELECT PERCENTILE(((UNIX_MICROS(b) - UNIX_MICROS(a)) / 1e6), "
        "CAST(0.5 AS DOUBLE)) FROM t"
    )


def test_ordered_string_agg_sorts_structs_by_the_keys() -> None:
    sql = to_spark(
        "SELECT case_id, string_agg(activity, chr(31) ORDER BY "
        'coalesce(start_timestamp, "timestamp"), "timestamp", event_index) '
        "FROM instances GROUP BY case_id"
    )
    assert sql == (
        "SELECT case_id, ARRAY_JOIN(TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT("
        "COALESCE(start_timestamp, `timestamp`) AS k0, `timestamp` AS k1, "
        "event_index AS k2, activity AS v))), s -> s.v), CHR(31)) "
        "FROM instances GROUP BY case_id"
    )
    assert to_spark("SELECT list(x ORDER BY y) FROM t") == (
        "SELECT TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(y AS k0, x AS v))), "
        "s -> s.v) FROM t"
    )


def test_descending_ordered_aggregate_is_refused() -> None:
    with pytest.raises(SparkDialectError, match=r"sorted descending \(y DESC"):
        to_spark("SELECT string_agg(x, ',' ORDER BY y DESC) FROM t")


def test_decimal_literals_become_doubles_integers_stay() -> None:
    assert to_spark("SELECT x * 1.5, x + 2, 1e6 FROM t") == (
        "SELECT x * CAST(1.5 AS DOUBLE), x + 2, 1e6 FROM t"
    )


def test_parameters_are_bound_in_text_order() -> None:
    sql = to_spark(
        "WITH a AS (SELECT * FROM t WHERE k = ?) SELECT * FROM a WHERE v IN (?, ?) "
        "AND ts >= ?",
        ["x'y", 3, None, datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)],
    )
    assert sql == (
        "WITH a AS (SELECT * FROM t WHERE k = 'x\\'y') SELECT * FROM a WHERE v IN "
        "(3, NULL) AND ts >= CAST('2024-01-02 03:04:05+00:00' AS TIMESTAMP)"
    )
    # a naive value is a wall-clock time; an aware one an instant, in UTC
    assert to_spark("SELECT ?", [datetime(2024, 1, 2)]) == (
        "SELECT CAST('2024-01-02 00:00:00' AS TIMESTAMP_NTZ)"
    )
    amsterdam = datetime(2024, 1, 2, 9, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert to_spark("SELECT ?", [amsterdam]) == (
        "SELECT CAST('2024-01-02 08:00:00+00:00' AS TIMESTAMP)"
    )
    with pytest.raises(SparkDialectError, match=r"1 '\?' mark\(s\) for 2 parameter"):
        to_spark("SELECT ? FROM t", [1, 2])
    with pytest.raises(SparkDialectError, match="type object"):
        to_spark("SELECT ? FROM t", [object()])


def test_unparseable_sql_names_the_statement() -> None:
    with pytest.raises(SparkDialectError, match="SELECT FROM WHERE"):
        to_spark("SELECT FROM WHERE (")


def test_servops_cli_does_not_import_spark_or_sqlglot() -> None:
    code = (
        "import sys; import servops.cli.main, servops.log, servops.mining; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pyspark', 'py4j', 'sqlglot')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
