"""The wallboard's figures by hand on a real PostgreSQL; its pages and the scorecard page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from servops.service.db import make_engine, make_sessionmaker
from servops.service.wallboard import day_bounds, wallboard_figures

if TYPE_CHECKING:
    import pytest

    from tests.unit.web.conftest import Web


def _set_up_board(web: Web) -> dict[str, str]:
    """Five tickets in known states; returns label -> number."""
    numbers = {
        label: web.ticket("customer", subject=f"wb {label}", priority="P3")["number"]
        for label in ("warn", "late", "fresh", "nogroup", "done")
    }
    now = web.world.clock()
    g = web.world.groups["Support"]
    ids = web.world.ids
    engine = make_engine(web.world.url, app_role=False)
    try:
        with engine.begin() as c:

            def run(sql: str, **p: object) -> None:
                c.execute(text(sql), p)

            for label, group, assignee in (
                ("warn", g, ids["agent"]),
                ("late", g, ids["agent2"]),
                ("fresh", g, None),
                ("nogroup", None, None),
            ):
                run(
                    "UPDATE tickets SET group_id = :g, assignee_id = :a WHERE number = :n",
                    g=group,
                    a=assignee,
                    n=numbers[label],
                )
            run(
                "UPDATE sla_timers SET stage = 'running', stopped_at = NULL, "
                "warned_at = NULL, breached_at = NULL, warn_at = :w, due_at = :d "
                "WHERE ticket_id IN (SELECT id FROM tickets WHERE number = ANY(:ns))",
                w=now + timedelta(hours=10),
                d=now + timedelta(hours=20),
                ns=list(numbers.values()),
            )
            # warn: the worker has warned one clock; late: one clock is past due
            run(
                "UPDATE sla_timers SET warned_at = :t WHERE ticket_id = "
                "(SELECT id FROM tickets WHERE number = :n)",
                t=now,
                n=numbers["warn"],
            )
            run(
                "UPDATE sla_timers SET due_at = :t WHERE metric = 'resolution' AND "
                "ticket_id = (SELECT id FROM tickets WHERE number = :n)",
                t=now - timedelta(minutes=1),
                n=numbers["late"],
            )
            run(
                "DELETE FROM sla_timers WHERE ticket_id = "
                "(SELECT id FROM tickets WHERE number = :n)",
                n=numbers["nogroup"],
            )
            run(
                "UPDATE tickets SET state = 'closed' WHERE number = :n",
                n=numbers["done"],
            )
    finally:
        engine.dispose()
    return numbers


def test_figures_by_hand(web: Web) -> None:
    _set_up_board(web)
    now = web.world.clock()
    engine = make_engine(web.world.url)
    try:
        with make_sessionmaker(engine)() as s:
            fig = wallboard_figures(s, now)
    finally:
        engine.dispose()
    groups = {g.name: g for g in fig.groups}
    support = groups["Support"]
    assert (support.open, support.at_risk, support.breached) == (3, 1, 1)
    assert support.unassigned == 1
    none = groups[""]
    assert (none.open, none.at_risk, none.breached, none.unassigned) == (1, 0, 0, 1)
    agents = {a.name: a for a in fig.agents}
    assert (agents["Agent"].open, agents["Agent"].at_risk) == (1, 1)
    assert (agents["Agent2"].open, agents["Agent2"].breached) == (1, 1)
    assert agents["Agent"].capacity == 100
    assert agents["Agent"].load == 0.01
    assert agents["Agent"].has_room
    assert agents["Supervisor"].open == 0
    assert "Customer" not in agents
    assert fig.totals == {"open": 4, "at_risk": 1, "breached": 1, "unassigned": 2}
    # every ticket of this module was created at the test clock's instant: today
    assert fig.arrivals_today == 5
    # the warning instant passing makes "fresh" at risk without any event
    later = wallboard_figures_at(web, now + timedelta(hours=11))
    # (a ticket counts once, by its worst clock: "late" stays breached)
    assert (later.totals["at_risk"], later.totals["breached"]) == (2, 1)


def wallboard_figures_at(web: Web, when):
    engine = make_engine(web.world.url)
    try:
        with make_sessionmaker(engine)() as s:
            return wallboard_figures(s, when)
    finally:
        engine.dispose()


def _figure(html: str, name: str) -> int:
    m = re.search(rf'data-figure="{name}">(\d+)<', html)
    assert m is not None, name
    return int(m.group(1))


def test_wallboard_pages_for_supervisors_only(web: Web) -> None:
    page = web.login("supervisor").get("/app/wallboard")
    assert page.status_code == 200, page.text[:300]
    assert 'hx-get="/app/wallboard/board"' in page.text
    assert 'href="/app/wallboard"' in page.text  # in the navigation
    open_now = _figure(page.text, "open")
    board = web.login("admin").get("/app/wallboard/board")
    assert board.status_code == 200
    assert _figure(board.text, "open") == open_now
    for who in ("agent", "customer"):
        assert web.login(who).get("/app/wallboard").status_code == 403
        assert web.login(who).get("/app/scorecards").status_code == 403
    # a new ticket shows on the next board fragment
    web.ticket("customer", subject="one more", priority="P2")
    board = web.login("supervisor").get("/app/wallboard/board")
    assert _figure(board.text, "open") == open_now + 1


def test_board_figures_are_reused_until_an_event_or_a_clock_instant(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    from servops.web import wallboard as page

    calls: list[datetime] = []

    def counted(session: Any, now: datetime, **kw: Any) -> Any:
        calls.append(now)
        return wallboard_figures(session, now, **kw)

    monkeypatch.setattr(page, "wallboard_figures", counted)
    sup = web.login("supervisor")
    number = web.ticket("customer", subject="cache me", priority="P2")["number"]
    first = sup.get("/app/wallboard/board")
    assert len(calls) == 1  # a new event: computed
    again = sup.get("/app/wallboard/board")
    assert len(calls) == 1  # nothing happened: reused
    assert _figure(again.text, "open") == _figure(first.text, "open")
    now = web.world.clock()
    fresh = wallboard_figures_at(web, now)
    assert _figure(again.text, "open") == fresh.totals["open"]
    assert fresh.next_change is not None  # the new ticket's clocks will warn
    web.world.call("agent", "POST", f"/tickets/{number}/comments", json={"body": "x"})
    sup.get("/app/wallboard/board")
    assert len(calls) == 2  # an event
    saved = web.world.clock.t
    try:
        before = fresh.next_change - timedelta(seconds=1)
        web.world.clock.t = before
        sup.get("/app/wallboard/board")
        same_day = day_bounds(before)[0] == day_bounds(now)[0]
        # before the clock's instant: still the same (unless a new day began)
        assert len(calls) == (2 if same_day else 3)
        n = len(calls)
        web.world.clock.t = fresh.next_change + timedelta(seconds=1)
        at_instant = sup.get("/app/wallboard/board")
        assert len(calls) == n + 1  # a clock reached its warning or due instant
        later = wallboard_figures_at(web, web.world.clock())
        assert _figure(at_instant.text, "at_risk") == later.totals["at_risk"]
    finally:
        web.world.clock.t = saved


def test_analytics_and_report_of_the_live_log(web: Web) -> None:
    a = web.login("supervisor").get("/app/wallboard/analytics")
    assert a.status_code == 200, a.text[:500]
    assert "Arrivals today against the forecast" in a.text
    # one day of history: the forecast says why it is missing, never a 0
    assert "needs a week of history" in a.text
    assert "<svg" in a.text  # the process map of the last 7 days
    r = web.login("supervisor").get("/app/wallboard/report")
    assert r.status_code == 200
    assert "<html" in r.text[:200].lower()
    assert "Service report (live)" in r.text
    again = web.login("supervisor").get("/app/wallboard/report")
    assert again.text == r.text  # cached
    zh = web.login("supervisor").get(
        "/app/wallboard", headers={"Accept-Language": "zh-CN"}
    )
    assert "主管监控大屏" in zh.text


def test_scorecard_changes_with_a_rating(web: Web) -> None:
    def desk() -> tuple[int, int]:
        page = web.login("supervisor").get("/app/scorecards")
        assert page.status_code == 200, page.text[:300]
        m = re.search(
            r"of (\d+) decided tickets; CSAT [^ ]+ from (\d+) answers", page.text
        )
        if m is None:
            assert "nothing to compare" in page.text
            return 0, 0
        return int(m.group(1)), int(m.group(2))

    before = desk()
    t = web.ticket("customer", subject="rate me", priority="P3")
    r = web.world.call(
        "agent", "POST", f"/tickets/{t['number']}/transition", json={"to": "resolved"}
    )
    assert r.status_code == 200, r.text
    token = r.json()["survey_url"].rsplit("/", 1)[1]
    after_resolve = desk()
    assert after_resolve[0] == before[0] + 1
    r = web.world.call(None, "POST", f"/surveys/{token}", json={"csat": 5})
    assert r.status_code == 200, r.text
    rated = desk()
    assert rated == (after_resolve[0], before[1] + 1)
    page = web.login("supervisor").get("/app/scorecards")
    assert "<svg" in page.text and "Agent" in page.text
    teams = web.login("supervisor").get("/app/scorecards?by=team")
    assert teams.status_code == 200
    assert web.login("supervisor").get("/app/scorecards?by=x").status_code == 422


def test_cli_reads_the_services_survey_answers(web: Web) -> None:
    from servops.cli.scorecard import read_ratings
    from servops.web.wallboard_live import survey_ratings

    t = web.ticket("customer", subject="rate for the CLI", priority="P3")
    r = web.world.call(
        "agent", "POST", f"/tickets/{t['number']}/transition", json={"to": "resolved"}
    )
    token = r.json()["survey_url"].rsplit("/", 1)[1]
    r = web.world.call(None, "POST", f"/surveys/{token}", json={"csat": 2, "nps": 7})
    assert r.status_code == 200, r.text
    csat = read_ratings(web.world.url, score_column=None, case_column="case_id")
    rows = dict(
        zip(
            csat.column("case_id").to_pylist(),
            csat.column("score").to_pylist(),
            strict=True,
        )
    )
    assert rows[t["number"]] == 2.0
    nps = read_ratings(web.world.url, score_column="nps", case_column="case_id")
    assert 7.0 in nps.column("score").to_pylist()
    engine = make_engine(web.world.url)
    try:
        with make_sessionmaker(engine)() as s:
            assert survey_ratings(s).to_pylist() == csat.to_pylist()
    finally:
        engine.dispose()


def test_scorecard_cli_on_the_live_service(web: Web) -> None:
    import json

    from typer.testing import CliRunner

    from servops.cli.main import app
    from servops.cli.serve import DEMO_KPI

    url = web.world.url
    res = CliRunner().invoke(
        app,
        ["scorecard", "--service", url, "-c", str(DEMO_KPI), "--feedback", url,
         "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    # the tickets resolved by the agent in this module are decided and rated
    agent = {r["name"]: r for r in out["rows"]}["Agent"]
    assert agent["decided"] >= 2
    assert agent["ratings"] >= 2
    assert out["desk"]["ratings"] >= 2
