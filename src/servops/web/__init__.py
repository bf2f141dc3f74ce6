"""The service's web app: server-rendered pages (Jinja2 + HTMX) for every role.

:func:`mount_web` adds the pages under ``/app`` and the vendored assets under ``/static``
to the API application (:func:`servops.api.create_app` calls it). Nothing is fetched at
run time: HTMX 2 (``static/htmx.min.js``, 0BSD licence beside it), one stylesheet and
one small script are package data.

Modules: ``i18n`` (English and Chinese catalogues), ``templating`` (render, navigation),
``deps`` (the page caller), ``forms`` (form posts), ``login`` (log in/out, language),
``errors`` (HTML error pages). A page module has a ``router`` (an ``APIRouter`` with
prefix ``/app``, ``include_in_schema=False``), renders with
:func:`servops.web.templating.render` on ``base.html.j2`` and takes the caller from
:data:`servops.web.deps.PageCaller`; list it in :data:`PAGE_MODULES`. A navigation entry
in :data:`servops.web.templating.NAV` shows once a route exists at its path.
"""

from __future__ import annotations

import importlib
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from fastapi import FastAPI
    from starlette.responses import Response
    from starlette.types import Scope

__all__ = ["PAGE_MODULES", "mount_web", "static_dir"]

#: The modules of ``servops.web`` whose ``router`` holds pages (mounted in this order).
PAGE_MODULES: tuple[str, ...] = (
    "login",
    "live",
    "queue",
    "ticket",
    "portal",
    "wallboard",
    "scorecards",
    "admin_config",
)


def static_dir() -> str:
    """The directory of the vendored assets (inside the installed package)."""
    return str(resources.files("servops.web") / "static")


def _versioned_static() -> type:
    from fastapi.staticfiles import StaticFiles

    class VersionedStatic(StaticFiles):
        """The assets, kept a year by the browser when asked for with ``?v=<version>``.

        Pages link them so (:func:`servops.web.templating.render`'s ``static``): the
        URL changes with the version, so the browser need not ask again.
        """

        async def get_response(self, path: str, scope: Scope) -> Response:
            response = await super().get_response(path, scope)
            if response.status_code in (200, 304) and b"v=" in scope["query_string"]:
                response.headers["Cache-Control"] = (
                    "public, max-age=31536000, immutable"
                )
            return response

    return VersionedStatic


def mount_web(app: FastAPI) -> None:
    """Add the web pages (``/app``), ``/`` → ``/app``, and ``/static`` to ``app``."""
    from fastapi.responses import RedirectResponse

    from servops.web import errors

    paths: set[str] = set()
    for name in PAGE_MODULES:
        module = importlib.import_module(f"servops.web.{name}")
        app.include_router(module.router)
        paths |= {getattr(r, "path", "") for r in module.router.routes}
    app.state.web_paths = frozenset(paths)  # the navigation shows entries with a page

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/app", status_code=303)

    app.mount("/static", _versioned_static()(directory=static_dir()), name="static")
    errors.install_page_errors(app)
    _stop_live_feed_at_shutdown(app)


def _stop_live_feed_at_shutdown(app: FastAPI) -> None:
    """Wrap the app's lifespan so that the live feed's poller ends with it."""
    from contextlib import asynccontextmanager

    from servops.web.live import stop_hub

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with inner(app) as state:
            try:
                yield state
            finally:
                await stop_hub(app)

    app.router.lifespan_context = lifespan
