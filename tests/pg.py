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

``connect(url)`` is a plain pg8000 connection (autocommit: each statement commits) for
tests that set up databases or tamper with rows as the superuser.
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

    import pg8000.native

ENV = "SERVOPS_TEST_DATABASE_URL"
TEMPLATE = "servops_test_template"


def _with_database(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    if "://" not in base:  # a URL with no database part: postgresql://u:p@h:port
        base = url
    return f"{base}/{database}"


def connect(url: str) -> pg8000.native.Connection:
    """A pg8000 connection on a ``postgresql://`` URL (autocommit; ``run(sql, **params)``).

    Use it as a context manager (closed at the end); parameters are ``:name``.
    """
    import pg8000.native
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return pg8000.native.Connection(
        u.username or "postgres",
        host=u.host or "localhost",
        port=u.port or 5432,
        password=u.password,
        database=u.database,
    )


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
    with connect(url) as con:
        rows = con.run(
            "SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user"
        )
    return bool(rows and rows[0][0])


@pytest.fixture(scope="session")
def _pg_template(pg_server: str) -> Iterator[str | None]:
    """A migrated template database (``None`` when databases cannot be created)."""
    from servops.service.db import migrate

    if not _can_create_databases(pg_server):
        migrate(pg_server)
        yield None
        return
    with connect(pg_server) as con:
        con.run(f"DROP DATABASE IF EXISTS {TEMPLATE}")
        con.run(f"CREATE DATABASE {TEMPLATE}")
    migrate(_with_database(pg_server, TEMPLATE))
    yield TEMPLATE
    with connect(pg_server) as con:
        con.run(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")


def _empty_all_tables(url: str) -> None:
    with connect(url) as con:
        tables = [
            r[0]
            for r in con.run(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename <> 'alembic_version'"
            )
        ]
        if tables:
            con.run("SET session_replication_role = replica")
            con.run(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


@pytest.fixture(scope="module")
def pg_url(pg_server: str, _pg_template: str | None) -> Iterator[str]:
    """A fresh, migrated database for one test module (dropped afterwards)."""
    if _pg_template is None:
        _empty_all_tables(pg_server)
        yield pg_server
        return
    name = f"t_{uuid.uuid4().hex[:12]}"
    with connect(pg_server) as con:
        con.run(f"CREATE DATABASE {name} TEMPLATE {_pg_template}")
    try:
        yield _with_database(pg_server, name)
    finally:
        with connect(pg_server) as con:
            con.run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def fresh_pg_url(pg_server: str, _pg_template: str | None) -> Iterator[str]:
    """A fresh, migrated database for one test (skips where none can be created)."""
    if _pg_template is None:
        pytest.skip("needs a PostgreSQL role that may create databases")
    name = f"f_{uuid.uuid4().hex[:12]}"
    with connect(pg_server) as con:
        con.run(f"CREATE DATABASE {name} TEMPLATE {_pg_template}")
    try:
        yield _with_database(pg_server, name)
    finally:
        with connect(pg_server) as con:
            con.run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
