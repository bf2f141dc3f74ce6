"""Agent queues: ``/app/queue`` (mine) and ``/app/queue/groups`` (my groups').

Open tickets, most urgent SLA clock first (:func:`servops.service.queues.queue`), with
live countdowns and the warning/breached states of the SLA timers; filters (state,
priority, group, channel, text); bulk actions (assign, state, priority) that call the
API's own route functions ticket by ticket, so they do exactly what the API does (the
state machine, routing, surveys on resolve, SLA timers), each ticket in its own
transaction and each outcome reported. The list reloads itself when the live feed
reports a change (``hx-trigger="live from:body"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from servops.api.deps import MAX_ID, Db, Settings
from servops.api.routes import tickets as ticket_routes
from servops.api.schemas import AssignIn, TicketUpdate, TransitionIn
from servops.errors import InvalidParameterError, ServopsError
from servops.service import access
from servops.service.config_store import live_state_machine
from servops.service.feed import last_event_id
from servops.service.models import Ticket
from servops.service.queues import QueueFilters, queue, queue_choices
from servops.web.deps import PageCaller  # noqa: TC001 (FastAPI resolves it)
from servops.web.forms import Form, validated
from servops.web.templating import render

if TYPE_CHECKING:
    from fastapi.responses import HTMLResponse
    from sqlalchemy.orm import Session

    from servops.api.settings import ServiceSettings
    from servops.service.access import Principal
    from servops.service.queues import Scope

__all__ = ["BulkOutcome", "router"]

router = APIRouter(prefix="/app", include_in_schema=False)

Text = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]*$")]
Short = Annotated[str | None, Query(max_length=64, pattern=r"^[^\x00]*$")]
#: A select's empty choice sends ``group_id=`` (any group): digits or nothing.
GroupId = Annotated[str | None, Query(max_length=10, pattern=r"^\d*$")]
ROW_LIMIT = 200


def _filters(
    state: Short = None,
    priority: Short = None,
    group_id: GroupId = None,
    channel: Short = None,
    text: Text = None,
) -> QueueFilters:
    """The queue's filters from the query (a dependency of every queue route)."""
    gid = int(group_id) if group_id else None
    if gid is not None and not 1 <= gid <= MAX_ID:
        msg = f"group_id must be a group's id (1 to {MAX_ID}); got {group_id!r}."
        raise InvalidParameterError(msg)
    return QueueFilters(
        state=state or None,
        priority=priority or None,
        group_id=gid,
        channel=channel or None,
        text=(text or "").strip() or None,
    )


Filters = Annotated[QueueFilters, Depends(_filters)]


def _page(
    request: Request,
    session: Session,
    settings: ServiceSettings,
    me: Principal,
    scope: Scope,
    filters: QueueFilters,
    *,
    fragment: bool,
) -> HTMLResponse:
    access.require_role(me, "agent")
    page = queue(session, me, scope=scope, filters=filters, limit=ROW_LIMIT)
    context: dict[str, Any] = {
        "page": page,
        "scope": scope,
        "filters": filters,
        "server_now": settings.now().isoformat(),
        "now": settings.now(),
    }
    if fragment:
        return render(request, "queue_rows.html.j2", me=me, **context)
    return render(
        request,
        "queue.html.j2",
        me=me,
        choices=queue_choices(session, me.user_id),
        all_states=list(live_state_machine(session).categories()),
        after=last_event_id(session),
        **context,
    )


@router.get("/queue")
def my_queue(
    request: Request, me: PageCaller, session: Db, settings: Settings, f: Filters
) -> HTMLResponse:
    return _page(request, session, settings, me, "mine", f, fragment=False)


@router.get("/queue/groups")
def group_queue(
    request: Request, me: PageCaller, session: Db, settings: Settings, f: Filters
) -> HTMLResponse:
    return _page(request, session, settings, me, "groups", f, fragment=False)


@router.get("/queue/rows")
def queue_rows(
    request: Request,
    me: PageCaller,
    session: Db,
    settings: Settings,
    f: Filters,
    scope: Annotated[Literal["mine", "groups"], Query()] = "mine",
) -> HTMLResponse:
    return _page(request, session, settings, me, scope, f, fragment=True)


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk action did to one ticket: ``ok`` or the error's message."""

    ticket_id: int
    number: str | None
    ok: bool
    message: str


@router.post("/queue/bulk")
def bulk_action(
    request: Request, me: PageCaller, form: Form, session: Db, settings: Settings
) -> HTMLResponse:
    """Apply one action to every ticked ticket; the response lists each outcome."""
    access.require_role(me, "agent")
    action = form.require("action")
    ids = form.integers("ticket")
    if not ids:
        msg = "tick at least one ticket for a bulk action."
        raise InvalidParameterError(msg)
    if action == "assign":
        assignee = form.require("assignee_id")
        body_assign = validated(AssignIn, assignee_id=assignee)
    elif action == "state":
        body_state = validated(TransitionIn, to=form.require("to"))
    elif action == "priority":
        body_priority = validated(TicketUpdate, priority=form.require("priority"))
    else:
        msg = f"unknown bulk action {action!r}; expected assign, state or priority."
        raise InvalidParameterError(msg)
    visible = access.visible_tickets(select(Ticket).where(Ticket.id.in_(ids)), me)
    numbers: dict[int, str] = {t.id: t.number for t in session.scalars(visible)}
    outcomes: list[BulkOutcome] = []
    for tid in ids:
        number = numbers.get(tid)
        try:
            if action == "assign":
                ticket_routes.assign(
                    str(tid), body_assign, request, session, me, settings
                )
            elif action == "state":
                ticket_routes.transition(
                    str(tid), body_state, request, session, me, settings
                )
            else:
                ticket_routes.update_ticket(
                    str(tid), body_priority, request, session, me, settings
                )
            outcomes.append(BulkOutcome(tid, number, ok=True, message="ok"))
        except ServopsError as exc:
            session.rollback()
            outcomes.append(BulkOutcome(tid, number, ok=False, message=str(exc)))
    return render(
        request,
        "queue_bulk_result.html.j2",
        me=me,
        outcomes=outcomes,
        headers={"HX-Trigger": "queue-changed"},
    )
