"""Comments on a ticket: public replies and internal notes (hidden from customers)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from servops.api.deps import Caller, Db, Settings, in_thread
from servops.api.routes.tickets import TicketRef, actor_of, visible_ticket
from servops.api.schemas import CommentCreate, CommentPublic
from servops.service import access
from servops.service import tickets as ops
from servops.service.config_store import live_state_machine
from servops.service.models import Comment

__all__ = ["router"]

router = APIRouter(prefix="/tickets/{ref}/comments", tags=["comments"])


@in_thread(
    router.get("", summary="A ticket's comments, oldest first (customers: public ones)")
)
def list_comments(ref: TicketRef, session: Db, caller: Caller) -> list[CommentPublic]:
    access.require_scope(caller, "tickets:read")
    ticket = visible_ticket(session, ref, caller)
    q = select(Comment).where(Comment.ticket_id == ticket.id).order_by(Comment.id)
    if not caller.is_staff:
        q = q.where(Comment.public)
    return [CommentPublic.model_validate(c) for c in session.scalars(q)]


@in_thread(
    router.post(
        "",
        status_code=201,
        summary="Comment (staff's first public reply is the first response)",
    )
)
def add_comment(
    ref: TicketRef, body: CommentCreate, session: Db, caller: Caller, settings: Settings
) -> CommentPublic:
    access.require_scope(caller, "tickets:write")
    ticket = visible_ticket(session, ref, caller)
    comment = ops.add_comment(
        session,
        ticket,
        body.body,
        actor=actor_of(caller),
        public=body.public,
        now=settings.now,
        machine=live_state_machine(session),
    )
    session.commit()
    return CommentPublic.model_validate(comment)
