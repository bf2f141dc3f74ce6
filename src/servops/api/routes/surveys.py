"""Satisfaction surveys: the single-use link (no login) and the answers for servops feedback."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from servops.api.deps import Caller, Db, Settings, in_thread
from servops.api.routes.tickets import TicketRef, visible_ticket
from servops.api.schemas import SurveyAnswer, SurveyPublic
from servops.service import access, surveys
from servops.service.models import Ticket

__all__ = ["router"]

router = APIRouter(tags=["surveys"])

SurveyToken = Annotated[
    str, Path(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")
]


@in_thread(
    router.get("/surveys/{token}", summary="What a survey link is about (no login)")
)
def get_survey(token: SurveyToken, session: Db, settings: Settings) -> SurveyPublic:
    row = surveys.find_survey(session, token, now=settings.now)
    ticket = session.get(Ticket, row.ticket_id)
    assert ticket is not None
    return SurveyPublic(
        ticket=ticket.number,
        subject=ticket.subject,
        expires_at=row.expires_at,
        answered=row.answered_at is not None,
    )


@in_thread(router.post("/surveys/{token}", summary="Answer a survey (once; no login)"))
def answer_survey(
    token: SurveyToken, body: SurveyAnswer, session: Db, settings: Settings
) -> dict[str, Any]:
    row = surveys.answer_survey(
        session,
        token,
        csat=body.csat,
        nps=body.nps,
        comment=body.comment,
        now=settings.now,
    )
    session.commit()
    return {"answered_at": row.answered_at, "csat": row.csat, "nps": row.nps}


@in_thread(
    router.post(
        "/tickets/{ref}/survey", status_code=201, summary="Make a new survey link"
    )
)
def new_survey(
    ref: TicketRef, session: Db, caller: Caller, settings: Settings
) -> dict[str, Any]:
    access.require_role(caller, "agent")
    access.require_scope(caller, "tickets:write")
    ticket = visible_ticket(session, ref, caller)
    link = surveys.create_survey(
        session, ticket.id, ttl=settings.survey_ttl, now=settings.now
    )
    session.commit()
    return {"survey_url": link.url(settings.public_url), "expires_at": link.expires_at}


@in_thread(
    router.get(
        "/survey-answers",
        summary="Every survey answer with its ticket's segments (servops feedback's columns)",
    )
)
def survey_answers(session: Db, caller: Caller) -> list[dict[str, Any]]:
    access.require_role(caller, "supervisor")
    access.require_scope(caller, "tickets:read")
    rows: list[dict[str, Any]] = surveys.survey_answers(session).to_pylist()
    return rows
