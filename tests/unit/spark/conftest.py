"""One SparkSession for the whole test run, and each shared log on both engines.

Every test here is marked ``spark`` and skipped, with the reason, where pyspark or Java
is missing. A log is read once by DuckDB (as ``servops.read_log`` reads it); its events
table, as stored (lifecycle transitions unpaired), is written to Parquet and read by
Spark (:func:`servops.log.spark.read_spark_log`), which pairs start and complete events
itself. BPIC 2012 is cut to a sample of its cases (every case whose DuckDB hash falls
in one of 8 buckets) to keep the suite within minutes on two cores.
"""

from __future__ import annotations

import gc
import warnings
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq
import pytest

import servops as so
from servops.log.spark import spark_available
from tests.paths import shared_log

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from pathlib import Path

    from pyspark.sql import SparkSession

    from servops.log.spark import SparkEventLog

_WHY = spark_available()

#: The shared logs of the parity suite (file in ../shared/data/eventlogs, case sample).
LOGS: dict[str, tuple[str, str | None]] = {
    "helpdesk": ("helpdesk.xes.gz", None),
    "bpic2012": ("bpic2012.xes.gz", "hash(case_id) % 8 = 0"),
    "bpic2013": ("bpic2013_incidents.xes.gz", None),
    "sepsis": ("sepsis.csv.gz", None),
    "demo": ("", None),
}

#: The logs compared only in the slow run (``-m slow``): the default run must stay
#: within ~15 minutes on 2 cores, and BPIC 2013 incidents and Sepsis are the costliest
#: logs on Spark (15-35 s a KPI test).
SLOW_LOGS = ("bpic2013", "sepsis")


def log_params(names: Iterable[str]) -> list[Any]:
    """``names`` as ``pytest.param`` values, those of :data:`SLOW_LOGS` marked slow."""
    return [
        pytest.param(n, marks=pytest.mark.slow) if n in SLOW_LOGS else n for n in names
    ]


#: py4j drops sockets to the JVM without closing them (their finalizers warn).
_PY4J_NOISE = (
    "ignore:unclosed <socket.socket:ResourceWarning",
    "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this folder ``spark``; skip them where Spark cannot run."""
    for item in items:
        if "tests/unit/spark/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.spark)
            for noise in _PY4J_NOISE:
                item.add_marker(pytest.mark.filterwarnings(noise))
            if _WHY is not None:
                item.add_marker(pytest.mark.skip(reason=f"Spark cannot run: {_WHY}"))


@pytest.fixture(autouse=True, scope="module")
def _collect_py4j_sockets() -> Iterator[None]:
    """After each module, free py4j's dropped sockets while their warning is off.

    Otherwise a garbage collection in a later, non-Spark test would find them and
    fail that test (warnings are errors).
    """
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """The one local[2] session of the test run (stopped at the end)."""
    from servops.log.spark import spark_session

    session = spark_session("local[2]", config={"spark.sql.shuffle.partitions": "4"})
    session.sparkContext.setLogLevel("ERROR")
    yield session
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        session.stop()
        gc.collect()  # py4j's unclosed sockets go now, not in a later test


def _duckdb_log(name: str) -> so.EventLog:
    file, sample = LOGS[name]
    if name == "demo":
        from servops.demo.generator import generate_service_desk

        log = so.EventLog.from_arrow(generate_service_desk(cases=1500, seed=7).events)
    else:
        log = so.read_log(shared_log(file))
    return log.where(sample) if sample else log


@pytest.fixture(scope="session")
def both_engines(
    spark: SparkSession, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], tuple[so.EventLog, SparkEventLog]]:
    """``name`` -> the log on DuckDB and on Spark (made once per test run)."""
    from servops.log.spark import read_spark_log

    made: dict[str, tuple[so.EventLog, SparkEventLog]] = {}
    folder: Path = tmp_path_factory.mktemp("spark_logs")

    def get(name: str) -> tuple[so.EventLog, SparkEventLog]:
        if name not in made:
            log = _duckdb_log(name)
            path = folder / f"{name}.parquet"
            pq.write_table(log.to_arrow("events"), path)
            made[name] = (log, read_spark_log(path, spark=spark, name=name))
        return made[name]

    return get
