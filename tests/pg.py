"""PostgreSQL for the service tests: ONE server per pytest session, a database per module.

Use it from a ``conftest.py``::

    from tests.pg import pg_server, pg_url  # noqa: F401  (fixtures)

``pg_url`` (module scope) is the ``postgresql://`` URL of a fresh database with the
service schema migrated (cloned from a template that is migrated once per session), as the
superuser; the application code switches to the restricted role itself
(:func:`servops.service.db.make_engine`). ``pg_server`` (session scope) is the server's
superuser URL without a database name.

With ``SERVOPS_TEST_DATABASE_URL`` set (a superuser URL of a real server), that server is
used instead of the embedded one. If that role may not create databases, every module gets
the given database, migrated, with all rows removed first.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

ENV = "SERVOPS_TEST_DATABASE_URL"
TEMPLATE = "servops_test_template"


def _with_database(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    if "://" not in base:  # a URL with no database part: postgresql://u:p@h:port
        base = url
    return f"{base}/{database}"


def _server_url() -> Iterator[str]:
    env = os.environ.get(ENV)
    if env:
        yield env
        return
    from servops.service import embedded

    data_dir = Path(tempfile.mkdtemp(prefix="servops-test-pg-"))
    data_dir.chmod(0o755)
    try:
        server = embedded.start(data_dir, durable=False, database=None)
        yield server.url("postgres")
    finally:
        embedded.stop(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The session's PostgreSQL server: a superuser URL of its ``postgres`` database."""
    yield from _server_url()


def _can_create_databases(url: str) -> bool:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        row = con.execute(
            "SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
    return bool(row and row[0])


@pytest.fixture(scope="session")
def _pg_template(pg_server: str) -> Iterator[str | None]:
    """A migrated template database (``None`` when databases cannot be created)."""
    import psycopg

    from servops.service.db import migrate

    if not _can_create_databases(pg_server):
        migrate(pg_server)
        yield None
        return
    with psycopg.connect(pg_server, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
        con.execute(f"CREATE DATABASE {TEMPLATE}")
    migrate(_with_database(pg_server, TEMPLATE))
    yield TEMPLATE
    with psycopg.connect(pg_server, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")


def _empty_all_tables(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename <> 'alembic_version'"
            ).fetchall()
        ]
        if tables:
            con.execute("SET session_replication_role = replica")
            con.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


@pytest.fixture(scope="module")
def pg_url(pg_server: str, _pg_template: str | None) -> Iterator[str]:
    """A fresh, migrated database for one test module (dropped afterwards)."""
    import psycopg

    if _pg_template is None:
        _empty_all_tables(pg_server)
        yield pg_server
        return
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name} TEMPLATE {_pg_template}")
    try:
        yield _with_database(pg_server, name)
    finally:
        with psycopg.connect(pg_server, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def fresh_pg_url(pg_server: str, _pg_template: str | None) -> Iterator[str]:
    """A fresh, migrated database for one test (skips where none can be created)."""
    import psycopg

    if _pg_template is None:
        pytest.skip("needs a PostgreSQL role that may create databases")
    name = f"f_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name} TEMPLATE {_pg_template}")
    try:
        yield _with_database(pg_server, name)
    finally:
        with psycopg.connect(pg_server, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
