"""Ticket operations: each change and its chained event in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from servops.errors import ConflictError, InvalidParameterError, PermissionDeniedError
from servops.service import models
from servops.service.db import make_engine, make_sessionmaker
from servops.service.tickets import (
    Actor,
    add_comment,
    create_ticket,
    get_ticket,
    transition,
    update_ticket,
)


class Clock:
    def __init__(self) -> None:
        self.t = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.t += timedelta(minutes=5)
        return self.t


AGENT = Actor(7, "agent", "Ana")
CUSTOMER = Actor(8, "customer", "Carl")


@pytest.fixture(scope="module")
def sessions(pg_url):
    engine = make_engine(pg_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture(scope="module", autouse=True)
def _users(pg_url):
    engine = make_engine(pg_url, app_role=False)
    with engine.begin() as con:
        con.execute(
            sa.insert(models.User),
            [
                {"id": 7, "email": "ana@x", "name": "Ana", "role": "agent"},
                {"id": 8, "email": "carl@x", "name": "Carl", "role": "customer"},
            ],
        )
    engine.dispose()


def _events(session, ticket):
    return session.execute(
        sa.select(
            models.Event.seq,
            models.Event.activity,
            models.Event.role,
            models.Event.resource,
        )
        .where(models.Event.ticket_id == ticket.id)
        .order_by(models.Event.seq)
    ).all()


def test_a_ticket_life_writes_one_event_per_change(sessions):
    clock = Clock()
    with sessions() as s, s.begin():
        t = create_ticket(
            s, subject="Printer on fire", actor=CUSTOMER, channel="email", now=clock
        )
        number = t.number
        assert number == f"T-{t.id:06d}"
        assert t.state == "new"
    with sessions() as s, s.begin():
        t = get_ticket(s, number)
        assert update_ticket(
            s, t, {"priority": "P1", "channel": "email"}, actor=AGENT, now=clock
        ) == ["priority"]
        transition(s, t, "open", actor=AGENT, now=clock)
        add_comment(s, t, "On my way", actor=AGENT, now=clock)
        add_comment(s, t, "check the toner", actor=AGENT, public=False, now=clock)
        transition(s, t, "waiting_for_customer", actor=AGENT, now=clock)
        add_comment(s, t, "Still burning", actor=CUSTOMER, now=clock)
        transition(s, t, "resolved", actor=AGENT, now=clock)
        assert transition(s, t, "open", actor=CUSTOMER, now=clock) == "Reopened"
    with sessions() as s:
        t = get_ticket(s, number)
        assert [(e.seq, e.activity) for e in _events(s, t)] == [
            (1, "Ticket created"),
            (2, "Priority changed"),
            (3, "In progress"),
            (4, "Agent replied"),
            (5, "Internal note"),
            (6, "Waiting for customer"),
            (7, "Customer replied"),
            (8, "Resolved"),
            (9, "Reopened"),
        ]
        assert _events(s, t)[1].role == "agent"
        assert _events(s, t)[1].resource == "Ana"
        assert t.state == "open"
        payload = s.execute(
            sa.select(models.Event.payload).where(
                models.Event.ticket_id == t.id, models.Event.seq == 2
            )
        ).scalar_one()
        assert payload == {"field": "priority", "before": None, "after": "P1"}
        times = (
            s.execute(
                sa.select(models.Event.occurred_at)
                .where(models.Event.ticket_id == t.id)
                .order_by(models.Event.seq)
            )
            .scalars()
            .all()
        )
        assert times == sorted(times)
        assert times[0] == datetime(2026, 3, 2, 9, 5, tzinfo=UTC)


def test_a_rolled_back_change_leaves_no_event(sessions):
    with sessions() as s, s.begin():
        t = create_ticket(s, subject="x", now=Clock())
        number = t.number
    with sessions() as s:
        s.begin()
        t = get_ticket(s, number)
        update_ticket(s, t, {"priority": "P2"}, actor=AGENT)
        s.rollback()
    with sessions() as s:
        t = get_ticket(s, number)
        assert [e.activity for e in _events(s, t)] == ["Ticket created"]
        assert t.priority is None


def test_forbidden_transition_and_stale_version_are_conflicts(sessions):
    with sessions() as s, s.begin():
        t = create_ticket(s, subject="x")
        with pytest.raises(ConflictError, match="cannot move to 'new'"):
            transition(s, t, "new")
        with pytest.raises(ConflictError, match="version"):
            update_ticket(s, t, {"priority": "P3"}, expected_version=t.version + 1)


def test_concurrent_writers_of_one_ticket_conflict_not_overwrite(sessions):
    with sessions() as s, s.begin():
        number = create_ticket(s, subject="x").number
    a, b = sessions(), sessions()
    ta, tb = get_ticket(a, number), get_ticket(b, number)
    update_ticket(a, ta, {"priority": "P1"})
    a.commit()
    with pytest.raises(ConflictError, match="changed by someone else"):
        update_ticket(b, tb, {"priority": "P2"})
    b.rollback()
    a.close()
    b.close()


def test_bad_input(sessions):
    with sessions() as s, s.begin():
        with pytest.raises(InvalidParameterError, match="subject"):
            create_ticket(s, subject=" ")
        t = create_ticket(s, subject="x", dedup_key="alarm-1")
        with pytest.raises(
            InvalidParameterError,
            match=r"cannot update ticket field\(s\) \['state'\].*transition",
        ):
            update_ticket(s, t, {"state": "closed"})
        with pytest.raises(PermissionDeniedError, match="internal"):
            add_comment(s, t, "psst", actor=CUSTOMER, public=False)
        with pytest.raises(ConflictError, match="dedup key 'alarm-1' exists already"):
            create_ticket(s, subject="y", dedup_key="alarm-1")
        with pytest.raises(InvalidParameterError, match="role"):
            Actor(1, "boss")


def test_assign(sessions):
    from servops.service.tickets import assign

    with sessions() as s, s.begin():
        t = create_ticket(s, subject="x")
        assert assign(s, t, 7, actor=AGENT) is True
        assert assign(s, t, 7, actor=AGENT) is False  # no change, no event
        assert t.assignee_id == 7
        assert [e.activity for e in _events(s, t)] == [
            "Ticket created",
            "Assignee changed",
        ]
