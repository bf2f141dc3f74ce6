"""Agent scorecards for supervisors: ``/app/scorecards`` (``?by=team`` for teams).

:func:`servops.kpi.scorecard` on the live event log with the service's survey answers
(CSAT): on-time rate against the SLA timers' policies and rating, case-mix adjusted and
shrunk for small samples, as funnel plots and a table — the report's section
(:mod:`servops.report.sections.scorecard`) drawn in the page. Recomputed when the log
has changed (a new rating shows on the next load), reused otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse  # noqa: TC002 (FastAPI resolves it)
from markupsafe import Markup

import servops.web.wallboard_i18n  # noqa: F401 - adds the page's strings
from servops.api.deps import Db, Settings  # noqa: TC001 (FastAPI resolves them)
from servops.errors import LogSchemaError
from servops.report.sections.scorecard import funnel_charts, scorecard_table
from servops.service import access
from servops.service.feed import last_event_id
from servops.web.deps import PageCaller  # noqa: TC001 (FastAPI resolves it)
from servops.web.templating import language_of, render
from servops.web.wallboard_live import cached, config_tag, live_scorecard

if TYPE_CHECKING:
    from servops.kpi.scorecards import ScorecardResult

__all__ = ["router"]

router = APIRouter(prefix="/app", include_in_schema=False)


@router.get("/scorecards")
def scorecards(
    request: Request,
    me: PageCaller,
    session: Db,
    settings: Settings,
    by: Annotated[Literal["agent", "team"], Query()] = "agent",
) -> HTMLResponse:
    access.require_role(me, "supervisor")
    lang = language_of(request)

    def tr(en: str, zh: str) -> str:
        return zh if lang == "zh" else en

    try:
        result: ScorecardResult | None = cached(
            request.app,
            f"scorecard.{by} {config_tag(session)}",
            last_event_id(session),
            0.0,
            lambda: live_scorecard(settings, session, by=by),
        )
    except LogSchemaError:  # the service has no events yet
        result = None
    decided = result is not None and bool(result.desk["decided"])
    return render(
        request,
        "scorecards.html.j2",
        me=me,
        by=by,
        sc=result,
        decided=decided,
        charts=Markup(funnel_charts(result, tr)) if result and decided else "",
        table=Markup(scorecard_table(result, tr)) if result and decided else "",
        after=last_event_id(session),
    )
