"""Hand-built logs for mining tests."""

from __future__ import annotations

import pyarrow as pa
import pytest

import servops as so


def make_log(rows, *, start=False, resource=False):
    """Build a log from tuples (case, activity, end[, start][, resource])."""
    cols: dict[str, list[str]] = {"case": [], "act": [], "end": []}
    if start:
        cols["start"] = []
    if resource:
        cols["res"] = []
    for r in rows:
        cols["case"].append(r[0])
        cols["act"].append(r[1])
        cols["end"].append(r[2])
        i = 3
        if start:
            cols["start"].append(r[i])
            i += 1
        if resource:
            cols["res"].append(r[i])
    cm = so.ColumnMap(
        case_id="case",
        activity="act",
        timestamp="end",
        start_timestamp="start" if start else None,
        resource="res" if resource else None,
    )
    return so.read_log(pa.table(cols), columns=cm)


@pytest.fixture
def interval_log():
    """Two cases with start times, waits and service countable by hand.

    A: a 09:00-09:10, b 09:30-10:00, c 09:40-09:50 (parallel to b), d 10:30-11:00.
    B: a 09:00-09:00 (instant), b 09:00-09:20.
    """
    d = "2024-03-04 "
    return make_log(
        [
            ("A", "a", d + "09:10", d + "09:00"),
            ("A", "b", d + "10:00", d + "09:30"),
            ("A", "c", d + "09:50", d + "09:40"),
            ("A", "d", d + "11:00", d + "10:30"),
            ("B", "a", d + "09:00", d + "09:00"),
            ("B", "b", d + "09:20", d + "09:00"),
        ],
        start=True,
    )
