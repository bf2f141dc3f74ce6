"""The config versions read by the pool's pre-ping with the BEGIN (issue 17, session 25).

Issue 18's rule: a config version saved by any process applies to the next request of
every process. The versions are read once per transaction; on a pooled connection by the
pre-ping, in the round trip that begins the transaction (no statement of their own).
These tests check the rule across two OS processes, that the ping's answer is only taken
before the transaction's first statement, and that the service carries on when the
database drops its connections (as at a restart).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from servops.service import config_store
from servops.service.db import make_engine, make_sessionmaker
from servops.service.routing import load_routing_config
from tests.pg import connect

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def db(pg_url):
    engine = make_engine(pg_url, pool_size=2, max_overflow=0)
    yield engine, make_sessionmaker(engine)
    engine.dispose()


@contextmanager
def counted(engine: sa.Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def _save_in_another_process(url: str, text: str) -> int:
    """Save a routing version from a separate Python process; its id."""
    code = textwrap.dedent(
        f"""
        from servops.service import config_store
        from servops.service.db import make_engine, make_sessionmaker
        engine = make_engine({url!r})
        with make_sessionmaker(engine)() as s, s.begin():
            print(config_store.save(s, "routing", {text!r}, None).id)
        engine.dispose()
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip())


def test_a_version_saved_by_another_process_applies_to_the_next_transaction(
    db, pg_url
) -> None:
    engine, sessions = db
    for _ in range(2):  # the pool's connections are in use before the save
        with sessions() as s:
            config_store.latest_ids(s)
    for text in ("strategy: round_robin\n", "strategy: least_loaded\n"):
        saved = _save_in_another_process(pg_url, text)
        with counted(engine) as seen, sessions() as s:
            assert config_store.latest_ids(s)["routing"] == saved
            assert load_routing_config(s).strategy == text.split()[1]
        # read by the pre-ping with the BEGIN: no statement asked for the versions (one
        # read the new version's text)
        assert not any("max(id)" in q for q in seen), seen


def test_the_pings_answer_is_only_taken_before_the_first_statement(db) -> None:
    engine, sessions = db
    with sessions() as s:
        s.execute(sa.text("SELECT 1"))
        with counted(engine) as seen:
            config_store.latest_ids(s)
        assert seen == ["SELECT kind, max(id) FROM config_versions GROUP BY kind"]
    with sessions() as s:
        first = config_store.latest_ids(s)
        s.commit()
        with sessions() as other, other.begin():
            saved = config_store.save(other, "routing", "strategy: round_robin\n", None)
        # the next transaction of the session reads the versions again (with its BEGIN)
        with counted(engine) as seen:
            assert config_store.latest_ids(s) == {**first, "routing": saved.id}
        assert seen == []


def _backends(url: str) -> list[int]:
    with connect(url) as con:
        rows = con.run(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND usename = current_user AND pid <> pg_backend_pid()"
        )
    return [int(r[0]) for r in rows]


def test_the_service_carries_on_when_the_database_drops_its_connections(
    db, pg_url
) -> None:
    # the server closing every connection (57P01, as at a restart): the pre-ping finds
    # each pooled connection dead and the pool reconnects; no transaction fails
    _, sessions = db
    with sessions() as a, sessions() as b:  # both pooled connections in use
        config_store.latest_ids(a)
        config_store.latest_ids(b)
    before = _backends(pg_url)
    assert before
    with connect(pg_url) as con:
        for pid in before:
            con.run("SELECT pg_terminate_backend(:pid)", pid=pid)
    for _ in range(4):
        with sessions() as s, s.begin():
            ids = config_store.latest_ids(s)
            assert isinstance(ids, dict)
            s.execute(sa.text("SELECT 1"))
    assert set(_backends(pg_url)).isdisjoint(before)
