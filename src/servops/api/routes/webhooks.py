"""Outgoing webhooks (admin): subscribe a URL to event activities; see deliveries."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from servops.api.deps import Caller, Db, PathId, in_thread
from servops.api.schemas import WebhookCreate, WebhookCreated, WebhookPublic
from servops.errors import NotFoundError
from servops.service import access
from servops.service.models import Webhook, WebhookDelivery

__all__ = ["router"]

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


def _admin(caller: access.Principal) -> None:
    access.require_role(caller, "admin")
    access.require_scope(caller, "admin")


@in_thread(
    router.post(
        "",
        status_code=201,
        summary="Subscribe a URL (the signing secret is shown only now)",
    )
)
def create_webhook(body: WebhookCreate, session: Db, caller: Caller) -> WebhookCreated:
    _admin(caller)
    secret = body.secret or secrets.token_urlsafe(32)
    row = Webhook(
        url=str(body.url),
        secret=secret,
        event_types=list(body.event_types),
        active=True,
    )
    session.add(row)
    session.commit()
    return WebhookCreated(
        id=row.id,
        url=row.url,
        event_types=row.event_types,
        active=row.active,
        secret=secret,
    )


@in_thread(router.get("", summary="List webhooks"))
def list_webhooks(session: Db, caller: Caller) -> list[WebhookPublic]:
    _admin(caller)
    return [
        WebhookPublic.model_validate(w)
        for w in session.scalars(select(Webhook).order_by(Webhook.id))
    ]


@in_thread(
    router.delete("/{webhook_id}", status_code=204, summary="Deactivate a webhook")
)
def delete_webhook(webhook_id: PathId, session: Db, caller: Caller) -> None:
    _admin(caller)
    row = session.get(Webhook, webhook_id)
    if row is None:
        msg = f"webhook {webhook_id} does not exist."
        raise NotFoundError(msg)
    row.active = False
    session.commit()


@in_thread(
    router.get(
        "/{webhook_id}/deliveries", summary="Deliveries of a webhook, newest first"
    )
)
def list_deliveries(
    webhook_id: PathId, session: Db, caller: Caller
) -> list[dict[str, Any]]:
    _admin(caller)
    if session.get(Webhook, webhook_id) is None:
        msg = f"webhook {webhook_id} does not exist."
        raise NotFoundError(msg)
    rows = session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(200)
    )
    return [
        {
            "id": d.id,
            "event_id": d.event_id,
            "attempts": d.attempts,
            "status": d.status,
            "next_attempt_at": d.next_attempt_at,
            "last_error": d.last_error,
        }
        for d in rows
    ]
