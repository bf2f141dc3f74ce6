"""The service's FastAPI application: ``create_app(settings)``.

One router per resource (``servops.api.routes``); one error handler (``servops.api.errors``).
The app migrates the database at start (unless told not to) and keeps one engine.

Examples
--------
Run it (``servops serve`` does this with an embedded PostgreSQL)::

    import uvicorn
    from servops.api import ServiceSettings, create_app

    app = create_app(ServiceSettings(database_url="postgresql://u:p@127.0.0.1/servops"))
    uvicorn.run(app, port=8000)
"""

from __future__ import annotations

import gc
import os
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from servops import __version__
from servops.api.errors import install_error_handlers
from servops.api.routes import (
    admin,
    alerts,
    attachments,
    audit,
    auth,
    comments,
    surveys,
    tickets,
    tokens,
    webhooks,
)
from servops.api.schemas import ErrorOut
from servops.service.access import TokenCache

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from servops.api.settings import ServiceSettings

__all__ = [
    "GC_THRESHOLD",
    "SETTINGS_ENV",
    "app_from_environment",
    "create_app",
]

#: The environment variable that hands the settings to ``servops serve --workers N``'s
#: worker processes (:meth:`ServiceSettings.to_environment`).
SETTINGS_ENV = "SERVOPS_SERVE_SETTINGS"

#: The cyclic garbage collector's thresholds in a server process (``freeze_gc``): the
#: youngest generation is collected every 10,000 net allocations of container objects
#: instead of 700. Under ``bench_service_load`` (2,000 writes at 100/s) the collector's
#: CPU went from 490-690 ms (no freeze) and 260-270 ms (freeze only) to 120-175 ms.
GC_THRESHOLD = (10_000, 10, 10)

_ERRORS: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in (
        (401, "No, unknown, expired or revoked credentials"),
        (403, "Role, scope, organisation or CSRF check refused"),
        (404, "Not found (or not visible to the caller)"),
        (409, "Conflicts with the current state"),
        (422, "Invalid input: the detail names the field"),
    )
}

DESCRIPTION = """\
The servops work-order service: tickets, routing, SLA timers, surveys, audit.
Every change is an event in the service's event log (`servops kpi --service DSN`).

Authenticate with `Authorization: Bearer <token>` (make one with `POST /tokens`) or a
browser session (`POST /auth/login`; state-changing requests then repeat the
`servops_csrf` cookie in the `X-CSRF-Token` header). Errors are `{"type", "detail"}`.
"""


def create_app(
    settings: ServiceSettings, *, freeze_gc: bool = False, warm_pool: bool = False
) -> FastAPI:
    """The API application for ``settings`` (database connected lazily at start).

    Parameters
    ----------
    settings
        What the service serves and how (:class:`~servops.api.settings.ServiceSettings`).
    freeze_gc
        For a server process (``servops serve``): at the end of the start-up, collect
        once, move every object the process holds into the cyclic garbage collector's
        permanent generation (:func:`gc.freeze`), and collect the youngest generation
        every :data:`GC_THRESHOLD` allocations instead of Python's 700. The modules,
        the app, its routes and models (about 170,000 objects) are then not traversed
        again: under load each full collection traversed them all (120-145 ms, holding
        every thread of the process, 2-3 times in 2,000 writes), and with the higher
        threshold fewer of a request's objects live long enough to be promoted.
        Process-wide (restored at shutdown), so not for tests or an embedding
        application.
    warm_pool
        For a server process: during the start-up, open the pool's
        ``settings.pool_size`` connections and rehearse a create and an update in a
        transaction that is rolled back (:func:`servops.api.warmup.warm_up`), so the
        first burst of requests does not pay for connecting, compiling and caching all
        at once. Under ``bench_service_load`` (100 clients whose first requests arrive
        within half a second) the creates of the first 2 seconds waited 1.7-2.4 s
        (median) for connections being opened all at once, and were the creates' p99.
    """
    from servops.service.db import make_engine, make_sessionmaker, migrate
    from servops.service.webhooks import install_outbox

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate:
            migrate(settings.database_url)
        engine = make_engine(
            settings.database_url,
            pool_size=settings.pool_size,
            max_overflow=0,  # a request waits for a pooled connection: none opened per request
        )
        factory = make_sessionmaker(engine)
        install_outbox(factory, now=settings.now)
        if settings.sla_config is not None:
            from servops.api.sla import install_timer_sync, timer_config

            install_timer_sync(
                factory, timer_config(settings.sla_config, settings.escalation)
            )
        app.state.engine = engine
        app.state.sessionmaker = factory
        app.state.triage = None
        if settings.triage_model is not None:
            from servops.triage import TicketClassifier

            app.state.triage = TicketClassifier.load(settings.triage_model)
        if warm_pool:
            from servops.api.warmup import warm_up

            warm_up(app, settings.pool_size)
        thresholds = gc.get_threshold()
        if freeze_gc:
            gc.collect()
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLD)
        try:
            yield
        finally:
            engine.dispose()
            if freeze_gc:  # the collector as it was (the process may go on)
                gc.set_threshold(*thresholds)
                gc.unfreeze()

    app = FastAPI(
        title="servops work-order service",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        responses=_ERRORS,
    )
    app.state.settings = settings
    # API tokens checked in the last second skip the database (revoke/user routes clear it)
    app.state.token_cache = TokenCache(ttl=settings.token_cache_ttl)
    app.state.token_checks = {}  # token checks in progress (servops.api.deps)
    install_error_handlers(app)
    for module in (
        tickets,
        comments,
        attachments,
        audit,
        admin,
        tokens,
        auth,
        surveys,
        alerts,
        webhooks,
    ):
        app.include_router(module.router)

    from servops.web import mount_web

    mount_web(app)  # the pages under /app, /static (servops.web)

    @app.get("/health", tags=["meta"], summary="Liveness and database reachability")
    def health() -> dict[str, str]:
        from sqlalchemy import text

        with app.state.sessionmaker() as s:
            s.execute(text("SELECT 1"))
        return {"status": "ok"}

    return app


def app_from_environment() -> FastAPI:
    """The app of one ``servops serve --workers N`` worker process.

    uvicorn starts each worker process afresh and calls this factory there; the settings
    come from the :data:`SETTINGS_ENV` environment variable the parent set.

    Raises
    ------
    InvalidParameterError
        The variable is not set.
    """
    from servops.api.settings import ServiceSettings
    from servops.errors import InvalidParameterError

    text = os.environ.get(SETTINGS_ENV)
    if not text:
        msg = f"{SETTINGS_ENV} is not set: this factory serves `servops serve --workers N`."
        raise InvalidParameterError(msg)
    return create_app(
        ServiceSettings.from_environment(text), freeze_gc=True, warm_pool=True
    )
