"""Engines, sessions and migrations of the work-order service's database.

``make_engine(url)`` accepts ``postgresql://…`` URLs (as libpq, psql and ADBC take them)
and uses the psycopg 3 driver. ``migrate(url)`` brings the schema to the newest Alembic
revision; it runs at every start and does nothing when the schema is current.

The application's connections switch to the role ``servops_app`` (``SET ROLE``) when the
first migration could create it: that role may not UPDATE or DELETE events and audit
checkpoints, so the application cannot rewrite history even by mistake.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from servops.errors import InvalidParameterError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "APP_ROLE",
    "MIGRATIONS",
    "libpq_url",
    "make_engine",
    "make_sessionmaker",
    "migrate",
    "sqlalchemy_url",
]

APP_ROLE = "servops_app"
MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_KEY = 0x5E2F0175  # pg_advisory_lock key serialising concurrent migrations


def sqlalchemy_url(url: str) -> str:
    """``url`` with the psycopg 3 driver: ``postgresql+psycopg://…``.

    >>> sqlalchemy_url("postgresql://u:p@localhost:5432/servops")
    'postgresql+psycopg://u:p@localhost:5432/servops'
    """
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+")[0] not in ("postgresql", "postgres"):
        msg = (
            f"The database URL must be a PostgreSQL URL (postgresql://user:password@host:port"
            f"/database). Got {url.split('@')[-1]!r} instead."
        )
        raise InvalidParameterError(msg)
    return f"postgresql+psycopg://{rest}"


def libpq_url(url: str) -> str:
    """``url`` as libpq (psql, psycopg, ADBC) takes it: ``postgresql://…``.

    >>> libpq_url("postgresql+psycopg://u@h/db")
    'postgresql://u@h/db'
    """
    return "postgresql://" + sqlalchemy_url(url).partition("://")[2]


def make_engine(url: str, *, app_role: bool = True, **kwargs: Any) -> Engine:  # noqa: ANN401
    """A SQLAlchemy engine on ``url`` (psycopg 3).

    Parameters
    ----------
    url
        A PostgreSQL URL.
    app_role
        Switch every connection to the restricted role ``servops_app`` when it exists
        and the login role may take it. ``False`` keeps the login role (migrations,
        administration, tests that tamper with the audit trail).
    **kwargs
        Passed to :func:`sqlalchemy.create_engine` (``pool_size``, ``echo``, …).
    """
    from sqlalchemy import create_engine, event

    engine = create_engine(sqlalchemy_url(url), pool_pre_ping=True, **kwargs)
    if app_role:
        state: dict[str, bool] = {}

        @event.listens_for(engine, "connect")
        def _set_role(dbapi_con: Any, _record: Any) -> None:  # noqa: ANN401
            cur = dbapi_con.cursor()
            if not state.get("use"):  # asked again until the role exists (migrations)
                cur.execute(
                    "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s) "
                    "AND pg_has_role(current_user, %s, 'MEMBER')",
                    [APP_ROLE, APP_ROLE],
                )
                row = cur.fetchone()
                state["use"] = bool(row and row[0])
            if state["use"]:
                cur.execute(f"SET ROLE {APP_ROLE}")
            cur.close()
            dbapi_con.commit()

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory on ``engine`` (objects stay readable after commit)."""
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(engine, expire_on_commit=False)


def migrate(url: str | Engine, *, revision: str = "head") -> None:
    """Upgrade the database at ``url`` to Alembic ``revision`` (default: the newest).

    Safe to call from several processes at once (an advisory lock serialises them);
    a schema that is current is left as it is.
    """
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import Engine, text

    engine = url if isinstance(url, Engine) else make_engine(url, app_role=False)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.connect() as con:
            con.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
            try:
                cfg.attributes["connection"] = con
                command.upgrade(cfg, revision)
                con.commit()
            finally:
                con.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
                con.commit()
    finally:
        if engine is not url:
            engine.dispose()
