"""The caller of a page: the API's own authentication, with a redirect to the login page.

Pages use :data:`PageCaller`. It is :func:`servops.api.deps.principal_of` (the session
cookie, or a bearer token; writes repeat the CSRF cookie in the ``X-CSRF-Token`` header,
which ``app.js`` adds to every HTMX request) — the one rule of who is logged in. When it
fails the browser is sent to ``/app/login`` instead of receiving a JSON 401.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from servops.api.deps import Db, Settings, principal_of
from servops.errors import AuthenticationError
from servops.service.access import Principal

__all__ = ["LoginRequired", "PageCaller", "login_url", "page_principal"]


class LoginRequired(AuthenticationError):
    """No valid session: the page handler redirects to the login page."""

    def __init__(self, message: str, next_path: str) -> None:
        super().__init__(message)
        self.next_path = next_path


def login_url(next_path: str) -> str:
    """The login page that returns to ``next_path`` afterwards."""
    return f"/app/login?next={quote(next_path, safe='/')}"


def page_principal(request: Request, session: Db, settings: Settings) -> Principal:
    """The logged-in caller; :class:`LoginRequired` (a redirect) when there is none."""
    try:
        return principal_of(request, session, settings)
    except AuthenticationError as exc:
        raise LoginRequired(str(exc), request.url.path) from exc


PageCaller = Annotated[Principal, Depends(page_principal)]
