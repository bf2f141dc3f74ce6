"""Inbound alerts: monitoring or IoT alerts become tickets, de-duplicated by key.

An alert carries a ``dedup_key`` (say ``"pump-7/pressure-high"``). The first alert with a
key opens a ticket holding that key; while that ticket is open (state category new, open or
pending) every repeat appends an ``Alert repeated`` event to it (count, severity, time) and
raises its priority if the repeat is more severe. Once the ticket is resolved or closed, the
next alert with the key opens a new ticket; the old ticket keeps its key with its number
appended (``pump-7/pressure-high#T-000042``), since the key is unique among tickets.

Concurrent alerts with one key: the database's unique key decides; the loser retries and
finds the winner's ticket.

Examples
--------
>>> SEVERITY_PRIORITY["critical"], SEVERITY_PRIORITY["info"]
('P1', 'P3')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from servops.errors import ConflictError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime

    from sqlalchemy.orm import Session

    from servops.service.events import Actor

__all__ = ["REPEATED", "SEVERITY_PRIORITY", "AlertOutcome", "ingest_alert"]

REPEATED = "Alert repeated"
#: The ticket priority of an alert's severity (the demo's and KPI config's P1..P4).
SEVERITY_PRIORITY = {"critical": "P1", "warning": "P2", "info": "P3"}
_RANK = {"P1": 1, "P2": 2, "P3": 3, "P4": 4}


@dataclass(frozen=True)
class AlertOutcome:
    """Where an alert went."""

    ticket: Any
    created: bool
    event_seq: int


def ingest_alert(
    session: Session,
    *,
    dedup_key: str,
    source: str,
    summary: str,
    text: str = "",
    severity: str = "warning",
    category: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    actor: Actor,
    now: Callable[[], datetime] | None = None,
) -> AlertOutcome:
    """Turn one alert into a new ticket or an event on the open one; the caller commits."""
    from sqlalchemy import func, select

    from servops.service import routing, tickets
    from servops.service.config_store import live_state_machine
    from servops.service.events import append_event, utcnow
    from servops.service.models import Event, Ticket

    priority = SEVERITY_PRIORITY.get(severity, "P3")
    machine = live_state_machine(session)
    for _ in range(3):
        existing = session.scalars(
            select(Ticket).where(Ticket.dedup_key == dedup_key).with_for_update()
        ).first()
        if existing is not None and existing.state in machine.states_in():
            at = (now or utcnow)()
            count = (
                session.scalar(
                    select(func.count())
                    .select_from(Event)
                    .where(Event.ticket_id == existing.id, Event.activity == REPEATED)
                )
                or 0
            )
            ev = append_event(
                session,
                existing,
                REPEATED,
                actor=actor,
                at=at,
                payload={"source": source, "severity": severity, "repeat": count + 1},
            )
            if _RANK.get(priority, 9) < _RANK.get(existing.priority or "", 9):
                tickets.update_ticket(
                    session,
                    existing,
                    {"priority": priority},
                    actor=actor,
                    machine=machine,
                    now=now,
                )
            return AlertOutcome(existing, created=False, event_seq=ev.seq)
        if existing is not None:  # resolved or closed: free the key for a new ticket
            existing.dedup_key = f"{dedup_key}#{existing.number}"
            session.flush()
        try:
            # our own savepoint: rolled back, it also drops the refused ticket from the
            # session (create_ticket leaves it pending after its ConflictError)
            with session.begin_nested():
                ticket = tickets.create_ticket(
                    session,
                    subject=summary,
                    text=text,
                    channel="alert",
                    priority=priority,
                    category=category,
                    attributes={
                        "alert_source": source,
                        "severity": severity,
                        **dict(attributes or {}),
                    },
                    dedup_key=dedup_key,
                    actor=actor,
                    machine=machine,
                    now=now,
                )
        except ConflictError:
            continue  # another alert with this key won the race: look again
        routing.route_ticket(session, ticket, actor=actor, now=now)
        seq = session.scalar(
            select(func.max(Event.seq)).where(Event.ticket_id == ticket.id)
        )
        return AlertOutcome(ticket, created=True, event_seq=int(seq or 1))
    msg = f"alert {dedup_key!r}: could not settle on a ticket after 3 tries (concurrent alerts)."
    raise ConflictError(msg)
