"""The schema: migrations, the append-only audit trail, the application role."""

from __future__ import annotations

from datetime import UTC, datetime

import pg8000.native
import pytest
import sqlalchemy as sa

from servops.errors import InvalidParameterError
from servops.service import models
from servops.service.db import (
    APP_ROLE,
    make_engine,
    migrate,
    sqlalchemy_url,
    sqlstate,
)
from tests.pg import connect

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _insert_event(url: str) -> int:
    with connect(url) as con:
        ((tid,),) = con.run(
            "INSERT INTO tickets (number, subject, state, created_at, updated_at) "
            "VALUES (:n, 's', 'new', :t, :t) RETURNING id",
            n=f"T-{datetime.now().timestamp()}",
            t=T0,
        )
        con.run(
            "INSERT INTO events (ticket_id, seq, occurred_at, activity, role, prev_hash, "
            "hash) VALUES (:tid, 1, :t, 'Created', 'agent', '', 'x')",
            tid=tid,
            t=T0,
        )
        con.run(
            "INSERT INTO audit_checkpoints (created_at, n_tickets, n_events, last_event_id, "
            "heads_digest, signature) VALUES (:t, 1, 1, 1, 'd', 's')",
            t=T0,
        )
        return int(tid)


def test_every_contract_table_exists(pg_url):
    engine = make_engine(pg_url, app_role=False)
    names = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert set(models.Base.metadata.tables) <= names
    assert {"tickets", "events", "audit_checkpoints", "sla_timers", "surveys"} <= names


def test_migrate_again_is_a_no_op(pg_url):
    migrate(pg_url)
    with connect(pg_url) as con:
        row = con.run("SELECT version_num FROM alembic_version")
    assert len(row) == 1


def test_the_trigger_refuses_update_delete_truncate_even_for_the_superuser(pg_url):
    tid = _insert_event(pg_url)
    for sql in (
        f"UPDATE events SET activity = 'x' WHERE ticket_id = {tid}",
        f"DELETE FROM events WHERE ticket_id = {tid}",
        "TRUNCATE events CASCADE",
        "DELETE FROM audit_checkpoints",
    ):
        with (
            connect(pg_url) as con,
            pytest.raises(pg8000.native.DatabaseError, match="append-only") as err,
        ):
            con.run(sql)
        assert sqlstate(err.value) == "42501"  # insufficient_privilege


def test_the_application_role_has_no_update_grant_on_events(pg_url):
    _insert_event(pg_url)
    engine = make_engine(pg_url)
    with engine.connect() as con:
        assert con.execute(sa.text("SELECT current_user")).scalar() == APP_ROLE
        can = con.execute(
            sa.text(
                "SELECT has_table_privilege('events', 'UPDATE'), "
                "has_table_privilege('events', 'DELETE'), "
                "has_table_privilege('events', 'INSERT'), "
                "has_table_privilege('tickets', 'UPDATE'), "
                "has_table_privilege('audit_checkpoints', 'DELETE')"
            )
        ).one()
    engine.dispose()
    assert tuple(can) == (False, False, True, True, False)


def test_the_application_role_can_write_tickets_and_events(pg_url):
    engine = make_engine(pg_url)
    with engine.begin() as con:
        tid = con.execute(
            sa.insert(models.Ticket)
            .values(
                number="T-APP", subject="s", state="new", created_at=T0, updated_at=T0
            )
            .returning(models.Ticket.id)
        ).scalar_one()
        con.execute(
            sa.insert(models.Event).values(
                ticket_id=tid,
                seq=1,
                occurred_at=T0,
                activity="Created",
                role="agent",
                prev_hash="",
                hash="x",
            )
        )
    engine.dispose()


def test_a_url_that_is_not_postgresql_is_refused():
    with pytest.raises(InvalidParameterError, match="PostgreSQL URL"):
        sqlalchemy_url("sqlite:///x.db")
