"""servops: map, measure, monitor, simulate and improve service processes.

Everything is an event log: real logs from ticket systems, logs the simulator writes, and
the events of the work-order service share one schema, so every analysis runs on all three.

>>> import servops as so
>>> log = so.read_log(DATA / "running-example.xes")
>>> log.info().cases
6
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from servops.errors import (
    BadRowsError,
    ConfigError,
    InvalidParameterError,
    LogSchemaError,
    NotFittedError,
    ServopsError,
    SimulationError,
    UnstableSystemError,
    WorkspaceError,
)

__version__ = "0.1.0"

if (
    TYPE_CHECKING
):  # so that `so.mining.discover_dfg` is typed; loaded lazily at run time
    from servops import blueprint as blueprint
    from servops import demo as demo
    from servops import feedback as feedback
    from servops import forecast as forecast
    from servops import improve as improve
    from servops import io as io
    from servops import kpi as kpi
    from servops import log as log
    from servops import mining as mining
    from servops import report as report
    from servops import sim as sim
    from servops import spc as spc
    from servops import staffing as staffing
    from servops.io import ColumnMap
    from servops.log import (
        EventLog,
        ImportReport,
        LogInfo,
        ReadOptions,
        Workspace,
        read_csv,
        read_excel,
        read_log,
        read_parquet,
        read_xes,
    )
    from servops.sources import open_log

# Analysis subpackages load on first use (``so.mining``), keeping ``import servops`` light.
_SUBPACKAGES = frozenset(
    {
        "blueprint",
        "demo",
        "feedback",
        "forecast",
        "improve",
        "io",
        "kpi",
        "log",
        "mining",
        "report",
        "sim",
        "spc",
        "staffing",
    }
)


# The log API loads on first use too: ``import servops`` (and so the ``servops`` command,
# whose ``--help`` must start fast) does not pay for numpy, pyarrow and duckdb.
_LAZY = {
    "ColumnMap": "servops.io",
    **dict.fromkeys(
        (
            "EventLog",
            "ImportReport",
            "LogInfo",
            "ReadOptions",
            "Workspace",
            "read_csv",
            "read_excel",
            "read_log",
            "read_parquet",
            "read_xes",
        ),
        "servops.log",
    ),
    "open_log": "servops.sources",
}


def __getattr__(name: str) -> object:
    import importlib

    if name in _SUBPACKAGES:
        return importlib.import_module(f"servops.{name}")
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    msg = f"module 'servops' has no attribute {name!r}"
    raise AttributeError(msg)


__all__ = [
    # errors
    "BadRowsError",
    "ColumnMap",
    "ConfigError",
    # the log
    "EventLog",
    "ImportReport",
    "InvalidParameterError",
    "LogInfo",
    "LogSchemaError",
    "NotFittedError",
    "ReadOptions",
    "ServopsError",
    "SimulationError",
    "UnstableSystemError",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "open_log",
    "read_csv",
    "read_excel",
    "read_log",
    "read_parquet",
    "read_xes",
]
