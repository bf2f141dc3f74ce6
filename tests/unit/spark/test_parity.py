"""Every covered analysis gives the same result on Spark as on DuckDB.

Counts are equal exactly; durations (seconds, as doubles) to 1e-9 relative (or within a
nanosecond of zero); quantiles are the one method both engines use (DuckDB's
``quantile_cont`` = Spark's ``percentile``: linear interpolation between closest ranks).
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

import servops as so
from servops.log import filters
from servops.log.shape import shape_warnings
from tests.unit.spark.conftest import LOGS, log_params

if TYPE_CHECKING:
    from collections.abc import Callable

    from servops.log.spark import SparkEventLog

    Both = Callable[[str], tuple[so.EventLog, SparkEventLog]]

NAMES = list(LOGS)


def plain(value: Any) -> Any:
    """``value`` as dicts, lists and scalars (results through their ``to_dict``)."""
    if hasattr(value, "to_dict"):
        return plain(value.to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if hasattr(value, "to_pylist"):  # a pyarrow Table
        return plain(value.to_pylist())
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def assert_same(duck: Any, spark: Any, where: str = "result") -> None:
    """Equal structure and values; floats to 1e-9 relative (1e-9 absolute near 0).

    Lists and the keys of dicts must come in the same order: results that are ordered
    (most frequent first…) must be ordered alike, ties included.
    """
    if isinstance(duck, dict):
        assert isinstance(spark, dict), where
        assert list(duck) == list(spark), f"{where}: keys (in order) differ"
        for k in duck:
            assert_same(duck[k], spark[k], f"{where}.{k}")
    elif isinstance(duck, list):
        assert isinstance(spark, list), where
        assert len(duck) == len(spark), f"{where}: {len(duck)} != {len(spark)} items"
        for i, (a, b) in enumerate(zip(duck, spark, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(duck, float) and not isinstance(spark, bool):
        assert isinstance(spark, int | float), f"{where}: {duck!r} vs {spark!r}"
        assert math.isclose(duck, spark, rel_tol=1e-9, abs_tol=1e-9) or (
            math.isnan(duck) and math.isnan(spark)
        ), f"{where}: {duck!r} vs {spark!r}"
    else:
        assert duck == spark, f"{where}: {duck!r} vs {spark!r}"
        assert type(duck) is type(spark) or duck is None, (
            f"{where}: {type(duck).__name__} vs {type(spark).__name__}"
        )


def test_assert_same_can_fail() -> None:
    assert_same({"a": [1.0, 2]}, {"a": [1.0 + 1e-12, 2]})
    with pytest.raises(AssertionError, match=r"a\[1\]"):
        assert_same({"a": [1.0, 2]}, {"a": [1.0, 3]})
    with pytest.raises(AssertionError, match=r"a\[0\]"):
        assert_same({"a": [1.0, 2]}, {"a": [1.0 + 1e-6, 2]})


def _info(log: so.EventLog) -> dict[str, Any]:
    d = log.info().to_dict()
    del d["source"], d["notes"]
    return d


ANALYSES: dict[str, Callable[[so.EventLog], Any]] = {
    "info": _info,
    "dfg": so.mining.discover_dfg,
    "variants": so.mining.variants,
    "activity_times": so.mining.activity_times,
    "case_durations": lambda log: so.mining.case_durations(log).sort_by("case_id"),
    "duration_summary": so.mining.duration_summary,
    "bottlenecks": so.mining.bottlenecks,
    "value_stream": so.mining.value_stream,
    "rework": so.mining.rework,
    "handovers": so.mining.handovers,
    "shape_warnings": shape_warnings,
}


@pytest.mark.parametrize("analysis", list(ANALYSES))
@pytest.mark.parametrize("name", log_params(NAMES))
def test_analysis_equal_on_both_engines(
    both_engines: Both, name: str, analysis: str
) -> None:
    duck, spark = both_engines(name)
    run = ANALYSES[analysis]
    assert_same(plain(run(duck)), plain(run(spark)), f"{name}:{analysis}")


def _filters(log: so.EventLog) -> dict[str, so.EventLog]:
    """Each filter of servops.log.filters, with arguments taken from the log."""
    first, last = log.fetchone('SELECT min("timestamp"), max("timestamp") FROM events')
    mid = first + (last - first) / 2
    top = [
        str(r[0])
        for r in log.fetchall(
            "SELECT activity, count(*) AS n FROM instances GROUP BY 1 "
            "ORDER BY n DESC, activity LIMIT 2"
        )
    ]
    resource = log.fetchone(
        "SELECT resource FROM events WHERE resource IS NOT NULL "
        "GROUP BY 1 ORDER BY count(*) DESC, resource LIMIT 1"
    )
    out = {
        f"window_{mode}": filters.time_window(log, first, mid, mode=mode)
        for mode in ("contained", "intersecting", "started", "completed", "trim")
    }
    out |= {
        "through": filters.through_activity(log, top[:1]),
        "starts_with": filters.starts_with(log, top),
        "ends_with": filters.ends_with(log, top),
        "top_variants": filters.top_variants(log, 3),
        "min_activity_frequency": filters.min_activity_frequency(log, 50),
        "window_iso_text": filters.time_window(log, "2000-01-01", None),
    }
    if resource:
        out["resource"] = filters.attribute_values(log, "resource", [resource[0]])
        out["not_resource"] = filters.attribute_values(
            log, "resource", [resource[0]], keep=False
        )
    return out


#: What a filtered log is compared by: its sizes and span, in one query.
_FACTS = """
SELECT (SELECT count(*) FROM events), (SELECT count(DISTINCT case_id) FROM events),
  (SELECT count(*) FROM instances), (SELECT min("timestamp") FROM events),
  (SELECT max("timestamp") FROM events), (SELECT count(DISTINCT activity) FROM instances)
"""


@pytest.mark.parametrize("name", ["helpdesk", "bpic2012", "demo"])
def test_filters_equal_on_both_engines(both_engines: Both, name: str) -> None:
    duck, spark = both_engines(name)
    a, b = _filters(duck), _filters(spark)
    assert list(a) == list(b)
    for key in a:
        assert_same(
            list(a[key].fetchone(_FACTS)),
            list(b[key].fetchone(_FACTS)),
            f"{name}:{key}",
        )
    # one filtered log through a whole analysis
    assert_same(
        plain(so.mining.discover_dfg(a["window_intersecting"])),
        plain(so.mining.discover_dfg(b["window_intersecting"])),
        f"{name}:window_intersecting:dfg",
    )


def test_bpic2012_pairs_lifecycles_on_spark(both_engines: Both) -> None:
    duck, spark = both_engines("bpic2012")
    assert spark.has_start_times and duck.has_start_times
    sql = "SELECT count(start_timestamp), count(*) FROM instances"
    paired, total = spark.fetchone(sql)
    assert (paired, total) == duck.fetchone(sql)
    assert 0 < paired < total  # W_ activities are paired, A_/O_ ones are atomic


def test_a_filtered_window_is_in_utc(both_engines: Both) -> None:
    duck, spark = both_engines("helpdesk")
    start = datetime(2011, 1, 1, tzinfo=UTC)
    a = filters.time_window(duck, start, None, mode="started")
    b = filters.time_window(spark, start, None, mode="started")
    assert a.n_cases() == b.n_cases() > 0
