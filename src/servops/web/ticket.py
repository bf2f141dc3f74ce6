"""The ticket page ``/app/tickets/{ref}``: facts, SLA clocks, timeline, reply, actions.

Anyone who may see the ticket (:func:`servops.api.routes.tickets.visible_ticket`: a
customer only their organisation's, else 404) gets the page; what it shows depends on
the role (:mod:`servops.web.timeline`). Staff also get the SLA clocks (stage, due
instant counted down live, business time elapsed and paused), the transitions the
state machine allows from the current state, assignment, and the triage model's
suggested category with its confidence. Every change calls the API's route function
(reply: ``POST /tickets/{ref}/comments``; transition, assign), so the page does exactly
what the API does. The live part reloads when the feed reports a change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from sqlalchemy import select

from servops.api.deps import Db, Settings  # noqa: TC001 (FastAPI resolves them)
from servops.api.routes import comments as comment_routes
from servops.api.routes import tickets as ticket_routes
from servops.api.routes.tickets import TicketRef  # noqa: TC001 (FastAPI resolves it)
from servops.api.schemas import AssignIn, CommentCreate, TransitionIn
from servops.service.config_store import live_state_machine
from servops.service.feed import last_event_id
from servops.service.models import Group, Organisation, SlaTimer, User
from servops.service.queues import queue_choices
from servops.web.deps import PageCaller  # noqa: TC001 (FastAPI resolves it)
from servops.web.forms import Form, validated
from servops.web.templating import render
from servops.web.timeline import timeline

if TYPE_CHECKING:
    from fastapi.responses import HTMLResponse
    from sqlalchemy.orm import Session

    from servops.api.settings import ServiceSettings
    from servops.service.access import Principal

__all__ = ["router", "survey_page_url"]

router = APIRouter(prefix="/app", include_in_schema=False)

_METRIC_ORDER = {"first_response": 0, "next_update": 1, "resolution": 2}


def survey_page_url(api_url: str, public_url: str) -> str:
    """The survey page of the link the API made (``<base>/app/surveys/<token>``).

    >>> survey_page_url("http://desk/app/surveys/abc", "http://desk")
    'http://desk/app/surveys/abc'
    """
    token = api_url.rstrip("/").rpartition("/")[2]
    return f"{public_url.rstrip('/')}/app/surveys/{token}"


def _context(
    request: Request,
    session: Session,
    settings: ServiceSettings,
    me: Principal,
    ref: str,
) -> dict[str, Any]:
    ticket = ticket_routes.visible_ticket(session, ref, me)
    names = {
        u.id: u.name
        for u in session.scalars(
            select(User).where(
                User.id.in_({i for i in (ticket.customer_id, ticket.assignee_id) if i})
            )
        )
    }
    group = session.get(Group, ticket.group_id) if ticket.group_id else None
    org = (
        session.get(Organisation, ticket.organisation_id)
        if ticket.organisation_id
        else None
    )
    ctx: dict[str, Any] = {
        "ticket": ticket,
        "customer": names.get(ticket.customer_id) if ticket.customer_id else None,
        "assignee": names.get(ticket.assignee_id) if ticket.assignee_id else None,
        "group": group.name if group else None,
        "organisation": org.name if org else None,
        "items": timeline(session, ticket, me),
        "now": settings.now(),
        "server_now": settings.now().isoformat(),
        "survey_url": None,
    }
    if me.is_staff:
        timers = sorted(
            session.scalars(select(SlaTimer).where(SlaTimer.ticket_id == ticket.id)),
            key=lambda r: (_METRIC_ORDER.get(r.metric, 9), r.metric),
        )
        suggestion = ticket_routes.get_ticket(ref, request, session, me).suggestion
        ctx |= {
            "timers": timers,
            "allowed": live_state_machine(session).allowed(ticket.state),
            "suggestion": suggestion,
            "triage_on": getattr(request.app.state, "triage", None) is not None,
            "agents": queue_choices(session, me.user_id).agents,
        }
    return ctx


def _live(
    request: Request,
    session: Session,
    settings: ServiceSettings,
    me: Principal,
    ref: str,
    **extra: Any,  # noqa: ANN401 - template values
) -> HTMLResponse:
    """The ticket's live part (what HTMX swaps in after a change, and on live events)."""
    ctx = _context(request, session, settings, me, ref) | extra
    return render(request, "ticket_live.html.j2", me=me, **ctx)


@router.get("/tickets/{ref}")
def ticket_page(
    ref: TicketRef, request: Request, me: PageCaller, session: Db, settings: Settings
) -> HTMLResponse:
    ctx = _context(request, session, settings, me, ref)
    return render(request, "ticket.html.j2", me=me, after=last_event_id(session), **ctx)


@router.get("/tickets/{ref}/live")
def ticket_live(
    ref: TicketRef, request: Request, me: PageCaller, session: Db, settings: Settings
) -> HTMLResponse:
    return _live(request, session, settings, me, ref)


@router.post("/tickets/{ref}/comments")
def reply(
    ref: TicketRef,
    request: Request,
    me: PageCaller,
    form: Form,
    session: Db,
    settings: Settings,
) -> HTMLResponse:
    public = form.get("visibility", "public") != "internal"
    body = validated(CommentCreate, body=form.require("body"), public=public)
    comment_routes.add_comment(ref, body, session, me, settings)
    return _live(request, session, settings, me, ref)


@router.post("/tickets/{ref}/transition")
def transition(
    ref: TicketRef,
    request: Request,
    me: PageCaller,
    form: Form,
    session: Db,
    settings: Settings,
) -> HTMLResponse:
    body = validated(TransitionIn, to=form.require("to"))
    out = ticket_routes.transition(ref, body, request, session, me, settings)
    if out["survey_url"]:
        survey = survey_page_url(out["survey_url"], settings.public_url)
        return _live(request, session, settings, me, ref, survey_url=survey)
    return _live(request, session, settings, me, ref)


@router.post("/tickets/{ref}/assign")
def assign(
    ref: TicketRef,
    request: Request,
    me: PageCaller,
    form: Form,
    session: Db,
    settings: Settings,
) -> HTMLResponse:
    body = validated(AssignIn, assignee_id=form.require("assignee_id"))
    ticket_routes.assign(ref, body, request, session, me, settings)
    return _live(request, session, settings, me, ref)
