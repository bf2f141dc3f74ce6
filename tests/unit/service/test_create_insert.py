"""create_ticket's single INSERT: clashes are conflicts that leave the transaction usable,
and the new ticket is a persistent object whose later changes are versioned UPDATEs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from servops.errors import ConflictError
from servops.service import models
from servops.service.db import make_engine, make_sessionmaker
from servops.service.tickets import Actor, create_ticket, update_ticket

AGENT = Actor(None, "agent", "Ana")
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sessions(pg_url):
    engine = make_engine(pg_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def test_a_clash_is_a_conflict_and_the_transaction_goes_on(sessions) -> None:
    with sessions() as s, s.begin():
        create_ticket(s, subject="first", number="X-1", dedup_key="k-1", now=lambda: AT)
        with pytest.raises(ConflictError, match="number 'X-1' exists already"):
            create_ticket(s, subject="same number", number="X-1", now=lambda: AT)
        with pytest.raises(ConflictError, match="dedup key 'k-1' exists already"):
            create_ticket(s, subject="same key", dedup_key="k-1", now=lambda: AT)
        # no savepoint to roll back: the transaction is still usable
        create_ticket(s, subject="second", number="X-2", now=lambda: AT)
    with sessions() as s:
        rows = s.execute(
            sa.select(models.Ticket.number, models.Ticket.subject)
            .where(models.Ticket.number.in_(["X-1", "X-2"]))
            .order_by(models.Ticket.number)
        ).all()
        assert [tuple(r) for r in rows] == [("X-1", "first"), ("X-2", "second")]
        ids = s.scalars(
            sa.select(models.Ticket.id).where(models.Ticket.subject.like("same %"))
        ).all()
        assert ids == []  # the refused tickets left no row


def test_the_new_ticket_is_persistent_and_versioned(sessions) -> None:
    with sessions() as s, s.begin():
        t = create_ticket(
            s,
            subject="versioned",
            text="body",
            priority="P3",
            attributes={"site": "B7", "n": 2},
            actor=AGENT,
            now=lambda: AT,
        )
        assert t.version == 1
        assert update_ticket(s, t, {"priority": "P1"}, actor=AGENT, now=lambda: AT) == [
            "priority"
        ]
        tid = t.id
    with sessions() as s:
        back = s.get(models.Ticket, tid)
        assert back is not None
        assert (back.number, back.subject, back.text, back.priority) == (
            f"T-{tid:06d}",
            "versioned",
            "body",
            "P1",
        )
        assert back.attributes == {"n": 2, "site": "B7"}
        assert back.created_at == AT
        assert back.version == 2  # the UPDATE went through the version check
        acts = s.scalars(
            sa.select(models.Event.activity)
            .where(models.Event.ticket_id == tid)
            .order_by(models.Event.seq)
        ).all()
        assert acts == ["Ticket created", "Priority changed"]
