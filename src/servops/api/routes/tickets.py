"""Tickets: create, list with filters, get, update, transition, assign.

Customers see and file only their organisation's tickets (:func:`servops.service.access.
visible_tickets` is applied to every query, and a ticket outside it is a 404); agents and
above see all. Every change is a domain operation of :mod:`servops.service.tickets`, which
writes its event in the same transaction.
"""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 (FastAPI reads the annotation)
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import select

from servops.api.deps import MAX_ID, Caller, Db, Settings, in_thread
from servops.api.schemas import (
    AssignIn,
    Suggestion,
    TicketCreate,
    TicketPublic,
    TicketUpdate,
    TransitionIn,
)
from servops.errors import NotFoundError, PermissionDeniedError
from servops.service import access, routing, surveys
from servops.service import tickets as ops
from servops.service.config_store import live_state_machine
from servops.service.events import Actor
from servops.service.models import Group, Ticket, User

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from servops.service.access import Principal

__all__ = ["TicketRef", "actor_of", "router", "visible_ticket"]

router = APIRouter(prefix="/tickets", tags=["tickets"])

#: Query texts: PostgreSQL text cannot hold NUL characters (a 422, not a database error).
NO_NUL = r"^[^\x00]*$"

#: A ticket's number (``T-000123``) or numeric id.
TicketRef = Annotated[
    str,
    Path(
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="number or id",
    ),
]


def actor_of(p: Principal) -> Actor:
    """The event-log actor for a caller."""
    return Actor(p.user_id, p.role, p.name)


def visible_ticket(
    session: Session, ref: str, principal: Principal, *, lock: bool = False
) -> Ticket:
    """The ticket ``ref`` if the caller may see it; :class:`NotFoundError` otherwise.

    :func:`servops.service.access.visible_ticket`: one statement that also reads the
    newest config versions, so a change that follows asks for nothing more.
    """
    return access.visible_ticket(session, ref, principal, lock=lock)


def _suggestion(request: Request, ticket: Ticket) -> Suggestion | None:
    clf = getattr(request.app.state, "triage", None)
    if clf is None:
        return None
    s = clf.suggest_ticket(ticket.subject, ticket.text)
    return Suggestion(category=s.label, confidence=round(float(s.confidence), 4))


def _public(request: Request, ticket: Ticket, *, suggest: bool = True) -> TicketPublic:
    out = TicketPublic.model_validate(ticket)
    if suggest:
        out.suggestion = _suggestion(request, ticket)
    return out


def _check_refs(session: Session, **ids: int | None) -> None:
    cls = {"customer_id": User, "assignee_id": User, "group_id": Group}
    for name, value in ids.items():
        if value is not None and session.get(cls[name], value) is None:
            msg = f"{name} {value} does not exist."
            raise NotFoundError(msg)


@in_thread(
    router.post("", status_code=201, summary="Create a ticket (routed by the rules)")
)
def create_ticket(
    body: TicketCreate,
    request: Request,
    session: Db,
    caller: Caller,
    settings: Settings,
) -> TicketPublic:
    access.require_scope(caller, "tickets:write")
    if caller.is_staff:
        _check_refs(session, customer_id=body.customer_id, group_id=body.group_id)
        customer = session.get(User, body.customer_id) if body.customer_id else None
        customer_id = body.customer_id
        organisation_id = customer.organisation_id if customer is not None else None
        group_id = body.group_id
    else:
        if body.customer_id not in (None, caller.user_id) or body.group_id is not None:
            msg = "customers file tickets for themselves and cannot choose the group."
            raise PermissionDeniedError(msg)
        customer_id, organisation_id, group_id = (
            caller.user_id,
            caller.organisation_id,
            None,
        )
    actor = actor_of(caller)
    ticket = ops.create_ticket(
        session,
        subject=body.subject,
        text=body.text,
        channel=body.channel,
        priority=body.priority,
        category=body.category,
        customer_id=customer_id,
        organisation_id=organisation_id,
        group_id=group_id,
        attributes=body.attributes,
        actor=actor,
        now=settings.now,
        machine=live_state_machine(session),
    )
    routing.route_ticket(session, ticket, actor=actor, now=settings.now)
    session.commit()
    return _public(request, ticket)


@in_thread(
    router.get("", summary="List tickets (filters combine with AND), newest first")
)
def list_tickets(
    request: Request,
    session: Db,
    caller: Caller,
    state: Annotated[str | None, Query(pattern=NO_NUL, max_length=64)] = None,
    status: Annotated[
        str | None,
        Query(
            max_length=16,
            description="state category: new, open, pending, resolved, closed",
        ),
    ] = None,
    priority: Annotated[str | None, Query(pattern=NO_NUL, max_length=64)] = None,
    category: Annotated[str | None, Query(pattern=NO_NUL, max_length=64)] = None,
    channel: Annotated[str | None, Query(pattern=NO_NUL, max_length=64)] = None,
    group_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    assignee_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    organisation_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    unassigned: Annotated[
        bool, Query(description="only tickets without an assignee")
    ] = False,
    q: Annotated[
        str | None,
        Query(pattern=NO_NUL, max_length=200, description="text in the subject"),
    ] = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[TicketPublic]:
    access.require_scope(caller, "tickets:read")
    stmt = access.visible_tickets(select(Ticket), caller)
    eq: dict[str, Any] = {
        "state": state,
        "priority": priority,
        "category": category,
        "channel": channel,
        "group_id": group_id,
        "assignee_id": assignee_id,
        "organisation_id": organisation_id,
    }
    for col, value in eq.items():
        if value is not None:
            stmt = stmt.where(getattr(Ticket, col) == value)
    if status is not None:
        states = live_state_machine(session).states_in((status,))
        stmt = stmt.where(Ticket.state.in_(states))
    if unassigned:
        stmt = stmt.where(Ticket.assignee_id.is_(None))
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Ticket.subject.ilike(f"%{escaped}%", escape="\\"))
    if created_from is not None:
        stmt = stmt.where(Ticket.created_at >= created_from)
    if created_to is not None:
        stmt = stmt.where(Ticket.created_at < created_to)
    rows = session.scalars(
        stmt.order_by(Ticket.id.desc()).limit(limit).offset(offset)
    ).all()
    return [_public(request, t, suggest=False) for t in rows]


@in_thread(
    router.get(
        "/{ref}", summary="A ticket (with the classifier's suggestion, if configured)"
    )
)
def get_ticket(
    ref: TicketRef, request: Request, session: Db, caller: Caller
) -> TicketPublic:
    access.require_scope(caller, "tickets:read")
    return _public(request, visible_ticket(session, ref, caller))


@in_thread(router.patch("/{ref}", summary="Change ticket fields (agents and above)"))
def update_ticket(
    ref: TicketRef,
    body: TicketUpdate,
    request: Request,
    session: Db,
    caller: Caller,
    settings: Settings,
) -> TicketPublic:
    access.require_scope(caller, "tickets:write")
    access.require_role(caller, "agent")
    ticket = visible_ticket(session, ref, caller)
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    changes = {k: v for k, v in changes.items() if v is not None or k == "category"}
    ops.update_ticket(
        session,
        ticket,
        changes,
        actor=actor_of(caller),
        expected_version=body.version,
        now=settings.now,
        machine=live_state_machine(session),
    )
    session.commit()
    return _public(request, ticket)


@in_thread(
    router.post(
        "/{ref}/transition", summary="Move to another state (the state machine decides)"
    )
)
def transition(
    ref: TicketRef,
    body: TransitionIn,
    request: Request,
    session: Db,
    caller: Caller,
    settings: Settings,
) -> dict[str, Any]:
    """On entering a resolved state a survey link is made and returned (``survey_url``)."""
    access.require_scope(caller, "tickets:write")
    access.require_role(caller, "agent")
    ticket = visible_ticket(session, ref, caller)
    machine = live_state_machine(session)
    before = machine.state(ticket.state).category
    actor = actor_of(caller)
    if body.comment:
        ops.add_comment(
            session,
            ticket,
            body.comment,
            actor=actor,
            public=True,
            now=settings.now,
            machine=machine,
        )
    activity = ops.transition(
        session, ticket, body.to, actor=actor, now=settings.now, machine=machine
    )
    after = machine.state(ticket.state).category
    survey_url = None
    if after == "resolved" and before != "resolved":
        link = surveys.create_survey(
            session, ticket.id, ttl=settings.survey_ttl, now=settings.now
        )
        survey_url = link.url(settings.public_url)
    if after in ("resolved", "closed") and ticket.group_id is not None:
        routing.drain_queue(session, ticket.group_id, now=settings.now)
    session.commit()
    return {
        "ticket": _public(request, ticket, suggest=False).model_dump(mode="json"),
        "activity": activity,
        "survey_url": survey_url,
    }


@in_thread(
    router.post(
        "/{ref}/assign", summary="Assign to a group/agent, or route by the rules"
    )
)
def assign(
    ref: TicketRef,
    body: AssignIn,
    request: Request,
    session: Db,
    caller: Caller,
    settings: Settings,
) -> TicketPublic:
    access.require_scope(caller, "tickets:write")
    access.require_role(caller, "agent")
    ticket = visible_ticket(session, ref, caller)
    actor = actor_of(caller)
    if body.group_id is None and body.assignee_id is None:
        routing.route_ticket(session, ticket, actor=actor, now=settings.now)
    else:
        _check_refs(session, group_id=body.group_id, assignee_id=body.assignee_id)
        if body.assignee_id is not None:
            agent = session.get(User, body.assignee_id)
            if agent is None or agent.role == "customer" or not agent.active:
                msg = f"user {body.assignee_id} is not an active agent."
                raise PermissionDeniedError(msg)
        changes = {
            k: v
            for k, v in (("group_id", body.group_id), ("assignee_id", body.assignee_id))
            if v is not None
        }
        ops.update_ticket(
            session,
            ticket,
            changes,
            actor=actor,
            now=settings.now,
            machine=live_state_machine(session),
        )
    session.commit()
    return _public(request, ticket)
