"""Server-Sent Events over real HTTP: resume by Last-Event-ID, visibility, heartbeats."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from tests.pg import connect
from tests.web_flow import SseRead, login, read_events

if TYPE_CHECKING:
    import pytest

    from tests.unit.web.conftest import Web
    from tests.web_flow import LiveServer


def _client(live: LiveServer, who: str) -> httpx.Client:
    client = httpx.Client(base_url=live.url, timeout=10)
    login(client, f"{who}@example.test", f"pw-{who}-123")
    return client


def _max_event_id(url: str) -> int:
    with connect(url) as con:
        return int(con.run("SELECT coalesce(max(id), 0) FROM events")[0][0])


def _visible_ids(url: str, after: int, organisation: str | None) -> list[int]:
    """Independently of the app: the event ids after ``after`` an org's customer sees."""
    sql = (
        "SELECT e.id FROM events e JOIN tickets t ON t.id = e.ticket_id "
        "LEFT JOIN organisations o ON o.id = t.organisation_id WHERE e.id > :after"
    )
    params: dict[str, object] = {"after": after}
    if organisation is not None:
        sql += (
            " AND o.name = :org AND coalesce(e.payload->>'public', 'true') <> 'false'"
        )
        params["org"] = organisation
    with connect(url) as con:
        return [int(r[0]) for r in con.run(sql + " ORDER BY e.id", **params)]


def _ids(read: SseRead) -> list[int]:
    return [e.id for e in read.events if e.id is not None]


def test_reconnect_with_last_event_id_gets_exactly_the_missed_events(
    web: Web, live: LiveServer, request: pytest.FixtureRequest
) -> None:
    start = _max_event_id(web.world.url)
    first = web.ticket("customer", subject="Before the drop")
    seen = _visible_ids(web.world.url, start, None)
    assert seen
    agent = _client(live, "agent")
    request.addfinalizer(agent.close)
    got = read_events(
        agent,
        f"/app/events?after={start}",
        until=lambda r: len(r.events) >= len(seen),
    )
    assert _ids(got) == seen
    assert got.events[0].event == "ticket"
    assert got.events[0].data is not None
    assert got.events[0].data["ticket"] == first["number"]
    assert got.events[0].data["activity"] == "Ticket created"
    # the browser drops; meanwhile two tickets and a comment happen
    last = _ids(got)[-1]
    second = web.ticket("customer", subject="During the drop")
    web.ticket("customer_globex", subject="Other org, during the drop")
    web.world.call(
        "agent",
        "POST",
        f"/tickets/{second['number']}/comments",
        json={"body": "note", "public": False},
    )
    missed = _visible_ids(web.world.url, last, None)
    assert len(missed) >= 3
    again = read_events(
        agent,
        "/app/events?after=0",  # Last-Event-ID wins over the page's ?after
        headers={"Last-Event-ID": str(last)},
        until=lambda r: len(r.events) >= len(missed),
    )
    assert _ids(again) == missed


def test_customers_get_only_their_organisations_public_events(
    web: Web, live: LiveServer, request: pytest.FixtureRequest
) -> None:
    start = _max_event_id(web.world.url)
    mine = web.ticket("customer", subject="Acme feed")
    web.ticket("customer_globex", subject="Globex feed")
    web.world.call(
        "agent",
        "POST",
        f"/tickets/{mine['number']}/comments",
        json={"body": "internal only", "public": False},
    )
    web.world.call(
        "agent",
        "POST",
        f"/tickets/{mine['number']}/comments",
        json={"body": "hello", "public": True},
    )
    expected = _visible_ids(web.world.url, start, "Acme")
    everything = _visible_ids(web.world.url, start, None)
    assert 0 < len(expected) < len(everything)
    customer = _client(live, "customer_acme2")
    request.addfinalizer(customer.close)
    got = read_events(
        customer,
        f"/app/events?after={start}",
        until=lambda r: len(r.events) >= len(expected),
    )
    assert _ids(got) == expected
    for e in got.events:
        assert e.data is not None
        assert e.data["ticket"] == mine["number"]
        assert "activity" not in e.data  # customers get the ticket and state only
    globex = _client(live, "customer_globex")
    request.addfinalizer(globex.close)
    theirs = _visible_ids(web.world.url, start, "Globex")
    other = read_events(
        globex,
        f"/app/events?after={start}",
        until=lambda r: len(r.events) >= len(theirs),
    )
    assert _ids(other) == theirs
    assert all(e.data and e.data["ticket"] != mine["number"] for e in other.events)


def test_heartbeat_and_login_required(
    web: Web,
    live: LiveServer,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    from servops.web import live as live_module

    monkeypatch.setattr(live_module, "HEARTBEAT_S", 0.6)
    agent = _client(live, "agent")
    request.addfinalizer(agent.close)
    got = read_events(
        agent,
        f"/app/events?after={_max_event_id(web.world.url)}",
        until=lambda r: "heartbeat" in r.comments,
        timeout_s=5,
    )
    assert got.events == []
    with httpx.Client(base_url=live.url, timeout=5) as anonymous:
        r = anonymous.get("/app/events")
    assert r.status_code == 303
    assert r.headers["location"].startswith("/app/login")
