"""A server process's warm-up before its first request (``servops serve``, issue 17).

A fresh process pays once for what later requests reuse: SQLAlchemy configures its
mappers and compiles each statement at first use, each new PostgreSQL backend loads the
catalog entries of the tables it touches, the SLA and webhook hooks compile theirs.
Paid by the first burst of requests, all at once in 20 threads, that made the creates
of a load test's first half second wait 200-450 ms, and they alone were its p99.

:func:`warm_up` pays it during the start-up instead: every pooled connection opened and
its backend's catalog loaded (:func:`fill_pool`), then on each of them a ticket created
and changed through the API's own endpoint functions and commit hooks inside a
transaction that is rolled back (:func:`rehearse_writes`). Nothing of it is stored; the
sequences it drew from are not rolled back, so each start of an API process leaves
unused ticket numbers (one per pooled connection: gaps, as refused creates leave).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy.engine import Connection, Engine

__all__ = ["fill_pool", "rehearse_writes", "warm_up"]


def fill_pool(engine: Engine, size: int) -> None:
    """Open ``size`` connections of ``engine``'s pool and leave them idle in it.

    Each connection reads nothing from every table of the service's schema first, so
    its backend has their catalog entries (and those of their indexes) cached.
    """
    from servops.service.models import Base

    held: list[Connection] = []
    try:
        for _ in range(size):
            connection = engine.connect()
            held.append(connection)
            with connection.begin():
                for table in Base.metadata.sorted_tables:
                    key = next(iter(table.primary_key.columns))
                    connection.execute(select(key).where(key.is_(None)))
    finally:
        for connection in held:
            connection.close()


def rehearse_writes(app: FastAPI) -> None:
    """Create a ticket and change its priority through the API's endpoints; roll it back.

    The endpoints commit as they do for a request; here their session is joined to an
    outer transaction in savepoint mode, so each commit (and the commit hooks it runs:
    SLA timers, webhook outbox) releases a savepoint, and the outer rollback undoes
    everything. The caller is an admin made in the same transaction.
    """
    from starlette.requests import Request

    from servops.api.routes import tickets as routes
    from servops.api.schemas import TicketCreate, TicketUpdate
    from servops.service import access
    from servops.service.models import User

    engine = app.state.engine
    settings = app.state.settings
    request = Request({"type": "http", "app": app, "method": "POST", "headers": []})
    with engine.connect() as connection:
        outer = connection.begin()
        try:
            with app.state.sessionmaker(
                bind=connection, join_transaction_mode="create_savepoint"
            ) as session:
                admin = User(
                    email="warm-up@servops.invalid",
                    name="warm-up",
                    role="admin",
                    skills=[],
                )
                session.add(admin)
                session.flush()
                caller = access.Principal(
                    admin.id,
                    "admin",
                    None,
                    frozenset(access.SCOPES),
                    "token",
                    "warm-up",
                )
                made = routes.create_ticket(
                    TicketCreate(subject="warm-up"), request, session, caller, settings
                )
                routes.update_ticket(
                    made.number,
                    TicketUpdate(
                        priority="P2" if made.priority != "P2" else "P1",
                        version=made.version,
                    ),
                    request,
                    session,
                    caller,
                    settings,
                )
        finally:
            outer.rollback()


def warm_up(app: FastAPI, pool_size: int) -> None:
    """:func:`fill_pool`, then :func:`rehearse_writes` on each pooled connection.

    Each connection prepares its statements at their first use (server-side prepared
    statements, planned by its backend): rehearsed on one connection only, the first
    half second of a load test still waited up to 260-300 ms for the other 19; on
    every one, 60 ms. ``app.state`` must hold the engine, the session factory (its
    commit hooks installed) and the settings.
    """
    fill_pool(app.state.engine, pool_size)
    for _ in range(pool_size):  # the pool hands its connections out in turn
        rehearse_writes(app)
