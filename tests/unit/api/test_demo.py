"""The twin-driven demo: history imported, the twin's cases worked through the API."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from servops.service.access import hash_password
from servops.service.db import make_engine, make_sessionmaker
from servops.service.demo import DemoClock, DemoDriver, seed_demo, twin_actions
from servops.service.models import Event, Ticket
from tests.unit.api.conftest import client_class


@pytest.mark.slow  # ~40 s: imports 400 tickets, discovers the twin, replays 6 h of it
def test_twin_works_the_desk_through_the_api(pg_url) -> None:
    from servops.api import ServiceSettings, create_app

    start = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # a Monday morning
    clock = DemoClock(20_000.0, start=start)
    setup, history = seed_demo(
        pg_url,
        cases=400,
        seed=3,
        now=lambda: start,
        password_hash=hash_password("demo-pass-1"),
    )
    assert history is not None
    assert setup.logins["l1-01@demo.servops"] == "agent"
    assert setup.logins["supervisor@demo.servops"] == "supervisor"
    assert sum(r == "customer" for r in setup.logins.values()) >= 2
    assert 300 <= setup.imported_tickets <= 400  # cases still to come are left out
    assert set(setup.groups) == {"L1", "L2"}
    actions = twin_actions(history, now=start, hours=6, seed=5)
    assert actions
    assert all(a.at >= start for a in actions)
    assert [a.at for a in actions] == sorted(a.at for a in actions)
    created = sum(a.activity == "Ticket created" for a in actions)
    assert 5 <= created <= 100  # ~75 a weekday in the history

    settings = ServiceSettings(database_url=pg_url, now=clock, pool_size=3)
    with client_class()(create_app(settings)) as client:
        for email in ("l1-01@demo.servops", "supervisor@demo.servops"):
            ok = client.post(
                "/auth/login", json={"email": email, "password": "demo-pass-1"}
            )
            assert ok.status_code == 200, ok.text
            bad = client.post("/auth/login", json={"email": email, "password": "x"})
            assert bad.status_code == 401
        client.cookies.clear()
        driver = DemoDriver(client, setup, seed=5)
        counts = driver.run(actions, stop=threading.Event(), clock=clock)
    assert counts.get("Ticket created") == created
    done = sum(v for k, v in counts.items() if k != "skipped")
    assert counts.get("skipped", 0) <= 0.1 * done
    engine = make_engine(pg_url)
    try:
        with make_sessionmaker(engine)() as s:
            live = s.scalar(
                select(func.count())
                .select_from(Ticket)
                .where(Ticket.number.like("T-%"))
            )
            assert live == created
            acts = set(
                s.scalars(
                    select(Event.activity)
                    .join(Ticket, Ticket.id == Event.ticket_id)
                    .where(Ticket.number.like("T-%"))
                ).all()
            )
    finally:
        engine.dispose()
    assert {"Ticket created", "Agent replied", "Assignee changed", "Resolved"} <= acts
    # the twin's times are the demo clock's: events happen in twin time, not wall time
    assert clock() > start
