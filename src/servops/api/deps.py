"""Typed dependencies: the database session, the settings and the authenticated caller."""

from __future__ import annotations

from collections.abc import Iterator  # noqa: TC003 (FastAPI resolves it)
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from servops.api.schemas import MAX_ID
from servops.api.settings import ServiceSettings
from servops.errors import AuthenticationError
from servops.service import access
from servops.service.access import Principal

if TYPE_CHECKING:
    from sqlalchemy.orm import sessionmaker

__all__ = [
    "MAX_ID",
    "Caller",
    "Db",
    "PathId",
    "Settings",
    "get_principal",
    "get_session",
    "get_settings",
]

#: Ids are PostgreSQL integers: larger numbers in a path are a 422, not a database error.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_settings(request: Request) -> ServiceSettings:
    """The app's settings."""
    settings: ServiceSettings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """A database session for the request; routes commit what they change."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with factory() as session:
        yield session


Db = Annotated[Session, Depends(get_session)]
Settings = Annotated[ServiceSettings, Depends(get_settings)]


def get_principal(request: Request, session: Db, settings: Settings) -> Principal:
    """The caller: a bearer token, or a session cookie (writes need the CSRF header)."""
    auth = request.headers.get("Authorization")
    if auth is not None:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            msg = "the Authorization header must be 'Bearer <token>'."
            raise AuthenticationError(msg)
        principal = access.authenticate_token(
            session,
            token.strip(),
            now=settings.now,
            cache=getattr(request.app.state, "token_cache", None),
        )
        if session.in_transaction():  # read from the database (not a cache hit):
            # last_used_at; and the connection goes back to the pool while the route
            # waits for a worker thread (holding it there starves the pool under load)
            session.commit()
        return principal
    cookie = request.cookies.get(access.SESSION_COOKIE)
    if cookie is None:
        msg = "authentication required: send 'Authorization: Bearer <token>' or log in."
        raise AuthenticationError(msg)
    key = settings.key()
    user_id = access.read_session(key, cookie, now=settings.now)
    if request.method not in _SAFE_METHODS:
        access.check_csrf(
            key,
            cookie,
            request.cookies.get(access.CSRF_COOKIE),
            request.headers.get(access.CSRF_HEADER),
        )
    return access.session_principal(session, user_id)


Caller = Annotated[Principal, Depends(get_principal)]
