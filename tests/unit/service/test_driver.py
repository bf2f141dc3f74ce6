"""The PostgreSQL driver (pg8000) as the service uses it: types, errors, COPY, roles."""

from __future__ import annotations

import csv
import ssl
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DataError, IntegrityError

import servops as so
from servops.errors import ConflictError, InvalidParameterError
from servops.service import models
from servops.service.audit import verify
from servops.service.db import (
    APP_ROLE,
    engine_args,
    make_engine,
    make_sessionmaker,
    server_message,
    sqlstate,
)
from servops.service.tickets import create_ticket, import_log

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def admin(pg_url):
    engine = make_engine(pg_url, app_role=False)
    yield engine
    engine.dispose()


def test_the_driver_is_pg8000_and_the_app_role_is_taken(pg_url):
    engine = make_engine(pg_url)
    try:
        assert engine.dialect.driver == "pg8000"
        with engine.connect() as con:
            assert con.execute(sa.text("SELECT current_user")).scalar() == APP_ROLE
            assert con.get_isolation_level() == "READ COMMITTED"
    finally:
        engine.dispose()


def test_a_foreign_key_violation_is_an_integrity_error_with_the_servers_text(admin):
    # pg8000 itself raises IntegrityError only for 23505; 23503 must not be a
    # ProgrammingError, or `except IntegrityError` (admin API conflicts) misses it.
    with admin.connect() as con, pytest.raises(IntegrityError) as err:
        con.execute(
            sa.insert(models.Event).values(
                ticket_id=987654,
                seq=1,
                occurred_at=T0,
                activity="a",
                role="agent",
                prev_hash="",
                hash="x",
            )
        )
    assert sqlstate(err.value) == "23503"
    msg = server_message(err.value)
    assert msg.splitlines()[0].startswith('insert or update on table "events" violates')
    assert msg.splitlines()[1] == (
        'DETAIL:  Key (ticket_id)=(987654) is not present in table "tickets".'
    )


def test_a_unique_violation_and_a_data_error_keep_their_classes(admin):
    with admin.begin() as con:
        con.execute(sa.insert(models.Organisation).values(name="Dup Ltd"))
    with admin.connect() as con, pytest.raises(IntegrityError) as err:
        con.execute(sa.insert(models.Organisation).values(name="Dup Ltd"))
    assert sqlstate(err.value) == "23505"
    assert "DETAIL:  Key (name)=(Dup Ltd) already exists." in server_message(err.value)
    with admin.connect() as con, pytest.raises(DataError):
        con.execute(sa.text("SELECT 1 / 0"))


def test_arrays_json_and_aware_timestamps_round_trip(pg_url, admin):
    engine = make_engine(pg_url)
    at = datetime(2026, 3, 2, 10, 30, tzinfo=timezone(timedelta(hours=2)))
    try:
        with make_sessionmaker(engine)() as s, s.begin():
            u = models.User(
                email="arr@example.test",
                name="Arr",
                role="agent",
                skills=["de", "billing, vip", 'quo"te', ""],
                active=True,
            )
            s.add(u)
            t = create_ticket(
                s,
                subject="types",
                attributes={"n": 2.5, "big": 10**20, "zh": "退款", "nested": [1, None]},
                now=lambda: at,
            )
            uid, tid = u.id, t.id
        with make_sessionmaker(engine)() as s:
            user = s.get(models.User, uid)
            ticket = s.get(models.Ticket, tid)
            assert user is not None
            assert ticket is not None
            assert user.skills == ["de", "billing, vip", 'quo"te', ""]
            assert ticket.attributes == {
                "n": 2.5,
                "big": 10**20,
                "zh": "退款",
                "nested": [1, None],
            }
            assert ticket.created_at.tzinfo is not None
            assert ticket.created_at == at
    finally:
        engine.dispose()


def test_import_copies_tabs_newlines_backslashes_and_nulls_unchanged(
    fresh_pg_url, tmp_path
):
    path = tmp_path / "odd.csv"
    rows = [
        ("c\\1", "Fix\tit", "2026-03-02T09:00:00Z", "Ana\\Bo", "line1\nline2 ✓"),
        ("c\\1", "Close", "2026-03-02T10:00:00Z", "", "tab\there"),
        ("c2", "Close", "2026-03-02T11:00:00Z", "Bo\r\nX", "\\N"),
    ]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["case_id", "activity", "timestamp", "resource", "note"])
        w.writerows(rows)
    log = so.read_csv(path)
    result = import_log(fresh_pg_url, log)
    assert (result.tickets, result.events) == (2, 3)
    engine = make_engine(fresh_pg_url, app_role=False)
    try:
        with engine.connect() as con:
            got = con.execute(
                sa.text(
                    "SELECT t.number, e.activity, e.resource, t.attributes "
                    "FROM events e JOIN tickets t ON t.id = e.ticket_id "
                    "ORDER BY e.occurred_at"
                )
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r[:2]) for r in got] == [
        ("c\\1", "Fix\tit"),
        ("c\\1", "Close"),
        ("c2", "Close"),
    ]
    assert got[0][2] == "Ana\\Bo"
    assert got[2][2] == "Bo\r\nX"
    assert got[0][3] == {"note": "line1\nline2 ✓"}
    assert got[2][3] == {"note": "\\N"}
    assert verify(fresh_pg_url, key=None).ok  # hashes of the values as written
    with pytest.raises(
        ConflictError, match=r"already a ticket number.*\(duplicate key"
    ):
        import_log(fresh_pg_url, log)


@pytest.mark.parametrize(
    ("mode", "verify", "hostname"),
    [
        ("require", ssl.CERT_NONE, False),
        ("verify-ca", ssl.CERT_REQUIRED, False),
        ("verify-full", ssl.CERT_REQUIRED, True),
    ],
)
def test_libpq_sslmode_becomes_an_ssl_context(mode, verify, hostname):
    u, args = engine_args(f"postgresql://u:p@db.example:6543/s?sslmode={mode}")
    assert (u.drivername, u.host, u.port, u.database) == (
        "postgresql+pg8000",
        "db.example",
        6543,
        "s",
    )
    assert dict(u.query) == {}
    ctx = args["ssl_context"]
    assert (ctx.verify_mode, ctx.check_hostname) == (verify, hostname)


def test_other_url_parameters_are_translated_or_refused(monkeypatch):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    assert engine_args("postgresql://u:p@h/s?sslmode=disable")[1] == {
        "ssl_context": False
    }
    # libpq's default, prefer, is pg8000's: TLS if offered, unverified
    assert engine_args("postgresql://u@h/s")[1] == {}
    u, args = engine_args(
        "postgresql://u@/s?host=/run/pg/&connect_timeout=7&application_name=x"
    )
    assert args == {"unix_sock": "/run/pg/.s.PGSQL.5432", "timeout": 7.0}
    assert dict(u.query) == {"application_name": "x"}
    monkeypatch.setenv("PGPASSWORD", "from-env")
    assert engine_args("postgresql://u@h/s")[1] == {"password": "from-env"}
    assert engine_args("postgresql://u:given@h/s")[1] == {}
    with pytest.raises(InvalidParameterError, match="'sslmode' must be one of"):
        engine_args("postgresql://u@h/s?sslmode=maybe")
    with pytest.raises(InvalidParameterError, match="'target_session_attrs' is not"):
        engine_args("postgresql://u@h/s?target_session_attrs=any")
