"""Targets and A/B on the live service's log (PostgreSQL): open tickets are open.

24 tickets over 24 days through the service layer; the first 16 are resolved after
10 h and closed 2 h later, the last 8 stay open. Read with the state machine's roles,
lead time runs to *Closed*: 16 measured, 8 open, and the open ones are not measured
to their last event.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from typer.testing import CliRunner

from servops.cli.main import app
from servops.improve import Target, ab_test, target_status
from tests.pg import _pg_template, pg_server, pg_url

__all__ = ["_pg_template", "pg_server", "pg_url"]

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


class _Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> datetime:
        return self.t


def _fill(url: str) -> None:
    from servops.service import tickets
    from servops.service.db import make_engine, make_sessionmaker

    clock = _Clock()
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as s:
            for i in range(24):
                clock.t = T0 + timedelta(days=i)
                t = tickets.create_ticket(
                    s,
                    subject=f"t{i}",
                    channel="web",
                    attributes={"ab_x": "A" if i % 2 == 0 else "B"},
                    now=clock,
                )
                if i < 16:
                    clock.t += timedelta(hours=10)
                    tickets.transition(s, t, "resolved", now=clock)
                    clock.t += timedelta(hours=2)
                    tickets.transition(s, t, "closed", now=clock)
            s.commit()
    finally:
        engine.dispose()


@pytest.mark.slow  # ~8 s on the loaded host (+ the PostgreSQL server's start)
def test_targets_and_ab_on_the_live_service(pg_url, tmp_path):
    from servops.service.events import read_service_log, service_kpi_config

    _fill(pg_url)
    log = read_service_log(pg_url)
    cfg = service_kpi_config()
    target = Target("lead", "lead_time", "median", 11 * 3600.0, date(2030, 1, 1))
    (s,) = target_status(log, [target], config=cfg, window_weeks=4)
    # only closed tickets are measured (12 h each); the 8 open ones are named
    assert s.current is not None and abs(s.current - 12 * 3600.0) < 1
    assert any(n.startswith("8 case(s) still open") for n in s.notes), s.notes
    r = ab_test(log, "ab_x", "lead_time", control="A", config=cfg)
    assert (r.measured_control, r.measured_treatment) == (8, 8)
    assert (r.open_control, r.open_treatment) == (4, 4)
    # the command on the URL uses the state machine's roles without -c
    path = tmp_path / "targets.yaml"
    path.write_text(
        "targets:\n  - name: lead\n    metric: lead_time\n    statistic: median\n"
        "    target: 11h\n    deadline: 2030-01-01\n",
        encoding="utf-8",
    )
    out = CliRunner().invoke(
        app, ["improve", "targets", pg_url, "-t", str(path), "--json"]
    )
    assert out.exit_code == 0, out.output
    (d,) = json.loads(out.stdout)
    assert d["current"] == s.current and d["status"] == s.status
