"""Outgoing webhooks: an outbox of deliveries, signed with HMAC-SHA256, retried with backoff.

Every event appended to the event table is offered to each active webhook whose
``event_types`` contain its activity (or ``"*"``): :func:`enqueue` writes one
``webhook_deliveries`` row per webhook in the same transaction as the event, so a delivery
exists exactly when its event was committed. A worker (:func:`deliver_due`) takes due rows
with ``FOR UPDATE SKIP LOCKED`` (several workers never send the same row twice), POSTs the
event as JSON with the header ``X-Servops-Signature: sha256=<hex>`` (HMAC-SHA256 of the body
with the webhook's secret), and on failure schedules the next attempt after
``base * 2**(attempts-1)`` (capped) until ``max_attempts``, then marks the row ``failed``.

Receivers check a delivery with :func:`verify_signature`.

Examples
--------
>>> sig = sign("s3cret", b'{"a":1}')
>>> sig.startswith("sha256="), len(sig)
(True, 71)
>>> verify_signature("s3cret", b'{"a":1}', sig)
True
>>> [backoff(n).total_seconds() for n in (1, 2, 3)]
[10.0, 20.0, 40.0]
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import httpx
    from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "SIGNATURE_HEADER",
    "DeliveryReport",
    "backoff",
    "deliver_due",
    "enqueue",
    "event_body",
    "install_outbox",
    "sign",
    "verify_signature",
]

SIGNATURE_HEADER = "X-Servops-Signature"
BASE_DELAY = timedelta(seconds=10)
MAX_DELAY = timedelta(hours=1)
MAX_ATTEMPTS = 8


def sign(secret: str, body: bytes) -> str:
    """The signature header value: ``sha256=`` and the HMAC-SHA256 hex digest of ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    """Whether ``header`` is the signature of ``body`` with ``secret`` (constant-time)."""
    return hmac.compare_digest(sign(secret, body), header)


def backoff(
    attempts: int, *, base: timedelta = BASE_DELAY, cap: timedelta = MAX_DELAY
) -> timedelta:
    """Delay before the next try after ``attempts`` failed tries: base·2^(attempts−1), capped."""
    delay: timedelta = base * 2 ** max(attempts - 1, 0)
    return min(delay, cap)


def _now(now: Callable[[], datetime] | None) -> datetime:
    return now() if now is not None else datetime.now(UTC)


def enqueue(
    session: Session,
    events: Sequence[Any],
    *,
    now: Callable[[], datetime] | None = None,
) -> int:
    """Add a delivery of each event for every active webhook that wants its activity.

    Call it in the transaction that appends the events. Returns how many were queued.
    When the pool's pre-ping found no webhook active as the transaction began
    (:func:`servops.service.config_store.active_webhooks_at_begin`), nothing is asked
    and nothing queued (a webhook saved meanwhile gets the events of the transactions
    that begin after it); otherwise the active ones are read here.
    """
    from sqlalchemy import insert, select

    from servops.service.config_store import active_webhooks_at_begin
    from servops.service.models import Webhook, WebhookDelivery

    if active_webhooks_at_begin(session) == 0:
        return 0
    # plain rows, no ORM objects: this runs at the commit of every write
    hooks = session.execute(
        select(Webhook.id, Webhook.event_types).where(Webhook.active)
    ).all()
    if not hooks:
        return 0
    t = _now(now)
    rows = [
        {
            "webhook_id": hook_id,
            "event_id": ev.id,
            "attempts": 0,
            "next_attempt_at": t,
            "status": "pending",
        }
        for ev in events
        for hook_id, types in hooks
        if "*" in (types or ["*"]) or ev.activity in types
    ]
    if rows:
        session.execute(insert(WebhookDelivery), rows)
    return len(rows)


def install_outbox(
    factory: sessionmaker[Session], *, now: Callable[[], datetime] | None = None
) -> None:
    """Queue webhook deliveries of every event its sessions append, in the same transaction.

    ``factory`` is a ``sessionmaker`` (or a Session class). The events the transaction
    appended (:func:`servops.service.events.appended_events`: every ticket operation)
    get, just before commit, one delivery per interested active webhook: the event and
    its deliveries commit or roll back together. Bulk-imported history (Core inserts)
    is not offered to webhooks.
    """
    from sqlalchemy import event as sa_event

    from servops.service.events import appended_events

    def flush_outbox(session: Session) -> None:
        events = appended_events(session)
        if events:
            enqueue(session, events, now=now)

    sa_event.listen(factory, "before_commit", flush_outbox)


def event_body(session: Session, event_id: int) -> bytes:
    """The JSON body sent for an event: the event with its ticket's number (canonical JSON)."""
    from servops.service.models import Event, Ticket

    ev = session.get(Event, event_id)
    if ev is None:  # the event table is append-only: cannot happen short of tampering
        msg = f"event {event_id} of a webhook delivery is missing"
        raise LookupError(msg)
    ticket = session.get(Ticket, ev.ticket_id)
    doc = {
        "event_id": ev.id,
        "ticket": ticket.number if ticket is not None else None,
        "seq": ev.seq,
        "activity": ev.activity,
        "occurred_at": ev.occurred_at.isoformat(),
        "resource": ev.resource,
        "actor_id": ev.actor_id,
        "role": ev.role,
        "payload": ev.payload,
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str).encode()


@dataclass(frozen=True)
class DeliveryReport:
    """What one worker pass did."""

    delivered: int
    retried: int
    failed: int

    def to_dict(self) -> dict[str, int]:
        """Plain dict for JSON."""
        return {
            "delivered": self.delivered,
            "retried": self.retried,
            "failed": self.failed,
        }


def deliver_due(
    session: Session,
    client: httpx.Client,
    *,
    now: Callable[[], datetime] | None = None,
    limit: int = 50,
    max_attempts: int = MAX_ATTEMPTS,
) -> DeliveryReport:
    """Send up to ``limit`` due deliveries; the caller commits.

    A 2xx answer marks a delivery ``delivered``; anything else (status, timeout, refused
    connection) counts an attempt and schedules a retry, or marks it ``failed`` after
    ``max_attempts``.
    """
    import httpx
    from sqlalchemy import select

    from servops.service.models import Webhook, WebhookDelivery

    t = _now(now)
    due = session.scalars(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= t
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    delivered = retried = failed = 0
    for d in due:
        hook = session.get(Webhook, d.webhook_id)
        if hook is None or not hook.active:
            d.status, d.last_error = "failed", "webhook removed or deactivated"
            failed += 1
            continue
        body = event_body(session, d.event_id)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(hook.secret, body),
            "X-Servops-Delivery": str(d.id),
        }
        error: str | None
        try:
            r = client.post(hook.url, content=body, headers=headers)
            error = None if 200 <= r.status_code < 300 else f"HTTP {r.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        d.attempts += 1
        if error is None:
            d.status, d.last_error = "delivered", None
            delivered += 1
        elif d.attempts >= max_attempts:
            d.status, d.last_error = "failed", error
            failed += 1
        else:
            d.last_error = error
            d.next_attempt_at = t + backoff(d.attempts)
            retried += 1
    return DeliveryReport(delivered=delivered, retried=retried, failed=failed)
