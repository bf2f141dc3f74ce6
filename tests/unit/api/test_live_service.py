"""SLA timers kept current by every API change (policies of the demo's KPI config)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from servops.service.db import make_engine, make_sessionmaker
from servops.service.models import SlaTimer
from tests.unit.api.conftest import Clock, World, client_class, seed_world

DEMO_KPI = Path(__file__).parents[3] / "src" / "servops" / "demo" / "kpi.yaml"


@pytest.fixture(scope="module")
def sla_world(pg_url):
    from servops.api import ServiceSettings, create_app

    clock = Clock()
    # a Monday 09:00 UTC: inside the demo's office hours
    clock.t = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    settings = ServiceSettings(
        database_url=pg_url, now=clock, sla_config=DEMO_KPI, pool_size=3
    )
    with client_class()(create_app(settings)) as client:
        w = World(client=client, clock=clock, url=pg_url)
        seed_world(pg_url, w)
        yield w


def _timers(url: str, ticket_id: int) -> dict[str, SlaTimer]:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as s:
            rows = s.scalars(
                select(SlaTimer).where(SlaTimer.ticket_id == ticket_id)
            ).all()
            return {r.metric: r for r in rows}
    finally:
        engine.dispose()


def _near(got: datetime | None, want: datetime) -> None:
    assert got is not None
    assert abs(got - want) < timedelta(seconds=1), (got, want)


def test_api_changes_keep_sla_timers_current(sla_world) -> None:
    w = sla_world
    t = w.call(
        "customer", "POST", "/tickets", json={"subject": "down", "priority": "P3"}
    ).json()
    timers = _timers(w.url, t["id"])
    # office hours mon-fri 08-18: P3 first response 4 h -> Mon 13:00; resolution 24 h ->
    # Mon 9 h + Tue 10 h + Wed 5 h -> Wed 13:00 (by hand)
    _near(timers["first_response"].due_at, datetime(2026, 3, 2, 13, 0, tzinfo=UTC))
    _near(timers["resolution"].due_at, datetime(2026, 3, 4, 13, 0, tzinfo=UTC))
    assert timers["first_response"].stage == "running"
    # raising the priority re-targets with the elapsed time kept
    w.clock.advance(minutes=30)
    w.call("agent", "PATCH", f"/tickets/{t['number']}", json={"priority": "P1"})
    # P1: 1 h, 30 min already elapsed -> 10:00
    _near(
        _timers(w.url, t["id"])["first_response"].due_at,
        datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
    )
    # the first public reply stops the first-response clock
    w.clock.advance(minutes=10)
    w.call("agent", "POST", f"/tickets/{t['number']}/comments", json={"body": "on it"})
    assert _timers(w.url, t["id"])["first_response"].stage == "met"
