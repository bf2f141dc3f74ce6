"""The event-log core: the canonical schema, EventLog, readers and the workspace."""

from __future__ import annotations

from servops.log.engine import connect
from servops.log.eventlog import EventLog, LogInfo, LogMeta
from servops.log.ingest import ImportReport
from servops.log.read import (
    ReadOptions,
    read_csv,
    read_excel,
    read_log,
    read_log_with_report,
    read_parquet,
    read_xes,
)
from servops.log.schema import CORE_COLUMNS
from servops.log.workspace import DEFAULT_WORKSPACE, StoredLog, Workspace, open_log

__all__ = [
    "CORE_COLUMNS",
    "DEFAULT_WORKSPACE",
    "EventLog",
    "ImportReport",
    "LogInfo",
    "LogMeta",
    "ReadOptions",
    "StoredLog",
    "Workspace",
    "connect",
    "open_log",
    "read_csv",
    "read_excel",
    "read_log",
    "read_log_with_report",
    "read_parquet",
    "read_xes",
]
