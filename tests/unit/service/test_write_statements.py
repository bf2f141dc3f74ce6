"""How many SQL statements one create and one update cost in the service layer (issue 17).

Counted with SQLAlchemy's ``before_cursor_execute`` (BEGIN and COMMIT are not cursor
statements). Only the service layer is counted: the API adds its token check, its ticket
lookup and its commit hooks (SLA timers, webhook outbox). A change that adds a round trip
to a write fails here; lower the pins when a statement is cut.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from servops.service import access, config_store, models
from servops.service.db import make_engine, make_sessionmaker
from servops.service.routing import route_ticket
from servops.service.tickets import Actor, create_ticket, update_ticket

if TYPE_CHECKING:
    from collections.abc import Iterator

AGENT = Actor(None, "agent", "Ana")
STAFF = access.Principal(1, "agent", None, frozenset(), "token")
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SALT = "0123456789abcdef0123"


@pytest.fixture(scope="module")
def db(pg_url):
    engine = make_engine(pg_url)
    sessions = make_sessionmaker(engine)
    with sessions() as s, s.begin():
        group = models.Group(name="Billing")
        s.add(group)
        s.flush()
        for i, cap in enumerate((5, 5)):
            u = models.User(
                email=f"a{i}@example.test",
                name=f"Agent {i}",
                role="agent",
                active=True,
                skills=[],
                capacity=cap,
            )
            s.add(u)
            s.flush()
            s.add(models.GroupMember(group_id=group.id, user_id=u.id))
        s.add(
            models.RoutingRule(
                position=1,
                name="bills",
                conditions={"category": ["billing"]},
                group_id=group.id,
                active=True,
            )
        )
    yield engine, sessions
    engine.dispose()


@contextmanager
def counted(engine: sa.Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(" ".join(statement.split())[:80])

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def _create(sessions, **kw) -> models.Ticket:
    with sessions() as s, s.begin():
        t = create_ticket(
            s,
            subject="invoice wrong",
            priority="P3",
            channel="web",
            actor=AGENT,
            now=lambda: AT,
            machine=config_store.live_state_machine(s),
            **kw,
        )
        route_ticket(s, t, actor=AGENT, now=lambda: AT)
        return t


def _to_p1(s, ticket: models.Ticket) -> list[str]:
    """Move ``ticket`` to priority P1 in ``s`` (re-targets its running SLA clocks)."""
    return update_ticket(
        s,
        ticket,
        {"priority": "P1"},
        actor=AGENT,
        now=lambda: AT,
        machine=config_store.live_state_machine(s),
    )


def test_a_routed_create_is_eight_statements(db) -> None:
    engine, sessions = db
    _create(sessions, category="billing")  # warm: versions parsed, statements built
    with counted(engine) as seen:
        t = _create(sessions, category="billing")
    # INSERT ticket (id from the sequence in it), INSERT created event (it takes the
    # append lock), rules, agents locked (with capacity and skills), their open tickets,
    # one UPDATE of the ticket (group and assignee), INSERT two events: 8 (17 before
    # issue 17's session 24: nextval, the routing config twice, the group, the agents'
    # capacity, the last assignee, a second UPDATE, the lock; 9 before session 25: the
    # newest config versions, now read by the pool's pre-ping with the BEGIN)
    assert len(seen) == 8, "\n".join(seen)
    assert not any("config_versions" in q for q in seen)
    assert t.group_id is not None
    assert t.assignee_id is not None
    with sessions() as s:
        acts = s.scalars(
            sa.select(models.Event.activity)
            .where(models.Event.ticket_id == t.id)
            .order_by(models.Event.seq)
        ).all()
    assert acts == ["Ticket created", "Group changed", "Assignee changed"]


def test_an_unrouted_create_is_three_statements(db) -> None:
    engine, sessions = db
    with counted(engine) as seen:
        t = _create(sessions, category="other")
    # INSERT ticket, INSERT event (with the append lock), rules: 3 (7 before session
    # 24: nextval first, the routing config's text, the append lock; 4 before session
    # 25: the newest config versions, now read by the pre-ping with the BEGIN)
    assert len(seen) == 3, "\n".join(seen)
    assert (t.group_id, t.assignee_id) == (None, None)
    assert t.number == f"T-{t.id:06d}"


def test_an_update_is_five_statements(db) -> None:
    engine, sessions = db
    t = _create(sessions, category="other")
    with sessions() as s, s.begin():
        ticket = s.get(models.Ticket, t.id)
        assert ticket is not None
        with counted(engine) as seen:
            changed = update_ticket(
                s,
                ticket,
                {"priority": "P1", "subject": "invoice still wrong"},
                actor=AGENT,
                now=lambda: AT,
                machine=config_store.live_state_machine(s),
            )
    assert changed == ["subject", "priority"]
    # newest config versions (asked: the session ran a statement since the pre-ping),
    # one UPDATE (both fields), chain head, INSERT two events (one statement each; the
    # first takes the append lock): 5
    assert len(seen) == 5, "\n".join(seen)


def test_numbers_from_the_sequence_keep_growing_past_six_digits(db, pg_url) -> None:
    _, sessions = db
    owner = make_engine(pg_url, app_role=False)  # the service's role may not setval
    try:
        with owner.begin() as con:
            con.execute(sa.text("SELECT setval('tickets_id_seq', 999998)"))
    finally:
        owner.dispose()
    a = _create(sessions, category="other")
    b = _create(sessions, category="other")
    assert (a.id, a.number) == (999_999, "T-999999")
    assert (b.id, b.number) == (1_000_000, "T-1000000")
    with sessions() as s:
        assert s.scalar(
            sa.select(models.Ticket.number).where(models.Ticket.id == b.id)
        ) == ("T-1000000")


def test_a_new_routing_version_applies_to_the_next_create(db) -> None:
    """The routing config is cached per version: a saved version is read by the next one."""
    _, sessions = db
    with sessions() as s, s.begin():
        config_store.save(
            s,
            "routing",
            f"experiments:\n  - {{name: trial, share: 1.0, salt: {SALT}}}\n",
            None,
        )
    first = _create(sessions, category="other")
    assert first.attributes == {"ab_trial": "B"}  # share 1: every ticket is B
    assert first.number == f"T-{first.id:06d}"  # the id was asked first: same number
    with sessions() as s, s.begin():
        config_store.save(s, "routing", "strategy: round_robin\n", None)
    second = _create(sessions, category="other")
    assert second.attributes == {}


def test_the_first_append_holds_the_append_lock_until_commit(db) -> None:
    # the lock an audit checkpoint takes exclusively is taken by the event INSERT itself
    # (no statement of its own): while the writer's transaction is open, the checkpoint's
    # lock cannot be had; after its commit it can
    from servops.service.audit import APPEND_LOCK

    engine, sessions = db

    def checkpoint_could_lock() -> bool:
        with engine.connect() as other:
            got = bool(
                other.execute(
                    sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": APPEND_LOCK}
                ).scalar_one()
            )
            other.rollback()
            return got

    with sessions() as s, s.begin():
        create_ticket(
            s,
            subject="locked",
            priority="P3",
            channel="web",
            actor=AGENT,
            now=lambda: AT,
            machine=config_store.live_state_machine(s),
            category="other",
        )
        assert not checkpoint_could_lock()
    assert checkpoint_could_lock()


@pytest.fixture(scope="module")
def hooked(db):
    """Sessions with the API's commit hooks: the webhook outbox and the SLA sync."""
    from servops.api.sla import install_timer_sync, timer_config
    from servops.cli.serve import DEMO_KPI
    from servops.service.webhooks import install_outbox

    engine, _ = db
    sessions = make_sessionmaker(engine)
    install_outbox(sessions)
    install_timer_sync(sessions, timer_config(DEMO_KPI))
    return engine, sessions


@contextmanager
def executions(engine: sa.Engine) -> Iterator[list[tuple[str, int]]]:
    """Statements and how many times each was sent (an executemany: once per row)."""
    seen: list[tuple[str, int]] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        sent = len(parameters) if executemany else 1
        seen.append((" ".join(statement.split())[:60], sent))

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_the_sla_hook_writes_a_tickets_timers_in_one_statement(hooked) -> None:
    engine, sessions = hooked
    _create(sessions, category="other")  # warm
    with executions(engine) as seen:
        t = _create(sessions, category="other")
    # INSERT ticket, INSERT event, rules; at commit ONE insert of the ticket's timer
    # rows (an executemany before session 25: one per row; and the active webhooks
    # asked for: none, the pre-ping counted them)
    assert [n for _, n in seen] == [1] * 4, seen
    assert seen[-1][0].startswith("INSERT INTO sla_timers")
    with sessions() as s:
        metrics = s.scalars(
            sa.select(models.SlaTimer.metric).where(models.SlaTimer.ticket_id == t.id)
        ).all()
    assert len(metrics) >= 2
    with executions(engine) as seen, sessions() as s, s.begin():
        # as the API: the ticket by the caller's rights first
        ticket = access.visible_ticket(s, t.number, STAFF)
        _to_p1(s, ticket)
    # the ticket, UPDATE ticket, chain head, INSERT event; at commit ONE update of the
    # changed timer rows: 5 (before session 25: 7, the active webhooks asked for, the
    # rows read first, and one UPDATE sent per row; now the rows the create wrote are
    # known, and the versions read and the webhooks counted by the pre-ping)
    assert [n for _, n in seen] == [1] * 5, seen
    assert seen[-1][0].startswith("UPDATE sla_timers SET")
    rows = _running_timers(sessions, t.id)
    assert len(rows) >= 2
    assert all(r.version == 2 for r in rows)


def _running_timers(sessions, ticket_id: int) -> list[models.SlaTimer]:
    with sessions() as s:
        return list(
            s.scalars(
                sa.select(models.SlaTimer).where(
                    models.SlaTimer.ticket_id == ticket_id,
                    models.SlaTimer.stage == "running",
                )
            ).all()
        )


def test_timer_rows_changed_by_someone_else_are_read_and_written_again(hooked) -> None:
    # the rows the last sync wrote stand in for reading them; a row at another version
    # (written meanwhile by something that appended no event) is not overwritten
    # blindly: the UPDATE changes nothing, the rows are read and written again
    engine, sessions = hooked
    t = _create(sessions, category="other")
    with sessions() as s, s.begin():
        s.execute(
            sa.update(models.SlaTimer)
            .where(models.SlaTimer.ticket_id == t.id)
            .values(version=models.SlaTimer.version + 10, due_at=None, warn_at=None)
        )
    with sessions() as s, s.begin():
        ticket = s.get(models.Ticket, t.id)
        assert ticket is not None
        with executions(engine) as seen:
            _to_p1(s, ticket)
            s.commit()
    timer_statements = [q for q, _ in seen if "sla_timers" in q]
    assert [q.split()[0] for q in timer_statements] == ["UPDATE", "SELECT", "UPDATE"]
    rows = _running_timers(sessions, t.id)
    assert len(rows) >= 2
    assert all(r.version == 12 and r.due_at is not None for r in rows)


def test_a_webhook_active_at_the_begin_gets_the_events(hooked) -> None:
    engine, sessions = hooked
    with sessions() as s, s.begin():
        hook = models.Webhook(url="http://127.0.0.1:9/x", secret="s", event_types=["*"])
        s.add(hook)
    try:
        with executions(engine) as seen:
            t = _create(sessions, category="other")
        assert any("FROM webhooks" in q for q, _ in seen)
        with sessions() as s:
            queued = s.scalars(
                sa.select(models.WebhookDelivery.event_id)
                .join(models.Event, models.Event.id == models.WebhookDelivery.event_id)
                .where(models.Event.ticket_id == t.id)
            ).all()
        assert len(queued) == 1
    finally:
        with sessions() as s, s.begin():
            s.execute(sa.delete(models.WebhookDelivery))
            s.execute(sa.delete(models.Webhook).where(models.Webhook.id == hook.id))


def test_a_write_leaves_no_reference_cycles(db) -> None:
    # what a write keeps per transaction (config versions, the state machine, the event
    # chain) must not tie its session into a cycle: each one was ~40 objects that only
    # the cyclic garbage collector freed, and under load its pauses were the slowest
    # requests ((transaction, value) pairs in session.info made the cycle; they fail
    # this test)
    import gc

    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session, SessionTransaction

    _, sessions = db
    _create(sessions, category="billing")  # warm: versions parsed, statements built
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        t = _create(sessions, category="billing")
        with sessions() as s, s.begin():
            ticket = s.get(models.Ticket, t.id)
            assert ticket is not None
            _to_p1(s, ticket)
        gc.collect()
        cyclic = [
            type(o).__name__
            for o in gc.garbage
            if isinstance(o, (Session, SessionTransaction, Connection))
        ]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
    assert cyclic == []
