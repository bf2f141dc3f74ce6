"""A standard measured from the case start starts at the case's arrival (enablement)."""

from __future__ import annotations

import pytest

import servops as so
from servops.blueprint import parse_blueprint
from servops.blueprint.overlay import overlay

# case 1 is enabled at 23:00 and first started at 09:30 the next day; B ends at 11:00
ROWS = [
    "case_id,activity,enable_time,start_time,end_time",
    "1,A,2024-01-07 23:00:00,2024-01-08 09:30:00,2024-01-08 10:00:00",
    "1,B,2024-01-08 10:00:00,2024-01-08 10:15:00,2024-01-08 11:00:00",
    "2,A,2024-01-08 10:00:00,2024-01-08 10:30:00,2024-01-08 11:00:00",
    "3,A,2024-01-09 08:00:00,2024-01-09 08:00:00,2024-01-09 09:00:00",
    "3,B,2024-01-09 09:00:00,2024-01-09 12:00:00,2024-01-09 13:00:00",
]
BP = """
name: case start
steps:
  - {id: a, name: A, lane: frontstage, activities: [A]}
  - {id: b, name: B, lane: frontstage, activities: [B], standard: within 2 h}
"""


@pytest.mark.parametrize(
    ("enabled", "attainment"),
    [(True, 0.0), (False, 0.5)],  # case 1: 12 h from arrival, 1.5 h from first start
)
def test_case_start_standard_counts_from_the_arrival(tmp_path, enabled, attainment):
    path = tmp_path / "log.csv"
    path.write_text(
        "\n".join(
            ",".join(c for k, c in enumerate(r.split(",")) if enabled or k != 2)
            for r in ROWS
        )
    )
    log = so.read_log(path)
    assert ("enabled_timestamp" in log.attributes) is enabled
    b = overlay(log, parse_blueprint(BP), "standard").steps["b"]
    assert b.attainment == attainment
