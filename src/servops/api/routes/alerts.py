"""Inbound monitoring/IoT alerts: a ticket per open problem, repeats de-duplicated by key."""

from __future__ import annotations

from fastapi import APIRouter, Response

from servops.api.deps import Caller, Db, Settings, in_thread
from servops.api.routes.tickets import actor_of
from servops.api.schemas import AlertIn, AlertResult
from servops.service import access, inbound

__all__ = ["router"]

router = APIRouter(prefix="/inbound", tags=["inbound"])


@in_thread(
    router.post(
        "/alerts",
        summary="Post an alert: 201 with a new ticket, or 200 when it repeats an open one",
        status_code=201,
    )
)
def post_alert(
    body: AlertIn, response: Response, session: Db, caller: Caller, settings: Settings
) -> AlertResult:
    """Needs a token with the ``alerts`` scope (agents and above)."""
    access.require_role(caller, "agent")
    access.require_scope(caller, "alerts")
    out = inbound.ingest_alert(
        session,
        dedup_key=body.dedup_key,
        source=body.source,
        summary=body.summary,
        text=body.text,
        severity=body.severity,
        category=body.category,
        attributes=body.attributes,
        actor=actor_of(caller),
        now=settings.now,
    )
    session.commit()
    if not out.created:
        response.status_code = 200
    return AlertResult(
        ticket=out.ticket.number,
        ticket_id=out.ticket.id,
        created=out.created,
        event_seq=out.event_seq,
    )
