"""Hand-built ticket logs for the KPI tests."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

import servops as so
from servops.kpi.config import KpiConfig, config_from_dict
from tests.unit.kpi.synth import synthetic_tickets


def make_log(
    rows: list[tuple[str, str, str, str]],
    attrs: dict[str, dict[str, str]] | None = None,
) -> so.EventLog:
    """Build a log from (case, activity, 'YYYY-MM-DD HH:MM' UTC, resource) tuples.

    ``attrs`` maps case -> {attribute: value}.
    """
    attrs = attrs or {}
    names = sorted({k for a in attrs.values() for k in a})
    cols: dict[str, list[str | None]] = {"case": [], "act": [], "ts": [], "res": []}
    cols.update({n: [] for n in names})
    for case, act, when, res in rows:
        cols["case"].append(case)
        cols["act"].append(act)
        cols["ts"].append(when)
        cols["res"].append(res)
        for n in names:
            cols[n].append(attrs.get(case, {}).get(n))
    return so.read_log(
        pa.table(cols),
        columns=so.ColumnMap(
            case_id="case", activity="act", timestamp="ts", resource="res"
        ),
    )


OFFICE = {"timezone": "UTC", "hours": {"mon-fri": "08:00-18:00"}}


def demo_config(**overrides: Any) -> KpiConfig:
    d = {
        "activities": {
            "first_response": "First response",
            "resolved": "Resolved",
            "closed": "Closed",
            "reopened": "Reopened",
        },
        "pauses": [{"start": "Waiting for customer", "end": "Customer replied"}],
        "handovers": {"ignore_resources": ["system"]},
        "calendars": {"office": OFFICE},
        "sla": [
            {
                "name": "std",
                "first_response": "1h",
                "resolution": "3h",
                "calendar": "office",
            }
        ],
    }
    d.update(overrides)
    return config_from_dict(d, source="test")


@pytest.fixture(scope="session")
def synth_log():
    return so.read_log(synthetic_tickets(3000, seed=7))
