"""Live updates: ``GET /app/events``, a Server-Sent Events stream of the caller's events.

Each event is ``id: <events.id>``, ``event: ticket`` and a JSON ``data`` line
(:meth:`servops.service.feed.FeedEvent.to_dict`). A browser that reconnects sends the
last id it saw in ``Last-Event-ID`` and gets exactly the events after it that it may see
(:func:`servops.service.feed.events_after`: the access layer's visibility). A fresh page
passes ``?after=<id>`` (the last event id when it was rendered), so nothing between the
render and the connection is lost. A comment line (``: heartbeat``) every
``HEARTBEAT_S`` keeps proxies from closing an idle stream.

**One poller per process** (:class:`Hub`, started with the first stream, ended with the
last one or at shutdown) reads the new event ids every ``POLL_S`` — one query, however
many browsers are connected — and, only when there are some, the events of those ids
once per audience (:func:`servops.service.feed.audience`: staff, one organisation's
customers, one customer without an organisation) through ``events_after``; each stream
gets its audience's events. A stream first catches up on its own (the events after its
cursor, in batches), then takes the poller's. Several worker processes each have their
own poller.

Event ids come from a sequence, so a transaction can commit an id smaller than one
already read. The poller keeps the ids of the last ``LOOKBACK_IDS`` it has not seen yet
and asks for them again on each poll; a stream sends such a late event once, if it is
after the stream's cursor and at most ``LOOKBACK_IDS`` behind the newest id it sent. Across
a reconnect such a late event is not resent, which is why pages also reload their lists
when the stream (re)opens.

A stream whose client reads slower than events arrive is ended once ``INBOX_BATCHES``
deliveries wait for it (nothing is held without bound); the browser reconnects and
resumes from its ``Last-Event-ID`` out of the database.

The stream holds no database connection while it is open: the caller is looked up with a
session closed before the stream starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from typing import TYPE_CHECKING, Annotated

import anyio
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from servops.api.deps import MAX_ID, Settings
from servops.service.feed import audience, events_after, last_event_id, new_event_ids
from servops.web.deps import page_principal

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from fastapi import FastAPI
    from sqlalchemy.orm import Session, sessionmaker

    from servops.service.access import Principal
    from servops.service.feed import FeedEvent

__all__ = [
    "HEARTBEAT_S",
    "INBOX_BATCHES",
    "LOOKBACK_IDS",
    "POLL_S",
    "Hub",
    "format_event",
    "hub_of",
    "router",
    "stop_hub",
]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/app", include_in_schema=False)

POLL_S = 0.5
HEARTBEAT_S = 15.0
LOOKBACK_IDS = 1000
_BATCH = 500
#: Deliveries a stream may have waiting (one per poll with events for it). A client that
#: reads slower than events come is cut off when its inbox is full, so a stalled browser
#: cannot make the process hold events without bound; it reconnects with
#: ``Last-Event-ID`` and catches up from the database.
INBOX_BATCHES = 120


def format_event(event: FeedEvent, *, staff: bool) -> str:
    """One SSE message: ``id``, ``event: ticket``, one JSON ``data`` line, a blank line."""
    data = json.dumps(event.to_dict(staff=staff), ensure_ascii=False)
    return f"id: {event.id}\nevent: ticket\ndata: {data}\n\n"


def _cursor(last_event_id: str | None, after: int | None) -> int:
    if last_event_id is not None and last_event_id.strip().isdigit():
        return min(int(last_event_id.strip()), MAX_ID)
    return after or 0


class _Stream:
    """One connection: its principal, what it has sent, and its inbox from the hub."""

    def __init__(self, principal: Principal, cursor: int) -> None:
        self.principal = principal
        self.audience = audience(principal)
        self.newest = cursor
        self.floor = cursor  # ids at or below it were never ours to send
        self.sent: set[int] = set()
        self.inbox: asyncio.Queue[list[FeedEvent]] = asyncio.Queue(INBOX_BATCHES)
        self.cut_off = (
            False  # its inbox overflowed: the stream ends, the client resumes
        )

    def accept(self, events: list[FeedEvent]) -> list[FeedEvent]:
        """The events not sent yet, after the cursor and within the lookback."""
        since = max(self.floor, self.newest - LOOKBACK_IDS)
        fresh = [e for e in events if e.id > since and e.id not in self.sent]
        if fresh:
            self.newest = max(self.newest, max(e.id for e in fresh))
            self.sent.update(e.id for e in fresh)
            horizon = self.newest - LOOKBACK_IDS
            self.sent = {i for i in self.sent if i > horizon}
        return fresh

    def catch_up(self, factory: sessionmaker[Session]) -> list[FeedEvent]:
        """The events after the cursor now (all of them, read in batches)."""
        out: list[FeedEvent] = []
        with factory() as session:
            while True:
                batch = events_after(session, self.principal, self.newest, limit=_BATCH)
                out += self.accept(batch)
                if len(batch) < _BATCH:
                    return out


class Hub:
    """The process's poller: new event ids once per ``POLL_S``, events per audience."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        self.loop = asyncio.get_running_loop()
        self.streams: set[_Stream] = set()
        self.guard = threading.Lock()  # streams: added in the loop, read in a thread
        self.newest: int | None = None  # the newest event id read
        self.late: set[int] = set()  # ids within the lookback not committed yet
        self.ready = asyncio.Event()  # set once ``newest`` is known
        self.task: asyncio.Task[None] | None = None
        self.polls = 0  # id queries made (tests and benchmarks read it)

    def add(self, stream: _Stream) -> None:
        """Serve ``stream`` too (starts the poller if it is not running)."""
        with self.guard:
            self.streams.add(stream)
        if self.task is None or self.task.done():
            # a new start reads where the feed is now (the last poller ended with the
            # last stream; what came since is each new stream's catch-up)
            self.newest = None
            self.late = set()
            self.ready = asyncio.Event()
            self.task = self.loop.create_task(self._run())

    def remove(self, stream: _Stream) -> None:
        """Stop serving ``stream`` (the poller ends after the last one)."""
        with self.guard:
            self.streams.discard(stream)

    async def stop(self) -> None:
        """Cancel the poller (application shutdown)."""
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def _run(self) -> None:
        while True:
            with self.guard:
                if not self.streams:
                    return
            try:
                deliveries = await anyio.to_thread.run_sync(self.poll)
            except Exception:  # the database is away: streams stay open, try again
                log.exception("the live feed's poll failed")
                deliveries = []
            if self.newest is not None:
                self.ready.set()
            self.deliver(deliveries)
            await anyio.sleep(POLL_S)

    def deliver(self, deliveries: list[tuple[_Stream, list[FeedEvent]]]) -> None:
        """Put each stream's events in its inbox; a full inbox cuts the stream off."""
        for stream, events in deliveries:
            try:
                stream.inbox.put_nowait(events)
            except asyncio.QueueFull:
                stream.cut_off = True
                self.remove(stream)

    def poll(self) -> list[tuple[_Stream, list[FeedEvent]]]:
        """One poll (in a worker thread): the new events each stream may see."""
        with self.factory() as session:
            if self.newest is None:
                self._start(session)
                return []
            ids = new_event_ids(session, self.newest, self.late, limit=_BATCH)
            self.polls += 1
            if not ids:
                return []
            self._advance(ids)
            with self.guard:  # after the id query: later streams catch up on these
                streams = list(self.streams)
            principals = {s.audience: s.principal for s in streams}
            events = {
                key: events_after(session, p, 0, ids=ids, limit=len(ids))
                for key, p in principals.items()
            }
        return [(s, events[s.audience]) for s in streams if events[s.audience]]

    def _start(self, session: Session) -> None:
        newest = last_event_id(session)
        low = max(0, newest - LOOKBACK_IDS)
        seen = set(new_event_ids(session, low, limit=LOOKBACK_IDS))
        self.late = set(range(low + 1, newest + 1)) - seen
        self.newest = newest

    def _advance(self, ids: list[int]) -> None:
        assert self.newest is not None
        top = max(ids)
        if top > self.newest:
            low = max(self.newest, top - LOOKBACK_IDS)
            self.late |= set(range(low + 1, top + 1))
            self.newest = top
        horizon = self.newest - LOOKBACK_IDS
        self.late = {i for i in self.late - set(ids) if i > horizon}


def hub_of(app: FastAPI) -> Hub:
    """The app's poller in the running event loop (made on first use)."""
    hub: Hub | None = getattr(app.state, "live_hub", None)
    if hub is None or hub.loop is not asyncio.get_running_loop():
        hub = Hub(app.state.sessionmaker)
        app.state.live_hub = hub
    return hub


async def stop_hub(app: FastAPI) -> None:
    """End the app's poller (at shutdown)."""
    hub: Hub | None = getattr(app.state, "live_hub", None)
    if hub is not None:
        await hub.stop()


async def _messages(request: Request, stream: _Stream) -> AsyncIterator[str]:
    yield "retry: 2000\n\n"
    hub = hub_of(request.app)
    hub.add(stream)
    try:
        while not hub.ready.is_set():  # the hub's first reading precedes the catch-up
            if await request.is_disconnected():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(hub.ready.wait(), POLL_S)
        staff = stream.principal.is_staff
        events = await anyio.to_thread.run_sync(stream.catch_up, hub.factory)
        for e in events:
            yield format_event(e, staff=staff)
        last_write = time.monotonic()
        while not stream.cut_off and not await request.is_disconnected():
            # asleep until the hub hands over events or a heartbeat is due (a closed
            # connection shows at the latest when the heartbeat is written)
            wait = max(0.05, HEARTBEAT_S - (time.monotonic() - last_write))
            try:
                batch = await asyncio.wait_for(stream.inbox.get(), wait)
            except TimeoutError:
                batch = []
            events = stream.accept(batch)
            for e in events:
                yield format_event(e, staff=staff)
            now = time.monotonic()
            if events:
                last_write = now
            elif now - last_write >= HEARTBEAT_S:
                yield ": heartbeat\n\n"
                last_write = now
    finally:
        hub.remove(stream)


@router.get("/events")
def live_events(
    request: Request,
    settings: Settings,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", max_length=20)
    ] = None,
) -> StreamingResponse:
    # the caller is looked up with a session of its own, closed before streaming:
    # a request-scoped session (PageCaller) would hold a pooled connection for the
    # stream's whole life, and the pool would run dry at a few dozen browsers
    with request.app.state.sessionmaker() as session:
        me = page_principal(request, session, settings)
    stream = _Stream(me, _cursor(last_event_id, after))
    return StreamingResponse(
        _messages(request, stream),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
