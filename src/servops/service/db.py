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
    "transport",
    "use_fast_timestamps",
    "use_prepared_statements",
    "versions_at_begin",
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
    ``verify-ca``: checked against the CAs of ``sslrootcert``, or the system's;
    ``verify-full``: and the host name; ``disable``: no TLS; ``allow``, ``prefer``
    or none: pg8000's default, TLS when the server offers it, its certificate not
    checked, else unencrypted), ``sslrootcert`` (a CA file; with
    ``require`` it checks the chain, as libpq does; ``system``: the system CAs),
    ``sslcert`` and ``sslkey`` (a client certificate), ``host=/socket/dir`` (a unix
    socket), ``connect_timeout`` (seconds). A missing password is taken from
    ``PGPASSWORD``. ``application_name`` passes through; any other parameter is an
    error naming it.

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
    files = {
        k: query.pop(k) for k in ("sslrootcert", "sslcert", "sslkey") if k in query
    }
    for key, path in files.items():
        if path != "system" and not Path(path).is_file():
            msg = f"The database URL's {key!r} must be a readable file. Got {path!r} instead."
            raise InvalidParameterError(msg)
    root = files.get("sslrootcert")
    if root is not None and root != "system" and mode == "require":
        mode = "verify-ca"  # as libpq: require with a root certificate checks the chain
    if mode in ("require", "verify-ca", "verify-full"):
        ctx = ssl.create_default_context(
            cafile=root if root not in (None, "system") else None
        )
        ctx.check_hostname = mode == "verify-full"
        if mode == "require":
            ctx.verify_mode = ssl.CERT_NONE
        if "sslcert" in files:  # a client certificate
            ctx.load_cert_chain(files["sslcert"], files.get("sslkey"))
        args["ssl_context"] = ctx
    elif files:
        msg = (
            f"The database URL gives {', '.join(sorted(files))} but sslmode={mode!r} "
            "does not verify: use sslmode=verify-full, verify-ca or require."
        )
        raise InvalidParameterError(msg)
    elif mode == "disable":
        args["ssl_context"] = False  # pg8000's default asks for TLS (as prefer)
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
            "driver takes sslmode, sslrootcert, sslcert, sslkey, host, connect_timeout "
            "and application_name)."
        )
        raise InvalidParameterError(msg)
    if u.password is None and os.environ.get("PGPASSWORD"):
        args["password"] = os.environ["PGPASSWORD"]
    return u.set(query=query), args


def transport(url: str) -> tuple[str, str | None]:
    """How the connection to ``url`` travels, and a warning when it is exposed.

    Returns the description (``"TLS, certificate and host name verified"``,
    ``"unix socket"``, ``"unencrypted"``, …) and a warning for a TCP connection to a
    host that is not loopback when TLS is not required (``None`` otherwise).

    >>> transport("postgresql://u@db.example/s?sslmode=verify-full")
    ('TLS, certificate and host name verified', None)
    >>> transport("postgresql://u@127.0.0.1:5432/s?sslmode=disable")
    ('unencrypted (loopback)', None)
    >>> transport("postgresql://u@db.example/s?sslmode=disable")[1]
    "the connection to db.example is not protected (sslmode 'disable'): passwords and data cross the network in clear; add ?sslmode=verify-full (or require) to the database URL."
    """
    import ipaddress

    u, args = engine_args(url)
    if "unix_sock" in args:
        return "unix socket", None
    ctx = args.get("ssl_context")
    if ctx:
        import ssl

        if ctx.verify_mode == ssl.CERT_NONE:
            return "TLS, certificate not verified", None
        if ctx.check_hostname:
            return "TLS, certificate and host name verified", None
        return "TLS, certificate verified", None
    host = u.host or "localhost"
    try:
        loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = host == "localhost"
    mode = _url_query(url).get("sslmode", "prefer")
    how = (
        "unencrypted"
        if ctx is False
        else "TLS if the server offers it (certificate not verified), else unencrypted"
    )
    if loopback:
        return f"{how} (loopback)", None
    return how, (
        f"the connection to {host} is not protected (sslmode {mode!r}): "
        + (
            "passwords and data cross the network in clear"
            if ctx is False
            else "it is unencrypted if the server has no TLS, and anyone in between "
            "can pose as the server"
        )
        + "; add ?sslmode=verify-full (or require) to the database URL."
    )


def _url_query(url: str) -> dict[str, str]:
    """The query parameters of a database URL (last value of each)."""
    from sqlalchemy.engine import make_url

    q = make_url(sqlalchemy_url(url)).query
    return {k: v if isinstance(v, str) else v[-1] for k, v in q.items()}


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


def _timestamptz_in(data: str) -> object:
    """A ``timestamptz`` value as pg8000 reads it, by :meth:`datetime.fromisoformat`.

    pg8000 parses with ``strptime`` (about 1.5 % of the server's CPU under load). For the
    text PostgreSQL writes with ``DateStyle`` ISO, ``YYYY-MM-DD HH:MM:SS[.ffffff]`` and
    an offset ``+HH`` or ``+HH:MM``, ``fromisoformat`` gives the same instant with the
    same offset; anything else (``infinity``, BC dates, years past 9999, offsets with
    seconds) goes to pg8000's own function, so it comes back as pg8000 returns it.

    >>> _timestamptz_in("2026-03-02 09:00:00.5+00")
    datetime.datetime(2026, 3, 2, 9, 0, 0, 500000, tzinfo=datetime.timezone.utc)
    >>> _timestamptz_in("infinity"), _timestamptz_in("0044-03-15 12:00:00+00 BC")
    ('infinity', '0044-03-15 12:00:00+00 BC')
    """
    from datetime import datetime

    if len(data) > 19 and (data[-3] in "+-" or (data[-6] in "+-" and data[-3] == ":")):
        try:
            return datetime.fromisoformat(data)
        except ValueError:
            pass  # a year past 9999: pg8000's answer below
    from pg8000.converters import timestamptz_in

    return timestamptz_in(data)


def _timestamp_in(data: str) -> object:
    """A ``timestamp`` (without time zone) value: :func:`_timestamptz_in`'s rule.

    >>> _timestamp_in("2026-03-02 09:00:00")
    datetime.datetime(2026, 3, 2, 9, 0)
    """
    from datetime import datetime

    if len(data) >= 19 and data[4] == "-" and data[-1].isdigit():
        try:
            return datetime.fromisoformat(data)
        except ValueError:
            pass  # not a time PostgreSQL writes: pg8000's answer below
    from pg8000.converters import timestamp_in

    return timestamp_in(data)


def use_fast_timestamps(dbapi_con: Any) -> None:  # noqa: ANN401 - a pg8000 connection
    """Read the connection's ``timestamptz`` and ``timestamp`` values with ``fromisoformat``.

    See :func:`_timestamptz_in`; registered before the connection prepares a statement
    (a prepared statement keeps the converters it was prepared with).
    """
    from pg8000.converters import TIMESTAMP, TIMESTAMPTZ

    dbapi_con.register_in_adapter(TIMESTAMPTZ, _timestamptz_in)
    dbapi_con.register_in_adapter(TIMESTAMP, _timestamp_in)


#: Named prepared statements kept per connection (least recently used ones are closed).
PREPARED_PER_CONNECTION = 256


def _install_statement_cache() -> None:
    """Make pg8000 convert each SQL text's placeholders once (a process-wide cache).

    pg8000 rewrites ``%s`` into ``$1, $2, …`` with a character-by-character scanner in
    Python at every execution (about a tenth of a create's CPU time in the service);
    for the ``format`` style the result depends on the SQL text alone, so it is cached.
    Other styles go through pg8000's own function unchanged.
    """
    import functools

    import pg8000.legacy

    original = pg8000.legacy.convert_paramstyle
    if getattr(original, "servops_cached", False):
        return

    @functools.lru_cache(maxsize=4096)
    def statement_of(query: str) -> str:
        return str(original("format", query, ())[0])

    def convert(style: str, query: str, args: Any) -> tuple[str, Any]:  # noqa: ANN401
        if style == "format" and not isinstance(args, dict):
            return statement_of(query), args
        return original(style, query, args)  # type: ignore[no-any-return]

    convert.servops_cached = True  # type: ignore[attr-defined]
    pg8000.legacy.convert_paramstyle = convert


def use_prepared_statements(
    dbapi_con: Any,  # noqa: ANN401 - a pg8000 legacy connection
    *,
    size: int = PREPARED_PER_CONNECTION,
) -> None:
    """Run a pg8000 connection's parameterised statements as named prepared statements.

    pg8000 sends every parameterised statement as an unnamed one: Parse, then Describe,
    then Bind and Execute, waiting for the server after each (three round trips).
    Here each SQL text is prepared once per connection (Parse and Describe) and then
    executed by Bind and Execute alone (one round trip); statements without parameters
    (``BEGIN``, ``COMMIT``, ``ROLLBACK``) go as simple queries (one round trip instead
    of three). The ``size`` most recently used statements are kept; older ones are
    closed on the server. A statement the server no longer accepts (a table changed
    under it: SQLSTATE 0A000; or gone: 26000) is dropped from the cache and prepared
    again at its next use.
    """
    from collections import OrderedDict

    from pg8000.converters import make_params
    from pg8000.exceptions import DatabaseError

    if getattr(dbapi_con, "servops_prepared", None) is not None:
        return
    _install_statement_cache()
    cache: OrderedDict[tuple[str, tuple[int, ...]], tuple[bytes, Any, Any]] = (
        OrderedDict()
    )
    unnamed = dbapi_con.execute_unnamed
    simple = dbapi_con.execute_simple
    dbapi_con.servops_versions = None

    def execute_simple(statement: str) -> Any:  # noqa: ANN401
        # a cursor sends a statement without parameters here, not to execute_unnamed
        dbapi_con.servops_versions = None
        return simple(statement)

    def execute(
        statement: str,
        vals: Any = (),  # noqa: ANN401
        oids: Any = (),  # noqa: ANN401
        stream: Any = None,  # noqa: ANN401
    ) -> Any:  # noqa: ANN401
        # what the pre-ping read is only the transaction's answer before any statement
        dbapi_con.servops_versions = None
        if stream is not None:  # COPY
            return unnamed(statement, vals=vals, oids=oids, stream=stream)
        if not vals:
            return simple(statement)
        key = (statement, tuple(oids or ()))
        entry = cache.get(key)
        if entry is None:
            entry = dbapi_con.prepare_statement(statement, key[1])
            cache[key] = entry
            if len(cache) > size:
                _, (old, _, _) = cache.popitem(last=False)
                dbapi_con.close_prepared_statement(old)
        else:
            cache.move_to_end(key)
        name, columns, funcs = entry
        try:
            return dbapi_con.execute_named(
                name, make_params(dbapi_con.py_types, vals), columns, funcs, statement
            )
        except DatabaseError as exc:
            if sqlstate(exc) in ("0A000", "26000"):
                cache.pop(key, None)
            raise

    dbapi_con.execute_unnamed = execute
    dbapi_con.execute_simple = execute_simple
    dbapi_con.servops_prepared = cache


def _ping_and_begin(dbapi_con: Any) -> bool:  # noqa: ANN401 - a pg8000 connection
    """The pool's pre-ping: ``BEGIN`` and the newest config version ids, one round trip.

    SQLAlchemy's ping (``SELECT 1`` through a pg8000 cursor) costs two round trips, as
    pg8000 sends ``begin transaction`` first; the transaction it begins is the one the
    checked-out connection's user goes on with. Here the ping is one simple query,
    ``begin transaction; SELECT kind, max(id) FROM config_versions GROUP BY kind UNION
    ALL SELECT '(active webhooks)', count(*) …``
    (:data:`servops.service.config_store.BEGIN_SQL`), and its answer is kept on the
    connection (``servops_versions``) until the next statement
    (:func:`use_prepared_statements` forgets it), so a request's first question, the
    config versions in force (:func:`servops.service.config_store.latest_ids`), is
    answered without a statement of its own, and a commit with no webhook active asks
    for none (:func:`servops.service.webhooks.enqueue`). On a connection already in a
    transaction (not one the pool resets), a plain ``SELECT 1``.

    A dead connection raises pg8000's ``InterfaceError("network error")``, which
    SQLAlchemy takes for a disconnect (the pool reconnects and drops the connections
    made before): pg8000 1.31 lets the socket's own error through when the first read
    of a reply fails (``ConnectionResetError`` after the server closed the connection,
    as at a restart), and SQLAlchemy's ping would raise that to the request.
    """
    from pg8000.exceptions import InterfaceError

    from servops.service.config_store import BEGIN_SQL

    try:
        if dbapi_con._in_transaction or dbapi_con.autocommit:
            dbapi_con.execute_simple("SELECT 1")
            return True
        ctx = dbapi_con.execute_simple(f"begin transaction; {BEGIN_SQL}")
    except OSError as exc:
        msg = "network error"  # the text SQLAlchemy's pg8000 dialect reads
        raise InterfaceError(msg) from exc
    dbapi_con.servops_versions = {str(k): int(v) for k, v in ctx.rows or ()}
    return True


def versions_at_begin(dbapi_con: Any) -> dict[str, int] | None:  # noqa: ANN401
    """What the connection's pre-ping read (by kind), if no statement ran since.

    Taken once (``None`` afterwards, and for a connection the pool did not ping: a new
    one, or an engine without prepared statements).
    """
    ids: dict[str, int] | None = getattr(dbapi_con, "servops_versions", None)
    if ids is not None:
        dbapi_con.servops_versions = None
    return ids


def make_engine(
    url: str,
    *,
    app_role: bool = True,
    prepared: bool | None = None,
    **kwargs: Any,  # noqa: ANN401
) -> Engine:
    """A SQLAlchemy engine on ``url`` (pg8000 driver, isolation READ COMMITTED).

    Parameters
    ----------
    url
        A PostgreSQL URL.
    app_role
        Switch every connection to the restricted role ``servops_app`` when it exists
        and the login role may take it. ``False`` keeps the login role (migrations,
        administration, tests that tamper with the audit trail).
    prepared
        Execute statements as named prepared statements (:func:`use_prepared_statements`:
        one round trip per statement instead of three). Default: as ``app_role`` (the
        application's engines; migrations and administration keep pg8000's unnamed
        statements, as the schema changes under them).
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
    event.listen(engine, "connect", lambda con, _record: use_fast_timestamps(con))
    if app_role if prepared is None else prepared:

        @event.listens_for(engine, "connect")
        def _prepare(dbapi_con: Any, _record: Any) -> None:  # noqa: ANN401
            use_prepared_statements(dbapi_con)

        # the pre-ping begins the transaction and reads the config versions
        engine.dialect.do_ping = _ping_and_begin  # type: ignore[method-assign,assignment]

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
