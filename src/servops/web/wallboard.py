"""The supervisor wallboard: ``/app/wallboard`` and its live fragments.

``/app/wallboard/board`` is the database part (:func:`servops.service.wallboard.
wallboard_figures`: open, at-risk and breached-now tickets by group, agents' load against
capacity, arrivals today) — two SQL statements, reused while nothing can have changed
(:data:`FIGURES_MAX_AGE_S`), rendered again on live events (app.js
passes them on at most every 500 ms, the last of a burst included; one request at a
time, the last event queued: ``queue:last``) and every 30 s (clocks reach their warning
and due instants without an event).
``/app/wallboard/analytics`` loads after the page: arrivals today against the forecast,
control-chart alerts and the process map of the last 7 days, computed from the live
event log and cached (:mod:`servops.web.wallboard_live`). ``/app/wallboard/report`` is the
full HTML report of the live log, generated on demand and cached for 5 minutes.
Supervisors and admins only.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

import servops.web.wallboard_i18n  # noqa: F401 - adds the page's strings
from servops.api.deps import Db, Settings  # noqa: TC001 (FastAPI resolves them)
from servops.service import access
from servops.service.config_store import live_state_machine
from servops.service.feed import last_event_id
from servops.service.wallboard import WallboardFigures, day_bounds, wallboard_figures
from servops.web.deps import PageCaller  # noqa: TC001 (FastAPI resolves it)
from servops.web.templating import language_of, render
from servops.web.wallboard_live import (
    ANALYTICS_TTL_S,
    REPORT_TTL_S,
    cached,
    config_tag,
    live_analytics,
    live_config,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from servops.api.settings import ServiceSettings
    from servops.service.access import Principal

__all__ = ["FIGURES_MAX_AGE_S", "router"]

router = APIRouter(prefix="/app", include_in_schema=False)

#: The board's figures are reused, per process, while no event has happened, the clocks
#: have not reached a warning or due instant (``WallboardFigures.next_change``) and the
#: day is the same — at most this long (what changes without an event, such as an
#: agent's capacity, shows within it).
FIGURES_MAX_AGE_S = 15.0


def _board(
    request: Request,
    session: Session,
    settings: ServiceSettings,
    me: Principal,
    template: str,
) -> HTMLResponse:
    access.require_role(me, "supervisor")
    now = settings.now()
    after = last_event_id(session)
    timezone = live_config(settings, session).timezone
    states = tuple(live_state_machine(session).states_in())

    def still_true(fig: WallboardFigures) -> bool:
        """No clock has reached a warning or due instant since, and it is the same day."""
        return (
            fig.now <= now
            and (fig.next_change is None or now < fig.next_change)
            and fig.day_start == day_bounds(now, timezone)[0]
        )

    figures = cached(
        request.app,
        "figures",
        (after, timezone, states),
        0.0,
        lambda: wallboard_figures(session, now, timezone=timezone),
        max_age_s=FIGURES_MAX_AGE_S,
        valid=still_true,
    )
    return render(
        request,
        template,
        me=me,
        fig=replace(figures, now=now),
        after=after,
        server_now=now.isoformat(),
    )


@router.get("/wallboard")
def wallboard(
    request: Request, me: PageCaller, session: Db, settings: Settings
) -> HTMLResponse:
    return _board(request, session, settings, me, "wallboard.html.j2")


@router.get("/wallboard/board")
def wallboard_board(
    request: Request, me: PageCaller, session: Db, settings: Settings
) -> HTMLResponse:
    return _board(request, session, settings, me, "wallboard_board.html.j2")


@router.get("/wallboard/analytics")
def wallboard_analytics(
    request: Request, me: PageCaller, session: Db, settings: Settings
) -> HTMLResponse:
    access.require_role(me, "supervisor")
    now = settings.now()
    cfg = live_config(settings, session)  # a new SLA/state-machine version: a new entry
    data = cached(
        request.app,
        f"analytics {config_tag(session)}",
        last_event_id(session),
        ANALYTICS_TTL_S,
        lambda: live_analytics(settings, now, cfg),
    )
    return render(request, "wallboard_analytics.html.j2", me=me, a=data)


@router.get("/wallboard/report")
def wallboard_report(
    request: Request, me: PageCaller, session: Db, settings: Settings
) -> HTMLResponse:
    from servops.web.wallboard_live import live_report

    access.require_role(me, "supervisor")
    lang = language_of(request)
    cfg = live_config(settings, session)
    html = cached(
        request.app,
        f"report.{lang} {config_tag(session)}",
        last_event_id(session),
        REPORT_TTL_S,
        lambda: live_report(settings, lang, cfg),
    )
    return HTMLResponse(html, headers={"Cache-Control": "private, max-age=60"})
