"""Readers of foreign formats: CSV/TSV, Excel, XES, Parquet and in-memory tables.

``io`` knows file formats and foreign column names and nothing else; it hands the log layer
a raw DuckDB-readable source and the plan that maps it onto the canonical columns.
"""

from __future__ import annotations

from servops.io.columns import CANONICAL_FIELDS, ColumnMap, guess_columns
from servops.io.csv import scan_csv
from servops.io.normalize import (
    DEFAULT_NA_VALUES,
    XES_TRANSITIONS,
    ImportOptions,
    ImportPlan,
    plan_import,
)
from servops.io.raw import RawSource, sniff_kind
from servops.io.tables import scan_excel, scan_parquet, scan_table, to_arrow
from servops.io.timestamps import TimestampFormat, detect_format
from servops.io.xes import read_xes_arrow, scan_xes

__all__ = [
    "CANONICAL_FIELDS",
    "DEFAULT_NA_VALUES",
    "XES_TRANSITIONS",
    "ColumnMap",
    "ImportOptions",
    "ImportPlan",
    "RawSource",
    "TimestampFormat",
    "detect_format",
    "guess_columns",
    "plan_import",
    "read_xes_arrow",
    "scan_csv",
    "scan_excel",
    "scan_parquet",
    "scan_table",
    "scan_xes",
    "sniff_kind",
    "to_arrow",
]
