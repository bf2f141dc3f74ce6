"""The demo desk is warmed up: its first full week is as busy as the later ones.

Before, the simulated desk started empty, so the first week's tickets met no queue and
the control charts flagged that week. Now the desk runs two weeks before the log's
window; the log holds the tickets opened from ``start`` (as a ticket tool's export
"opened from" does), their work on agents shared with the warm-up tickets.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from servops.cli.main import app
from servops.demo.generator import generate_service_desk

if TYPE_CHECKING:
    from pathlib import Path

START = datetime(2026, 9, 7, tzinfo=UTC)  # the generator's default: a Monday
FIRST_WEEK = {(date(2026, 9, 7) + timedelta(days=d)).isoformat() for d in range(7)}
CONFIG = "src/servops/demo/kpi.yaml"


def alert_periods(path: Path, by: str) -> set[str]:
    res = CliRunner().invoke(
        app, ["alerts", str(path), "-c", CONFIG, "--by", by, "--json"]
    )
    assert res.exit_code == 0, res.output
    return {a["period"] for a in json.loads(res.stdout)["alerts"]}


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # what `servops demo` generates
    data = generate_service_desk(cases=3000, seed=7, improve_at="midway")
    path = tmp_path_factory.mktemp("demo") / "demo.parquet"
    pq.write_table(data.events, path)
    return path


def test_no_alert_in_the_first_full_week(demo_file):
    assert not alert_periods(demo_file, "week") & {"2026-09-07"}
    assert not alert_periods(demo_file, "day") & FIRST_WEEK


def test_an_empty_desk_at_the_start_is_flagged(tmp_path):
    # the same desk without the warm-up: its first week is quieter and charts say so
    data = generate_service_desk(
        cases=3000, seed=7, improve_at="midway", warmup=timedelta(0)
    )
    path = tmp_path / "cold.parquet"
    pq.write_table(data.events, path)
    assert "2026-09-07" in alert_periods(path, "week")


def test_the_extract_holds_the_tickets_opened_in_the_window():
    data = generate_service_desk(cases=300, seed=3)
    ev = data.events
    ids = set(ev.column("case_id").to_pylist())
    assert len(ids) == 300
    assert all(i.startswith("INC-") for i in ids)
    assert pc.min(ev.column("timestamp")).as_py() >= START
    created = ev.filter(pc.equal(ev.column("activity"), "Ticket created"))
    assert created.num_rows == 300  # every case starts in the window: none is cut
    assert set(data.feedback.column("case_id").to_pylist()) <= ids


def test_warmup_must_not_be_negative():
    from servops.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="'warmup' parameter"):
        generate_service_desk(cases=5, warmup=timedelta(days=-1))
