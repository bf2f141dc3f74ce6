"""The live feed's one poller per process: one id query for all streams, events per
audience through the visibility query, late-committed ids, no connection held per stream."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import httpx

from servops.service import access
from servops.service.feed import audience, events_after
from servops.web.live import INBOX_BATCHES, LOOKBACK_IDS, Hub, _Stream
from tests.pg import connect
from tests.web_flow import login

if TYPE_CHECKING:
    from servops.service.access import Principal
    from tests.unit.web.conftest import Web
    from tests.web_flow import LiveServer


def _principal(web: Web, who: str) -> Principal:
    with connect(web.world.url) as con:
        role, org = con.run(
            "SELECT role, organisation_id FROM users WHERE id = :i",
            i=web.world.ids[who],
        )[0]
    return access.Principal(
        user_id=web.world.ids[who],
        role=role,
        organisation_id=org,
        scopes=frozenset(access.SCOPES),
        via="session",
    )


def _max_id(web: Web) -> int:
    with connect(web.world.url) as con:
        return int(con.run("SELECT coalesce(max(id), 0) FROM events")[0][0])


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_audience_groups_exactly_the_principals_that_see_the_same_feed(
    web: Web,
) -> None:
    start = _max_id(web)
    web.ticket("customer", subject="Acme audience")
    web.ticket("customer_globex", subject="Globex audience")
    who = ["agent", "supervisor", "admin", "customer", "customer_acme2"]
    who += ["customer_globex"]
    factory = web.app.state.sessionmaker
    feeds = {}
    with factory() as session:
        for w in who:
            p = _principal(web, w)
            feeds[w] = (audience(p), [e.id for e in events_after(session, p, start)])
    for a in who:
        for b in who:
            same_audience = feeds[a][0] == feeds[b][0]
            assert same_audience == (feeds[a][1] == feeds[b][1]), (a, b, feeds)


def test_one_id_query_per_poll_and_each_stream_gets_its_audience_events(
    web: Web,
) -> None:
    factory = web.app.state.sessionmaker

    async def scenario() -> None:
        hub = Hub(factory)
        cursor = _max_id(web)
        streams = {
            w: _Stream(_principal(web, w), cursor)
            for w in ("agent", "customer", "customer_acme2", "customer_globex")
        }
        with hub.guard:
            hub.streams.update(streams.values())  # served without the background task
        assert hub.poll() == []  # the first reading only finds where the feed is
        assert hub.newest == cursor
        mine = web.ticket("customer", subject="Hub Acme")
        theirs = web.ticket("customer_globex", subject="Hub Globex")
        got: dict[str, list[str]] = {w: [] for w in streams}
        for s, events in hub.poll():
            who = next(w for w, x in streams.items() if x is s)
            got[who] = [e.number for e in s.accept(events)]
        assert hub.polls == 1  # one id query for the four streams
        assert set(got["agent"]) == {mine["number"], theirs["number"]}
        assert set(got["customer"]) == {mine["number"]}
        assert set(got["customer_acme2"]) == {mine["number"]}
        assert set(got["customer_globex"]) == {theirs["number"]}
        assert hub.poll() == []  # nothing new: nothing delivered, one more id query
        assert hub.polls == 2

    _run(scenario())


def test_a_late_committed_event_is_delivered_once(web: Web) -> None:
    factory = web.app.state.sessionmaker

    async def scenario() -> None:
        hub = Hub(factory)
        stream = _Stream(_principal(web, "agent"), _max_id(web))
        with hub.guard:
            hub.streams.add(stream)
        hub.poll()
        with connect(web.world.url) as con:
            late = int(con.run("SELECT nextval('events_id_seq')")[0][0])
        web.ticket("customer", subject="After the reserved id")
        sent = [e for s, ev in hub.poll() for e in s.accept(ev)]
        assert sent
        assert all(e.id > late for e in sent)
        assert late in hub.late  # not committed yet: asked for again on each poll
        hub._advance([late])  # as if it committed and was read
        assert late not in hub.late
        top = hub.newest
        assert top is not None
        hub._advance([top + LOOKBACK_IDS + 5])
        assert all(i > top + 5 for i in hub.late)  # the lookback window moved on
        assert stream.accept(list(sent)) == []  # never sent twice

    _run(scenario())


def test_many_streams_hold_no_connection_and_all_get_the_event(
    web: Web, live: LiveServer
) -> None:
    """12 streams open at once on a server whose pool has 4 + 4 connections."""
    start = _max_id(web)
    with contextlib.ExitStack() as stack:
        agent = stack.enter_context(httpx.Client(base_url=live.url, timeout=10))
        login(agent, "agent@example.test", "pw-agent-123")
        responses = [
            stack.enter_context(agent.stream("GET", f"/app/events?after={start}"))
            for _ in range(12)
        ]
        assert all(r.status_code == 200 for r in responses)
        r = agent.post(
            "/tickets",
            json={"subject": "Fan-out"},
            headers={"X-CSRF-Token": agent.cookies["servops_csrf"]},
        )
        assert r.status_code == 201, r.text
        number = r.json()["number"]
        for resp in responses:
            lines = resp.iter_lines()
            assert any(number in line for line in lines if line.startswith("data:"))
    app: Any = live.server.config.app
    assert app.state.live_hub.polls >= 1


def test_the_poller_ends_with_its_last_stream_and_restarts_fresh(web: Web) -> None:
    factory = web.app.state.sessionmaker

    async def scenario() -> None:
        hub = Hub(factory)
        stream = _Stream(_principal(web, "agent"), _max_id(web))
        hub.add(stream)
        await asyncio.wait_for(hub.ready.wait(), 10)
        first = hub.task
        assert first is not None
        hub.remove(stream)
        await asyncio.wait_for(first, 10)  # no stream: the poller ends
        web.ticket("customer", subject="While nobody listens")
        again = _Stream(_principal(web, "agent"), _max_id(web))
        hub.add(again)
        assert hub.task is not first
        await asyncio.wait_for(hub.ready.wait(), 10)
        assert hub.newest == _max_id(web)  # read afresh, not from the old position
        hub.remove(again)
        await hub.stop()

    _run(scenario())


def test_a_stream_that_falls_behind_is_cut_off_not_buffered(web: Web) -> None:
    factory = web.app.state.sessionmaker

    async def scenario() -> None:
        hub = Hub(factory)
        slow = _Stream(_principal(web, "agent"), 0)
        keeping_up = _Stream(_principal(web, "agent"), 0)
        with hub.guard:
            hub.streams |= {slow, keeping_up}
        for _ in range(INBOX_BATCHES):
            hub.deliver([(slow, []), (keeping_up, [])])
            keeping_up.inbox.get_nowait()
        assert not slow.cut_off
        assert slow.inbox.qsize() == INBOX_BATCHES
        hub.deliver([(slow, []), (keeping_up, [])])
        assert slow.cut_off
        assert not keeping_up.cut_off
        assert hub.streams == {keeping_up}  # no longer polled for

    _run(scenario())
