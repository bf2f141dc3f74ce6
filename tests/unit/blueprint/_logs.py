"""Tiny hand-made logs and blueprints for the blueprint tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

import servops as so
from servops.blueprint import Blueprint, parse_blueprint

T0 = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)


def make_log(
    traces: dict[str, list[str]],
    *,
    gap: timedelta = timedelta(hours=1),
    resources: dict[str, list[str]] | None = None,
) -> so.EventLog:
    """One event per activity, ``gap`` apart, cases one day apart."""
    cases, acts, stamps, res = [], [], [], []
    for k, (case, trace) in enumerate(traces.items()):
        for i, a in enumerate(trace):
            cases.append(case)
            acts.append(a)
            stamps.append(T0 + timedelta(days=k) + gap * i)
            res.append(resources[case][i] if resources else "r")
    table = pa.table(
        {
            "case_id": cases,
            "activity": acts,
            "timestamp": pa.array(stamps, pa.timestamp("us", tz="UTC")),
            "resource": res,
        }
    )
    return so.EventLog.from_arrow(
        table,
        columns=so.ColumnMap("case_id", "activity", "timestamp", resource="resource"),
    )


SEQ = """
name: Sequence
steps:
  - {id: a, name: A, lane: customer, activities: [A]}
  - {id: b, name: B, lane: frontstage, activities: [B]}
  - {id: c, name: C, lane: backstage, activities: [C]}
flow: ["start -> a -> b -> c -> end"]
"""


def seq() -> Blueprint:
    return parse_blueprint(SEQ)


#: Six cases for overlay checks: C completes at 2 h, 1 h, 3 h, 3 h (limit 2 h).
KNOWN_STD = {
    "c1": ["A", "B", "C"],
    "c2": ["A", "C"],
    "c4": ["A", "B", "B", "C"],
    "c5": ["A", "X", "B", "C"],
    "c6": ["A", "B"],
    "c7": ["B"],
}
