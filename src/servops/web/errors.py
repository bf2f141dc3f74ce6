"""Errors on pages: a login redirect, an HTML error page, or a short text for HTMX.

The API answers errors as JSON (:mod:`servops.api.errors`). Under ``/app`` the same
errors, with the same status codes (:func:`servops.api.errors.status_of`), become:

* no session: a redirect to the login page (for HTMX requests an ``HX-Redirect``);
* an HTMX request: the message as plain text, which ``app.js`` shows in the alert area;
* any other page: the error page in the caller's language.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from servops.api.errors import status_of
from servops.errors import ServopsError
from servops.web.deps import LoginRequired, login_url
from servops.web.templating import render

if TYPE_CHECKING:
    from fastapi import FastAPI, Request

__all__ = ["install_page_errors"]


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

    app.add_exception_handler(ServopsError, handler)
