"""Logging in and out, choosing the language, and the start page of each role.

The login form posts to ``/app/login``, which calls the API's own login
(:func:`servops.api.routes.auth.login`): the same signed session cookie and CSRF cookie.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse

from servops.api.deps import Db, Settings  # noqa: TC001 (FastAPI resolves them)
from servops.api.routes import auth
from servops.api.schemas import LoginIn
from servops.errors import AuthenticationError
from servops.service import access
from servops.web.deps import PageCaller  # noqa: TC001 (FastAPI resolves it)
from servops.web.forms import Form  # noqa: TC001 (FastAPI resolves it)
from servops.web.i18n import LANG_COOKIE, LANGUAGES
from servops.web.templating import render

__all__ = ["home_path", "router", "safe_next"]

router = APIRouter(prefix="/app", include_in_schema=False)

_YEAR = 365 * 24 * 3600


def home_path(role: str) -> str:
    """Where a role starts: customers on their tickets, staff on their queue."""
    return "/app/portal" if role == "customer" else "/app/queue"


def safe_next(path: str | None) -> str | None:
    """``path`` if it is a page of this site (no other host, no scheme), else None."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    return path


@router.get("", summary="Start page of the caller's role")
def start(me: PageCaller) -> RedirectResponse:
    return RedirectResponse(home_path(me.role), status_code=303)


@router.get("/login")
def login_page(
    request: Request,
    next: Annotated[str | None, Query(max_length=500)] = None,
) -> object:
    return render(request, "login.html.j2", me=None, next=safe_next(next), failed=False)


@router.post("/login")
def login(request: Request, form: Form, session: Db, settings: Settings) -> object:
    email, password = form.get("email"), form.get("password")
    target = safe_next(form.get("next"))
    response = RedirectResponse(target or "/app", status_code=303)
    failed = True
    if email and password and len(email) <= 254 and len(password) <= 256:
        try:
            auth.login(
                LoginIn(email=email, password=password), response, session, settings
            )
            failed = False
        except AuthenticationError:
            pass  # the page says so (401)
    if failed:
        return render(
            request,
            "login.html.j2",
            me=None,
            next=target,
            failed=True,
            email=email or "",
            status_code=401,
        )
    return response


@router.post("/logout")
def logout() -> RedirectResponse:
    response = RedirectResponse("/app/login", status_code=303)
    response.delete_cookie(access.SESSION_COOKIE)
    response.delete_cookie(access.CSRF_COOKIE)
    return response


@router.get("/lang/{code}")
def choose_language(
    code: Annotated[str, Path(pattern="^(" + "|".join(LANGUAGES) + ")$")],
    next: Annotated[str | None, Query(max_length=500)] = None,
) -> RedirectResponse:
    response = RedirectResponse(safe_next(next) or "/app", status_code=303)
    response.set_cookie(LANG_COOKIE, code, max_age=_YEAR, samesite="lax")
    return response
