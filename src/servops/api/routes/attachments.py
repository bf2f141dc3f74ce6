"""Attachment metadata of a ticket (name, type, size, sha256; the bytes live elsewhere)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from servops.api.deps import Caller, Db, Settings, in_thread
from servops.api.routes.tickets import TicketRef, actor_of, visible_ticket
from servops.api.schemas import AttachmentCreate, AttachmentPublic
from servops.service import access
from servops.service.events import append_event
from servops.service.models import Attachment

__all__ = ["ATTACHED", "router"]

router = APIRouter(prefix="/tickets/{ref}/attachments", tags=["attachments"])

#: The event activity of a new attachment.
ATTACHED = "Attachment added"


@in_thread(router.get("", summary="A ticket's attachments"))
def list_attachments(
    ref: TicketRef, session: Db, caller: Caller
) -> list[AttachmentPublic]:
    access.require_scope(caller, "tickets:read")
    ticket = visible_ticket(session, ref, caller)
    rows = session.scalars(
        select(Attachment)
        .where(Attachment.ticket_id == ticket.id)
        .order_by(Attachment.id)
    )
    return [AttachmentPublic.model_validate(a) for a in rows]


@in_thread(router.post("", status_code=201, summary="Record an attachment's metadata"))
def add_attachment(
    ref: TicketRef,
    body: AttachmentCreate,
    session: Db,
    caller: Caller,
    settings: Settings,
) -> AttachmentPublic:
    access.require_scope(caller, "tickets:write")
    ticket = visible_ticket(session, ref, caller)
    at = settings.now()
    row = Attachment(ticket_id=ticket.id, created_at=at, **body.model_dump())
    session.add(row)
    session.flush()
    append_event(
        session,
        ticket,
        ATTACHED,
        actor=actor_of(caller),
        at=at,
        payload={
            "attachment_id": row.id,
            "filename": body.filename,
            "size_bytes": body.size_bytes,
        },
    )
    session.commit()
    return AttachmentPublic.model_validate(row)
