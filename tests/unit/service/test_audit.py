"""Tamper-evident audit: every edit, removal, reordering or forgery is caught."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from servops.errors import InvalidParameterError
from servops.service.audit import checkpoint, event_hash, load_key, verify
from servops.service.db import make_engine, make_sessionmaker
from servops.service.tickets import (
    Actor,
    add_comment,
    create_ticket,
    transition,
    update_ticket,
)
from tests.pg import connect

AGENT = Actor(None, "agent", "Ana")
KEY = bytes(range(32))


class Clock:
    def __init__(self) -> None:
        self.t = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.t += timedelta(minutes=7)
        return self.t


@pytest.fixture
def db(fresh_pg_url):
    """A fresh database with 3 tickets of 5 events each and a checkpoint."""
    url = fresh_pg_url
    engine = make_engine(url)
    clock = Clock()
    with make_sessionmaker(engine)() as s, s.begin():
        for i in range(3):
            t = create_ticket(s, subject=f"t{i}", number=f"T-{i + 1}", now=clock)
            update_ticket(
                s,
                t,
                {"priority": "P2", "attributes": {"x": 1.5, "big": 1e20}},
                actor=AGENT,
                now=clock,
            )
            transition(s, t, "open", actor=AGENT, now=clock)
            add_comment(s, t, "hello", actor=AGENT, now=clock)
    with make_sessionmaker(engine)() as s, s.begin():
        checkpoint(s, KEY, now=clock)
    engine.dispose()
    return url


def tamper(url, *sqls):
    """Run SQL as the superuser with the append-only trigger switched off."""
    with connect(url) as con:
        con.run("SET session_replication_role = replica")
        for sql in sqls:
            con.run(sql)


def first_break(url):
    report = verify(url, key=KEY)
    assert not report.ok
    return report.breaks[0]


def test_an_untouched_trail_verifies(db):
    report = verify(db, key=KEY)
    assert report.ok, report.breaks
    assert (report.n_tickets, report.n_events, report.n_checkpoints) == (3, 15, 1)


def test_editing_a_payload_is_caught(db):
    tamper(
        db,
        'UPDATE events SET payload = \'{"field":"priority","before":null,"after":"P1"}\' '
        "WHERE seq = 2 AND ticket_id = (SELECT id FROM tickets WHERE number = 'T-2')",
    )
    b = first_break(db)
    assert (b.kind, b.ticket, b.seq) == ("chain", "T-2", 2)
    assert "edited" in b.reason


def test_deleting_a_middle_event_is_caught(db):
    tamper(
        db,
        "DELETE FROM events WHERE seq = 2 AND ticket_id = (SELECT id FROM tickets WHERE number = 'T-3')",
    )
    b = first_break(db)
    assert (b.ticket, b.seq) == ("T-3", 3)
    assert "removed" in b.reason


def test_deleting_the_last_event_is_caught_by_the_checkpoint(db):
    tamper(
        db,
        "DELETE FROM events WHERE seq = 5 AND ticket_id = (SELECT id FROM tickets WHERE number = 'T-1')",
    )
    report = verify(db, key=KEY)
    assert [b.kind for b in report.breaks] == ["checkpoint"]
    assert (
        "15 events" in report.breaks[0].reason
        and "now 3 tickets and 14 events" in report.breaks[0].reason
    )


def test_swapping_seq_is_caught(db):
    sub = "ticket_id = (SELECT id FROM tickets WHERE number = 'T-1')"
    tamper(
        db,
        f"UPDATE events SET seq = 100 WHERE seq = 2 AND {sub}",
        f"UPDATE events SET seq = 2 WHERE seq = 3 AND {sub}",
        f"UPDATE events SET seq = 3 WHERE seq = 100 AND {sub}",
    )
    b = first_break(db)
    assert (b.ticket, b.seq) == ("T-1", 2)


def test_a_naively_forged_event_is_caught(db):
    tamper(
        db,
        "INSERT INTO events (ticket_id, seq, occurred_at, activity, role, lifecycle, payload, prev_hash, hash) "
        "SELECT id, 6, now(), 'Resolved', 'agent', 'complete', '{}', 'x', 'y' FROM tickets WHERE number = 'T-2'",
    )
    b = first_break(db)
    assert (b.ticket, b.seq) == ("T-2", 6)


def test_a_forged_event_with_a_recomputed_chain_is_caught_by_the_checkpoint(db):
    with connect(db) as con:
        rows = con.run(
            "SELECT t.id, e.hash, (SELECT max(id) FROM events) FROM events e "
            "JOIN tickets t ON t.id = e.ticket_id WHERE t.number = 'T-2' AND e.seq = 5"
        )
        assert len(rows) == 1
        tid, prev, last_id = rows[0]
    at = datetime(2026, 3, 2, 12, tzinfo=UTC)
    h = event_hash(
        prev,
        ticket="T-2",
        seq=6,
        occurred_at=at,
        activity="Resolved",
        resource=None,
        actor_id=None,
        role="agent",
        lifecycle="complete",
        payload={},
    )
    # an id below the checkpoint's last event id: pretends to be old history
    tamper(
        db,
        "INSERT INTO events (id, ticket_id, seq, occurred_at, activity, role, lifecycle, payload, "
        f"prev_hash, hash) VALUES ({last_id - 100}, {tid}, 6, '{at.isoformat()}', 'Resolved', 'agent', "
        f"'complete', '{{}}', '{prev}', '{h}')",
    )
    report = verify(db, key=KEY)
    assert [b.kind for b in report.breaks] == ["checkpoint"]


def test_a_rewritten_checkpoint_fails_its_signature(db):
    tamper(db, "UPDATE audit_checkpoints SET n_events = 14")
    b = first_break(db)
    assert b.kind == "checkpoint" and "signature" in b.reason
    assert (
        verify(db, key=b"another key, 16+ bytes")
        .breaks[0]
        .reason.startswith("bad signature")
    )


def test_the_key_file(tmp_path):
    key = load_key(tmp_path / "k" / "audit.key")
    assert len(key) == 32 and load_key(tmp_path / "k" / "audit.key") == key
    assert (tmp_path / "k" / "audit.key").stat().st_mode & 0o777 == 0o600
    with pytest.raises(InvalidParameterError, match="no audit key"):
        load_key(tmp_path / "missing.key", create=False)


def test_checkpoint_if_due(db):
    from servops.service.audit import checkpoint_if_due

    engine = make_engine(db)
    sessions = make_sessionmaker(engine)
    t = datetime(2026, 3, 2, 12, tzinfo=UTC)  # the fixture checkpoints at 10:52
    with sessions() as s, s.begin():
        # old enough, but no event since the last checkpoint
        assert checkpoint_if_due(s, KEY, every_s=60, now=lambda: t) is None
        create_ticket(s, subject="new", now=lambda: t)
    with sessions() as s, s.begin():
        assert (
            checkpoint_if_due(s, KEY, every_s=7200, now=lambda: t) is None
        )  # too soon
        cp = checkpoint_if_due(s, KEY, every_s=60, now=lambda: t)
        assert cp is not None
        assert (cp.n_tickets, cp.n_events) == (4, 16)
    engine.dispose()
    assert verify(db, key=KEY).ok
