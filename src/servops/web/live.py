"""Live updates: ``GET /app/events``, a Server-Sent Events stream of the caller's events.

Each event is ``id: <events.id>``, ``event: ticket`` and a JSON ``data`` line
(:meth:`servops.service.feed.FeedEvent.to_dict`). A browser that reconnects sends the
last id it saw in ``Last-Event-ID`` and gets exactly the events after it that it may see
(:func:`servops.service.feed.events_after`: the access layer's visibility). A fresh page
passes ``?after=<id>`` (the last event id when it was rendered), so nothing between the
render and the connection is lost. A comment line (``: heartbeat``) every
``HEARTBEAT_S`` keeps proxies from closing an idle stream.

Event ids come from a sequence, so a transaction can commit an id smaller than one
already sent. Each poll therefore looks ``LOOKBACK_IDS`` ids behind the newest id sent
and sends the late ones it has not sent yet; across a reconnect such a late event is
not resent, which is why pages also reload their lists when the stream (re)opens.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Annotated

import anyio
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from servops.api.deps import MAX_ID
from servops.service.feed import events_after
from servops.web.deps import PageCaller  # noqa: TC001 (FastAPI resolves it)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sqlalchemy.orm import Session, sessionmaker

    from servops.service.access import Principal
    from servops.service.feed import FeedEvent

__all__ = ["HEARTBEAT_S", "LOOKBACK_IDS", "POLL_S", "format_event", "router"]

router = APIRouter(prefix="/app", include_in_schema=False)

POLL_S = 0.5
HEARTBEAT_S = 15.0
LOOKBACK_IDS = 1000
_BATCH = 500


def format_event(event: FeedEvent, *, staff: bool) -> str:
    """One SSE message: ``id``, ``event: ticket``, one JSON ``data`` line, a blank line."""
    data = json.dumps(event.to_dict(staff=staff), ensure_ascii=False)
    return f"id: {event.id}\nevent: ticket\ndata: {data}\n\n"


def _cursor(last_event_id: str | None, after: int | None) -> int:
    if last_event_id is not None and last_event_id.strip().isdigit():
        return min(int(last_event_id.strip()), MAX_ID)
    return after or 0


class _Stream:
    """The polling state of one connection: the newest id sent and the late ones seen."""

    def __init__(
        self, factory: sessionmaker[Session], principal: Principal, cursor: int
    ) -> None:
        self.factory = factory
        self.principal = principal
        self.newest = cursor
        self.floor = cursor  # ids at or below it were never ours to send
        self.sent: set[int] = set()

    def poll(self) -> list[FeedEvent]:
        since = max(self.floor, self.newest - LOOKBACK_IDS)
        with self.factory() as session:
            events = events_after(session, self.principal, since, limit=_BATCH)
        fresh = [e for e in events if e.id not in self.sent]
        if fresh:
            self.newest = max(self.newest, max(e.id for e in fresh))
            self.sent.update(e.id for e in fresh)
            horizon = self.newest - LOOKBACK_IDS
            self.sent = {i for i in self.sent if i > horizon}
        return fresh


async def _messages(request: Request, stream: _Stream) -> AsyncIterator[str]:
    yield "retry: 2000\n\n"
    last_write = time.monotonic()
    while not await request.is_disconnected():
        events = await anyio.to_thread.run_sync(stream.poll)
        for e in events:
            yield format_event(e, staff=stream.principal.is_staff)
        now = time.monotonic()
        if events:
            last_write = now
        elif now - last_write >= HEARTBEAT_S:
            yield ": heartbeat\n\n"
            last_write = now
        await anyio.sleep(POLL_S)


@router.get("/events")
def live_events(
    request: Request,
    me: PageCaller,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", max_length=20)
    ] = None,
) -> StreamingResponse:
    stream = _Stream(request.app.state.sessionmaker, me, _cursor(last_event_id, after))
    return StreamingResponse(
        _messages(request, stream),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
