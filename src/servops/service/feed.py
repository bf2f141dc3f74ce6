"""The live feed: the service's events after a given id that a caller may see.

Server-Sent Events (``servops.web.live``) resume from the last event id a browser saw:
:func:`events_after` returns the events with a larger ``events.id``, oldest first, of the
tickets :func:`servops.service.access.visible_tickets` lets the caller see. Customers do
not get the events of internal notes (the comments rule: customers read public comments
only), nor the activity names of staff-only operations beyond the ticket's state.

The live feed's poller reads the new ids once (:func:`new_event_ids`, no visibility: the
ids never leave the server) and then the events of those ids once per **audience**
(:func:`audience`: the callers who see the same events), through :func:`events_after`
with ``ids`` — so every event a stream sends still comes out of the visibility query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import func, or_, select

from servops.service import access
from servops.service.models import Event, Ticket

if TYPE_CHECKING:
    from collections.abc import Collection
    from datetime import datetime

    from sqlalchemy import Select
    from sqlalchemy.orm import Session

    from servops.service.access import Principal

__all__ = [
    "Audience",
    "FeedEvent",
    "audience",
    "events_after",
    "last_event_id",
    "new_event_ids",
]

#: ``("staff",)``, ``("organisation", id)`` or ``("customer", user id)``.
Audience = tuple[str] | tuple[str, int]


@dataclass(frozen=True)
class FeedEvent:
    """One event of the feed, with its ticket's current state and queue fields."""

    id: int
    ticket_id: int
    number: str
    activity: str
    occurred_at: datetime
    state: str
    group_id: int | None
    assignee_id: int | None

    def to_dict(self, *, staff: bool) -> dict[str, Any]:
        """JSON-ready form; customers get the ticket and its state, not the activity."""
        out: dict[str, Any] = {
            "id": self.id,
            "ticket": self.number,
            "state": self.state,
            "at": self.occurred_at.isoformat(),
        }
        if staff:
            out |= {
                "ticket_id": self.ticket_id,
                "activity": self.activity,
                "group_id": self.group_id,
                "assignee_id": self.assignee_id,
            }
        return out


def last_event_id(session: Session) -> int:
    """The largest event id now (0 with no events): where a fresh page's feed starts."""
    return int(session.scalar(select(func.max(Event.id))) or 0)


def audience(principal: Principal) -> Audience:
    """What the feed's visibility depends on: principals with one audience see one feed.

    :func:`events_after` filters by :func:`servops.service.access.visible_tickets` (staff:
    everything; a customer: the organisation's tickets, or without an organisation the
    own ones) and, for customers, public events only; the JSON form depends on
    ``is_staff`` alone. Those are the only parts of the principal it reads.
    """
    if principal.is_staff:
        return ("staff",)
    if principal.organisation_id is None:
        return ("customer", principal.user_id)
    return ("organisation", principal.organisation_id)


def new_event_ids(
    session: Session, after_id: int, late: Collection[int] = (), *, limit: int = 500
) -> list[int]:
    """Ids of the events after ``after_id`` and of those of ``late`` now committed.

    Id order, at most ``limit``. No visibility applies: the live feed's poller passes
    these ids to :func:`events_after` per audience and sends only what that returns.
    """
    cond = Event.id > after_id
    if late:
        cond = or_(cond, Event.id.in_(sorted(late)))
    stmt = select(Event.id).where(cond).order_by(Event.id).limit(limit)
    return [int(i) for i in session.scalars(stmt)]


def events_after(
    session: Session,
    principal: Principal,
    after_id: int,
    *,
    limit: int = 500,
    ids: Collection[int] | None = None,
) -> list[FeedEvent]:
    """The events with id greater than ``after_id`` that ``principal`` may see, id order.

    With ``ids``, only events of those ids (the live feed's poller reads new events once
    per audience this way).
    """
    stmt = (
        select(
            Event.id,
            Event.ticket_id,
            Ticket.number,
            Event.activity,
            Event.occurred_at,
            Ticket.state,
            Ticket.group_id,
            Ticket.assignee_id,
        )
        .join(Ticket, Ticket.id == Event.ticket_id)
        .where(Event.id > after_id)
    )
    if ids is not None:
        stmt = stmt.where(Event.id.in_(sorted(ids)))
    stmt = cast("Any", access.visible_tickets(cast("Select[Any]", stmt), principal))
    if not principal.is_staff:
        stmt = stmt.where(
            func.coalesce(Event.payload["public"].astext, "true") != "false"
        )
    rows = session.execute(stmt.order_by(Event.id).limit(limit))
    return [FeedEvent(*row) for row in rows]
