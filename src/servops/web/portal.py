"""The customer portal: my organisation's tickets, a new ticket, the survey page.

``/app/portal`` lists the tickets, ``/app/portal/new`` files one, and
``/app/surveys/{token}`` answers a single-use survey link (no login).

Customers see what :func:`servops.service.access.visible_tickets` lets them see (their
organisation's tickets, or their own without one); a ticket opens on the shared ticket
page (:mod:`servops.web.ticket`), which shows them its state and public comments.
Submitting calls the API's ``POST /tickets`` route function (routing, SLA timers and the
event are exactly the API's); answering calls ``POST /surveys/{token}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from servops.api.deps import Db, Settings  # noqa: TC001 (FastAPI resolves them)
from servops.api.routes import surveys as survey_routes
from servops.api.routes import tickets as ticket_routes
from servops.api.routes.surveys import SurveyToken  # noqa: TC001 (FastAPI resolves it)
from servops.api.schemas import SurveyAnswer, TicketCreate
from servops.errors import InvalidParameterError
from servops.service import access
from servops.service.feed import last_event_id
from servops.service.models import Ticket
from servops.web.deps import PageCaller  # noqa: TC001 (FastAPI resolves it)
from servops.web.forms import Form, validated
from servops.web.templating import render

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from servops.service.access import Principal

__all__ = ["PORTAL_LIMIT", "router"]

router = APIRouter(prefix="/app", include_in_schema=False)

PORTAL_LIMIT = 100


def _tickets(session: Session, me: Principal) -> tuple[list[Ticket], int]:
    stmt = access.visible_tickets(select(Ticket), me)
    rows = list(
        session.scalars(
            stmt.order_by(Ticket.updated_at.desc(), Ticket.id.desc()).limit(
                PORTAL_LIMIT
            )
        )
    )
    total = (
        len(rows)
        if len(rows) < PORTAL_LIMIT
        else int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    )
    return rows, total


@router.get("/portal", response_model=None)
def portal(
    request: Request, me: PageCaller, session: Db, settings: Settings
) -> Response:
    if me.is_staff:
        return RedirectResponse("/app/queue", status_code=303)
    rows, total = _tickets(session, me)
    return render(
        request,
        "portal.html.j2",
        me=me,
        tickets=rows,
        total=total,
        after=last_event_id(session),
        server_now=settings.now().isoformat(),
    )


@router.get("/portal/rows")
def portal_rows(request: Request, me: PageCaller, session: Db) -> Response:
    rows, total = _tickets(session, me)
    return render(request, "portal_rows.html.j2", me=me, tickets=rows, total=total)


@router.get("/portal/new")
def new_ticket_page(request: Request, me: PageCaller) -> Response:
    return render(request, "portal_new.html.j2", me=me)


@router.post("/portal/new")
def submit_ticket(
    request: Request, me: PageCaller, form: Form, session: Db, settings: Settings
) -> Response:
    body = validated(
        TicketCreate,
        subject=form.require("subject"),
        text=form.get("text", ""),
        channel="web",
    )
    out = ticket_routes.create_ticket(body, request, session, me, settings)
    target = f"/app/tickets/{out.number}"
    return Response(status_code=201, headers={"HX-Redirect": target})


@router.get("/surveys/{token}")
def survey_page(
    token: SurveyToken, request: Request, session: Db, settings: Settings
) -> Response:
    about = survey_routes.get_survey(token, session, settings)
    return render(request, "survey.html.j2", me=None, about=about, token=token)


def _score(form_value: str | None, name: str, top: int) -> int | None:
    if form_value is None:
        return None
    if not form_value.isdigit():
        msg = f"the survey's {name} must be a whole number 0–{top}; got {form_value!r}."
        raise InvalidParameterError(msg)
    return int(form_value)


@router.post("/surveys/{token}")
def answer_survey(
    token: SurveyToken,
    request: Request,
    form: Form,
    session: Db,
    settings: Settings,
) -> Response:
    body = validated(
        SurveyAnswer,
        csat=_score(form.get("csat"), "csat", 5),
        nps=_score(form.get("nps"), "nps", 10),
        comment=form.get("comment"),
    )
    survey_routes.answer_survey(token, body, session, settings)
    return render(request, "survey_done.html.j2", me=None)
