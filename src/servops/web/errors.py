"""Errors on pages: a login redirect, an HTML error page, or a short text for HTMX.

The API answers errors as JSON (:mod:`servops.api.errors`). Under ``/app`` the same
errors, with the same status codes (:func:`servops.api.errors.status_of`), become:

* no session: a redirect to the login page (for HTMX requests an ``HX-Redirect``);
* an HTMX request: the message as plain text, which ``app.js`` shows in the alert area;
* any other page: the error page in the caller's language.

The router's own errors under ``/app`` (an unknown page: 404, a wrong method: 405), a
form or query that fails validation (422, naming each field and why) and unexpected
exceptions (500, without their text) get the same error page, with the navigation when
the caller is logged in (an HTMX request gets the text). Other paths keep FastAPI's JSON
(404/405/422) and Starlette's plain 500.
"""

from __future__ import annotations

import inspect
import logging
from typing import TYPE_CHECKING

from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from servops.api.errors import status_of, validation_errors
from servops.errors import ServopsError
from servops.web.deps import LoginRequired, login_url, page_principal
from servops.web.templating import render

if TYPE_CHECKING:
    from fastapi import FastAPI, Request

    from servops.service.access import Principal

__all__ = ["install_page_errors"]

log = logging.getLogger(__name__)


def _is_page(request: Request) -> bool:
    path = request.url.path
    return path == "/app" or path.startswith("/app/")


def _caller_or_none(request: Request) -> Principal | None:
    """The logged-in caller for the error page's navigation, None when there is none."""
    try:
        with request.app.state.sessionmaker() as session:
            return page_principal(request, session, request.app.state.settings)
    except Exception:  # no session, or the database is away: the page without nav
        return None


def _error_page(
    request: Request, status: int, me: Principal | None, detail: str | None = None
) -> Response:
    if request.headers.get("HX-Request") == "true":
        return PlainTextResponse(detail or f"HTTP {status}", status_code=status)
    return render(
        request,
        "error.html.j2",
        me=me,
        status_code=status,
        status=status,
        detail=detail,
    )


def install_page_errors(app: FastAPI) -> None:
    """Route ServopsErrors of ``/app`` pages to HTML; the API's handler keeps the rest."""
    api_handler = app.exception_handlers[ServopsError]

    async def handler(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith("/app"):
            response = api_handler(request, exc)
            if inspect.isawaitable(response):
                return await response
            return response
        assert isinstance(exc, ServopsError)
        htmx = request.headers.get("HX-Request") == "true"
        if isinstance(exc, LoginRequired):
            target = login_url(exc.next_path)
            if htmx:
                return Response(status_code=401, headers={"HX-Redirect": target})
            return RedirectResponse(target, status_code=303)
        status = status_of(exc)
        if htmx:
            return PlainTextResponse(str(exc), status_code=status)
        return render(
            request,
            "error.html.j2",
            me=None,
            status_code=status,
            status=status,
            detail=str(exc),
        )

    async def http_handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not _is_page(request):
            return await http_exception_handler(request, exc)
        return _error_page(request, exc.status_code, _caller_or_none(request))

    validation_api_handler = app.exception_handlers[RequestValidationError]

    async def validation_handler(request: Request, exc: Exception) -> Response:
        if not _is_page(request):
            response = validation_api_handler(request, exc)
            if inspect.isawaitable(response):
                return await response
            return response
        assert isinstance(exc, RequestValidationError)
        detail, _ = validation_errors(exc)
        return _error_page(request, 422, _caller_or_none(request), detail)

    async def crash_handler(request: Request, exc: Exception) -> Response:
        if not _is_page(request):
            return PlainTextResponse("Internal Server Error", status_code=500)
        log.error("page %s failed", request.url.path, exc_info=exc)
        return _error_page(request, 500, None)

    app.add_exception_handler(ServopsError, handler)
    app.add_exception_handler(StarletteHTTPException, http_handler)
    app.add_exception_handler(RequestValidationError, validation_handler)
    app.add_exception_handler(Exception, crash_handler)
