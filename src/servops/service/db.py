"""Engines, sessions and migrations of the work-order service's database.

``make_engine(url)`` accepts ``postgresql://…`` URLs (as libpq, psql and ADBC take them)
and uses the pg8000 driver (pure Python, BSD-3-Clause). ``migrate(url)`` brings the schema to the newest Alembic
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
    from sqlalchemy.engine import URL, ExceptionContext
    from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "APP_ROLE",
    "MIGRATIONS",
    "engine_args",
    "libpq_url",
    "make_engine",
    "make_sessionmaker",
    "migrate",
    "server_message",
    "sqlalchemy_url",
    "sqlstate",
]

APP_ROLE = "servops_app"
MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_KEY = 0x5E2F0175  # pg_advisory_lock key serialising concurrent migrations


def sqlalchemy_url(url: str) -> str:
    """``url`` with the pg8000 driver: ``postgresql+pg8000://…``.

    >>> sqlalchemy_url("postgresql://u:p@localhost:5432/servops")
    'postgresql+pg8000://u:p@localhost:5432/servops'
    >>> sqlalchemy_url("postgresql+psycopg://u@h/db")
    'postgresql+pg8000://u@h/db'
    """
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+")[0] not in ("postgresql", "postgres"):
        msg = (
            f"The database URL must be a PostgreSQL URL (postgresql://user:password@host:port"
            f"/database). Got {url.split('@')[-1]!r} instead."
        )
        raise InvalidParameterError(msg)
    return f"postgresql+pg8000://{rest}"


def libpq_url(url: str) -> str:
    """``url`` as libpq (psql, ADBC) takes it: ``postgresql://…``.

    >>> libpq_url("postgresql+pg8000://u@h/db")
    'postgresql://u@h/db'
    """
    return "postgresql://" + sqlalchemy_url(url).partition("://")[2]


def server_message(exc: BaseException) -> str:
    r"""The server's text of a database error: message, then ``DETAIL:`` and ``HINT:`` lines.

    ``exc`` is a driver error (pg8000 keeps the server's fields in a dict) or a SQLAlchemy
    error wrapping one; anything else is returned as ``str(exc)``.

    >>> from pg8000.exceptions import DatabaseError
    >>> fields = {
    ...     "C": "23505",
    ...     "M": "duplicate key",
    ...     "D": "Key (id)=(1) already exists.",
    ... }
    >>> server_message(DatabaseError(fields))
    'duplicate key\nDETAIL:  Key (id)=(1) already exists.'
    """
    orig = getattr(exc, "orig", None)
    err = orig if isinstance(orig, BaseException) else exc
    fields = err.args[0] if err.args else None
    if not isinstance(fields, dict) or "M" not in fields:
        return str(err)
    lines = [str(fields["M"])]
    lines += [
        f"{label}:  {fields[k]}"
        for k, label in (("D", "DETAIL"), ("H", "HINT"))
        if k in fields
    ]
    return "\n".join(lines)


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE code of a database error (``'23505'``: unique violation), else ``None``.

    >>> from pg8000.exceptions import DatabaseError
    >>> sqlstate(DatabaseError({"C": "23505", "M": "duplicate key"}))
    '23505'
    >>> sqlstate(ValueError("no"))
    """
    orig = getattr(exc, "orig", None)
    err = orig if isinstance(orig, BaseException) else exc
    fields = err.args[0] if err.args else None
    return str(fields["C"]) if isinstance(fields, dict) and "C" in fields else None


_SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def engine_args(url: str) -> tuple[URL, dict[str, Any]]:
    """The SQLAlchemy URL and the pg8000 connect arguments of a libpq-style ``url``.

    pg8000 takes no libpq query parameters, so the ones servops users write are
    translated: ``sslmode`` (``require``: encrypted, certificate not checked;
    ``verify-ca``: checked against the system CAs; ``verify-full``: and the host name;
    ``disable``, ``allow``, ``prefer``: unencrypted, as pg8000 cannot fall back),
    ``host=/socket/dir`` (a unix socket), ``connect_timeout`` (seconds). A missing
    password is taken from ``PGPASSWORD``. ``application_name`` passes through; any
    other parameter is an error naming it.

    >>> u, args = engine_args("postgresql://u@db.example/servops?sslmode=require")
    >>> u.render_as_string(), args["ssl_context"].check_hostname
    ('postgresql+pg8000://u@db.example/servops', False)
    >>> engine_args("postgresql://u@/servops?host=/run/postgresql")[1]
    {'unix_sock': '/run/postgresql/.s.PGSQL.5432'}
    """
    import os
    import ssl

    from sqlalchemy.engine import make_url

    u = make_url(sqlalchemy_url(url))
    query = {k: v if isinstance(v, str) else v[-1] for k, v in u.query.items()}
    args: dict[str, Any] = {}
    mode = query.pop("sslmode", "prefer")
    if mode not in _SSL_MODES:
        msg = (
            f"The database URL's 'sslmode' must be one of {', '.join(_SSL_MODES)}. "
            f"Got {mode!r} instead."
        )
        raise InvalidParameterError(msg)
    if mode in ("require", "verify-ca", "verify-full"):
        ctx = ssl.create_default_context()
        ctx.check_hostname = mode == "verify-full"
        if mode == "require":
            ctx.verify_mode = ssl.CERT_NONE
        args["ssl_context"] = ctx
    host = query.pop("host", None)
    if host is not None and host.startswith("/"):
        args["unix_sock"] = f"{host.rstrip('/')}/.s.PGSQL.{u.port or 5432}"
    elif host:
        u = u.set(host=host)
    if "connect_timeout" in query:
        args["timeout"] = float(query.pop("connect_timeout"))
    unknown = sorted(set(query) - {"application_name"})
    if unknown:
        msg = (
            f"The database URL's parameter {unknown[0]!r} is not supported (the pg8000 "
            "driver takes sslmode, host, connect_timeout and application_name)."
        )
        raise InvalidParameterError(msg)
    if u.password is None and os.environ.get("PGPASSWORD"):
        args["password"] = os.environ["PGPASSWORD"]
    return u.set(query=query), args


#: DB-API error class of a SQLSTATE class (as psycopg raises them; pg8000 raises
#: IntegrityError for 23505 only and ProgrammingError for every other server error).
_ERROR_CLASS = {
    "22": "DataError",
    "23": "IntegrityError",
    "08": "OperationalError",
    "40": "OperationalError",
    "53": "OperationalError",
    "54": "OperationalError",
    "55": "OperationalError",
    "57": "OperationalError",
    "58": "OperationalError",
    "0A": "NotSupportedError",
    "25": "InternalError",
    "2D": "InternalError",
    "XX": "InternalError",
}


def _error_by_sqlstate(ctx: ExceptionContext) -> BaseException | None:
    """The SQLAlchemy error of the server error's SQLSTATE class (``handle_error`` hook).

    A foreign-key or not-null violation is an :class:`~sqlalchemy.exc.IntegrityError`, a
    serialization failure an :class:`~sqlalchemy.exc.OperationalError`, …, whatever the
    driver's own class; other errors are left as they are.
    """
    from sqlalchemy import exc as sa_exc

    wrapped = ctx.sqlalchemy_exception
    code = sqlstate(ctx.original_exception)
    name = _ERROR_CLASS.get(code[:2]) if code else None
    if name is None or not isinstance(wrapped, sa_exc.DBAPIError):
        return None
    cls: type[sa_exc.DBAPIError] = getattr(sa_exc, name)
    if type(wrapped) is cls:
        return None
    new = cls(
        ctx.statement,
        ctx.parameters,
        ctx.original_exception,
        hide_parameters=wrapped.hide_parameters,
        connection_invalidated=wrapped.connection_invalidated,
        ismulti=wrapped.ismulti,
    )
    new.__cause__ = ctx.original_exception
    return new


def make_engine(url: str, *, app_role: bool = True, **kwargs: Any) -> Engine:  # noqa: ANN401
    """A SQLAlchemy engine on ``url`` (pg8000 driver, isolation READ COMMITTED).

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

    driver_url, connect_args = engine_args(url)
    connect_args |= kwargs.pop("connect_args", {})
    engine = create_engine(
        driver_url, pool_pre_ping=True, connect_args=connect_args, **kwargs
    )
    event.listen(engine, "handle_error", _error_by_sqlstate, retval=True)
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
