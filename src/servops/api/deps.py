"""Typed dependencies: the database session, the settings and the authenticated caller.

A request costs one worker-thread hop, not one per dependency. What does no blocking I/O
runs on the event loop: the settings, making the :class:`~sqlalchemy.orm.Session` (it
connects at its first statement), a bearer token the token cache holds, a session
cookie's signature and CSRF check. What may wait on the database runs in a worker
thread: a token the cache does not hold and a session cookie's user (each checked in a
session of its own), the endpoint (:func:`in_thread` makes it one hop: the endpoint's
session is made, used and closed there), and closing a session that still holds a
connection (:func:`get_session`, for the endpoints not registered through
:func:`in_thread`).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import typing
from collections.abc import AsyncIterator  # noqa: TC003 (FastAPI resolves it)
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import Depends, Path, Request, params
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from servops.api.schemas import MAX_ID
from servops.api.settings import ServiceSettings
from servops.errors import AuthenticationError
from servops.service import access
from servops.service.access import Principal

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import sessionmaker

    from servops.service.access import TokenCache

__all__ = [
    "MAX_ID",
    "Caller",
    "Db",
    "PathId",
    "Settings",
    "get_principal",
    "get_session",
    "get_settings",
    "in_thread",
    "principal_of",
]

#: Ids are PostgreSQL integers: larger numbers in a path are a 422, not a database error.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

F = TypeVar("F", bound="Callable[..., Any]")


def in_thread(route: Callable[[Callable[..., Any]], object]) -> Callable[[F], F]:
    """Register a blocking endpoint with ``route`` to run in one worker-thread hop.

    ``route`` is a route decorator (``router.post("", ...)``). FastAPI runs a plain
    ``def`` endpoint in a worker thread and then validates its return value in a second
    one; registered through ``in_thread``, the endpoint is a coroutine to FastAPI: its
    body still runs in a worker thread, and the validation of what it returns stays on
    the event loop.

    The endpoint's :data:`Db` and :data:`Settings` parameters are not FastAPI
    dependencies: the worker thread makes the request's session, passes it, and closes
    it after the body (a rollback if the body left a transaction open: a read, or an
    error before the commit), so the connection goes back to the pool in the same hop.
    FastAPI solves a generator dependency through an exit stack, a cancel scope and a
    context manager, and every dependency through a recursive solve: under load that
    was a tenth of the API's CPU per request (``benchmarks/bench_http_layer.py``). The
    other parameters (path, query, body, :data:`Caller`) are FastAPI's as before, so a
    request is authenticated before its body is validated.

    The endpoint must therefore return data that needs no database to serialise (a
    pydantic model or plain values, not ORM objects whose attributes could load lazily
    from a closed session). The registered coroutine has the endpoint's name and
    docstring and its parameters but the two above (they have nothing in the OpenAPI
    schema); the function itself stays plain for direct callers (the web pages call
    some endpoints).

    Examples
    --------
    ::

        @in_thread(router.post("", status_code=201, summary="Create a ticket"))
        def create_ticket(
            body: TicketCreate, session: Db, caller: Caller
        ) -> TicketPublic: ...
    """

    def register(endpoint: F) -> F:
        hints = typing.get_type_hints(endpoint, include_extras=True)
        signature = inspect.signature(endpoint)
        sessions = [n for n in signature.parameters if _solves(hints[n], get_session)]
        settings = [n for n in signature.parameters if _solves(hints[n], get_settings)]
        params = [
            p.replace(annotation=hints[p.name])
            for p in signature.parameters.values()
            if p.name not in sessions and p.name not in settings
        ]
        named = [p.name for p in params if hints[p.name] is Request]
        hidden = not named
        request_param = named[0] if named else "_in_thread_request"
        if hidden:  # the request still reaches the worker thread: its app's state
            params.append(
                inspect.Parameter(
                    request_param, inspect.Parameter.KEYWORD_ONLY, annotation=Request
                )
            )

        def call(request: Request, kwargs: dict[str, Any]) -> Any:  # noqa: ANN401
            state = request.app.state
            for name in settings:
                kwargs[name] = state.settings
            if not sessions:
                return endpoint(**kwargs)
            session: Session = state.sessionmaker()
            try:
                for name in sessions:
                    kwargs[name] = session
                return endpoint(**kwargs)
            finally:  # no I/O after a commit; a rollback of a read or an error
                session.close()

        @functools.wraps(endpoint)
        async def run(**kwargs: Any) -> Any:  # noqa: ANN401
            request = kwargs.pop(request_param) if hidden else kwargs[request_param]
            return await run_in_threadpool(call, request, kwargs)

        returns = hints.get("return", signature.empty)
        run.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=params,
            return_annotation=None if returns is type(None) else returns,
        )
        route(run)
        return endpoint

    return register


def _solves(annotation: object, dependency: Callable[..., Any]) -> bool:
    """True if ``annotation`` is ``Annotated[..., Depends(dependency)]``."""
    return any(
        isinstance(m, params.Depends) and m.dependency is dependency
        for m in getattr(annotation, "__metadata__", ())
    )


async def get_settings(request: Request) -> ServiceSettings:
    """The app's settings."""
    settings: ServiceSettings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A database session for the request; routes commit what they change.

    For endpoints registered through :func:`in_thread` the worker thread makes and
    closes the session instead (the annotation :data:`Db` is the same). A session that
    committed or never connected is closed on the event loop (no I/O); one still in a
    transaction (a read, or an error before the commit) holds a connection, and its
    rollback is a round trip: it is closed in a worker thread of its own, not one
    waiting behind the endpoints (those may be waiting for this very connection from
    the pool).
    """
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    session = factory()
    try:
        yield session
    finally:
        if session.in_transaction():
            await anyio.to_thread.run_sync(
                session.close, limiter=anyio.CapacityLimiter(1)
            )
        else:
            session.close()


Db = Annotated[Session, Depends(get_session)]
Settings = Annotated[ServiceSettings, Depends(get_settings)]


def _bearer(auth: str) -> str:
    """The token of an ``Authorization: Bearer <token>`` header."""
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token:
        msg = "the Authorization header must be 'Bearer <token>'."
        raise AuthenticationError(msg)
    return token.strip()


def _token_principal(
    request: Request, session: Session, settings: ServiceSettings, token: str
) -> Principal:
    principal = access.authenticate_token(
        session,
        token,
        now=settings.now,
        cache=getattr(request.app.state, "token_cache", None),
    )
    if session.in_transaction():  # read from the database (not a cache hit):
        # last_used_at; and the connection goes back to the pool while the route
        # waits for a worker thread (holding it there starves the pool under load)
        session.commit()
    return principal


def _token_digest(token: str) -> str | None:
    """The cache key of a well-formed API token; None for a malformed one.

    :func:`servops.service.access.authenticate_token` says what is wrong with it.
    """
    secret = token.removeprefix(access.TOKEN_PREFIX).partition("_")[2]
    if not token.startswith(access.TOKEN_PREFIX) or not secret:
        return None
    return access.token_hash(secret)


def _session_user(request: Request, settings: ServiceSettings, cookie: str) -> int:
    """The user id of a session cookie; writes must also pass the CSRF check."""
    key = settings.key()
    user_id = access.read_session(key, cookie, now=settings.now)
    if request.method not in _SAFE_METHODS:
        access.check_csrf(
            key,
            cookie,
            request.cookies.get(access.CSRF_COOKIE),
            request.headers.get(access.CSRF_HEADER),
        )
    return user_id


def _session_cookie(request: Request) -> str:
    cookie = request.cookies.get(access.SESSION_COOKIE)
    if cookie is None:
        msg = "authentication required: send 'Authorization: Bearer <token>' or log in."
        raise AuthenticationError(msg)
    return cookie


def principal_of(
    request: Request, session: Session, settings: ServiceSettings
) -> Principal:
    """The caller, checked in the calling thread (it may query the database).

    The blocking twin of :func:`get_principal`, for code that already runs in a worker
    thread or outside a route (the web app's error pages).
    """
    auth = request.headers.get("Authorization")
    if auth is not None:
        return _token_principal(request, session, settings, _bearer(auth))
    user_id = _session_user(request, settings, _session_cookie(request))
    return access.session_principal(session, user_id)


async def get_principal(request: Request) -> Principal:
    """The caller: a bearer token, or a session cookie (writes need the CSRF header).

    A token the cache holds costs no thread hop and no database. Otherwise the
    database is asked in a worker thread, with a session of its own that gives its
    connection back before the route waits for its worker thread (holding it there
    starves the pool under load); :func:`principal_of` decides exactly the same. It
    depends on nothing but the request: every sub-dependency is solved again for each
    dependant that names it, even when its value is cached.
    """
    settings: ServiceSettings = request.app.state.settings
    auth = request.headers.get("Authorization")
    if auth is not None:
        token = _bearer(auth)
        digest = _token_digest(token)
        cache: TokenCache | None = getattr(request.app.state, "token_cache", None)
        if digest is not None and cache is not None:
            hit = cache.get(digest, settings.now())
            if hit is not None:
                return hit
        check = functools.partial(
            _token_principal, request, settings=settings, token=token
        )
        if digest is None:
            return await run_in_threadpool(_in_own_session, request, check)
        return await _shared_check(request, digest, check)
    user_id = _session_user(request, settings, _session_cookie(request))
    return await run_in_threadpool(
        _in_own_session,
        request,
        functools.partial(access.session_principal, user_id=user_id),
    )


async def _shared_check(
    request: Request, digest: str, check: Callable[[Session], Principal]
) -> Principal:
    """One database check of a token at a time; requests with it meanwhile share it.

    Under load a request waits longer than the token cache's ttl for its worker
    thread: without this, every request that arrives while the token's first check
    waits checks it again (a third of the writes of ``bench_service_load`` did).
    """
    checks: dict[str, asyncio.Future[Principal | Exception]] = (
        request.app.state.token_checks
    )
    pending = checks.get(digest)
    if pending is not None:
        try:
            outcome = await asyncio.shield(pending)
        except asyncio.CancelledError:
            if not pending.cancelled():  # this request was cancelled
                raise
        else:  # the check's principal, or its refusal
            if isinstance(outcome, Exception):
                raise outcome
            return outcome
        # the checking request was cancelled before its check ran: check here
    future: asyncio.Future[Principal | Exception] = (
        asyncio.get_running_loop().create_future()
    )
    checks[digest] = future
    try:
        principal = await run_in_threadpool(_in_own_session, request, check)
    except Exception as exc:
        future.set_result(exc)
        raise
    except BaseException:
        future.cancel()
        raise
    else:
        future.set_result(principal)
        return principal
    finally:
        if checks.get(digest) is future:
            del checks[digest]


def _in_own_session(
    request: Request, check: Callable[[Session], Principal]
) -> Principal:
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with factory() as session:
        return check(session)


Caller = Annotated[Principal, Depends(get_principal)]
