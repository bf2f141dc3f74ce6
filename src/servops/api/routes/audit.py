"""The audited events of a ticket (supervisors and admins)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from servops.api.deps import Caller, Db, in_thread
from servops.api.routes.tickets import TicketRef, visible_ticket
from servops.api.schemas import EventPublic
from servops.service import access
from servops.service.models import Event

__all__ = ["router"]

router = APIRouter(tags=["audit"])


@in_thread(
    router.get(
        "/tickets/{ref}/events", summary="A ticket's hash-chained events, in order"
    )
)
def ticket_events(ref: TicketRef, session: Db, caller: Caller) -> list[EventPublic]:
    access.require_role(caller, "supervisor")
    access.require_scope(caller, "tickets:read")
    ticket = visible_ticket(session, ref, caller)
    rows = session.scalars(
        select(Event).where(Event.ticket_id == ticket.id).order_by(Event.seq)
    )
    return [EventPublic.model_validate(e) for e in rows]
