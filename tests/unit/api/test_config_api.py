"""Admin config versions over the API: validate, save, history, diff; live SLA re-target."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from servops.service.db import make_engine, make_sessionmaker
from servops.service.models import SlaTimer
from tests.unit.api.conftest import Clock, World, client_class, seed_world

DEMO_KPI = Path(__file__).parents[3] / "src" / "servops" / "demo" / "kpi.yaml"
DEFAULT_SM = (
    Path(__file__).parents[3] / "src" / "servops" / "service" / "statemachine.yaml"
)

# P3 made faster: 2 h to first response, 8 h to resolution, office hours 08-18
FAST_P3 = """\
calendars:
  office:
    timezone: UTC
    hours:
      mon-fri: "08:00-18:00"
sla:
  - name: P3
    when: {priority: P3}
    first_response: 2h
    resolution: 8h
    calendar: office
"""
TEXT = {"Content-Type": "text/plain"}


@pytest.fixture(scope="module")
def cw(pg_url):
    from servops.api import ServiceSettings, create_app

    clock = Clock()
    clock.t = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, inside office hours
    settings = ServiceSettings(
        database_url=pg_url, now=clock, sla_config=DEMO_KPI, pool_size=3
    )
    with client_class()(create_app(settings)) as client:
        w = World(client=client, clock=clock, url=pg_url)
        seed_world(pg_url, w)
        yield w


def _put(w: World, who: str, kind: str, text: str):
    return w.call(who, "PUT", f"/config/{kind}", content=text, headers=TEXT)


def _timers(url: str, ticket_id: int) -> dict[str, SlaTimer]:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as s:
            rows = s.scalars(
                select(SlaTimer).where(SlaTimer.ticket_id == ticket_id)
            ).all()
            return {r.metric: r for r in rows}
    finally:
        engine.dispose()


def _near(got: datetime | None, want: datetime) -> None:
    assert got is not None
    assert abs(got - want) < timedelta(seconds=1), (got, want)


@pytest.mark.parametrize("who", ["customer", "agent", "supervisor"])
def test_non_admins_get_403(cw, who) -> None:
    assert cw.call(who, "GET", "/config/sla").status_code == 403
    assert cw.call(who, "GET", "/config/routing/versions").status_code == 403
    assert _put(cw, who, "routing", "strategy: round_robin\n").status_code == 403
    r = cw.call(who, "POST", "/config/sla/validate", content=FAST_P3, headers=TEXT)
    assert r.status_code == 403


def test_unknown_kind_is_422(cw) -> None:
    assert cw.call("admin", "GET", "/config/escalation").status_code == 422


def test_current_text_before_any_version_is_the_startup_config(cw) -> None:
    body = cw.call("admin", "GET", "/config/statemachine").json()
    assert body["id"] is None
    assert body["content"] == DEFAULT_SM.read_text(encoding="utf-8")
    body = cw.call("admin", "GET", "/config/sla").json()
    assert body["content"] == DEMO_KPI.read_text(encoding="utf-8")


def test_bad_yaml_names_line_and_reason(cw) -> None:
    bad = FAST_P3.replace("18:00", "25:00")
    r = cw.call("admin", "POST", "/config/sla/validate", content=bad, headers=TEXT)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "line 5" in detail
    assert "'25:00' is not a time of day" in detail
    assert "calendar 'office'" in detail
    # saving it is refused the same way and stores nothing
    r = _put(cw, "admin", "sla", bad)
    assert r.status_code == 422
    assert "line 5" in r.json()["detail"]
    r = _put(cw, "admin", "routing", "strategy: round_robin\ngroups:\n  L2: fastest\n")
    assert r.status_code == 422
    assert "line 3" in r.json()["detail"]
    assert "unknown strategy 'fastest'" in r.json()["detail"]
    sm = DEFAULT_SM.read_text(encoding="utf-8").replace(
        "closed: [open]", "closed: [opened]"
    )
    r = _put(cw, "admin", "statemachine", sm)
    assert r.status_code == 422
    assert "opened" in r.json()["detail"]
    assert "line" in r.json()["detail"]
    assert cw.call("admin", "GET", "/config/sla/versions").json() == []


def test_history_lists_versions_in_order_with_authors_and_diffs(cw) -> None:
    from servops.service import access
    from servops.service.models import User

    # a second admin, so the authors differ
    engine = make_engine(cw.url)
    try:
        with make_sessionmaker(engine)() as s:
            u = User(
                email="admin2@example.test",
                name="Second Admin",
                role="admin",
                active=True,
                skills=[],
            )
            s.add(u)
            s.flush()
            _, tok = access.create_token(
                s, u.id, scopes=["admin"], expires_in=timedelta(days=1), now=cw.clock
            )
            s.commit()
    finally:
        engine.dispose()
    cw.tokens["admin2"] = tok
    a = _put(cw, "admin", "routing", "strategy: round_robin\n")
    b = _put(cw, "admin2", "routing", "strategy: least_loaded\n")
    assert a.status_code == b.status_code == 201
    hist = cw.call("admin", "GET", "/config/routing/versions").json()
    assert [h["id"] for h in hist] == [a.json()["id"], b.json()["id"]]
    assert [h["author"] for h in hist] == ["Admin", "Second Admin"]
    cur = cw.call("admin", "GET", "/config/routing").json()
    assert cur["id"] == b.json()["id"]
    assert cur["content"] == "strategy: least_loaded\n"
    one = cw.call("admin", "GET", f"/config/routing/versions/{b.json()['id']}").json()
    assert "-strategy: round_robin\n" in one["diff"]
    assert "+strategy: least_loaded\n" in one["diff"]
    assert cw.call("admin", "GET", "/config/routing/versions/999999").status_code == 404


def test_removing_a_state_with_open_tickets_is_refused(cw) -> None:
    for subject in ("a", "b"):
        r = cw.call("customer", "POST", "/tickets", json={"subject": subject})
        assert r.status_code == 201
    text = DEFAULT_SM.read_text(encoding="utf-8")
    # "new" renamed "triage": the machine is valid, but tickets are still in "new"
    without_new = (
        text.replace("initial: new", "initial: triage")
        .replace("  new: {category: new", "  triage: {category: new")
        .replace("  new: [open", "  triage: [open")
    )
    r = cw.call(
        "admin",
        "POST",
        "/config/statemachine/validate",
        content=without_new,
        headers=TEXT,
    )
    assert r.status_code == 409
    r = _put(cw, "admin", "statemachine", without_new)
    assert r.status_code == 409
    detail = r.json()["detail"]
    assert "state 'new' has" in detail
    # every ticket of this module's database is still new
    from sqlalchemy import func

    from servops.service.models import Ticket

    engine = make_engine(cw.url)
    try:
        with make_sessionmaker(engine)() as s:
            n = s.scalar(select(func.count()).select_from(Ticket))
    finally:
        engine.dispose()
    assert f"state 'new' has {n} ticket(s)" in detail
    assert cw.call("admin", "GET", "/config/statemachine/versions").json() == []
    # keeping every state is accepted
    r = _put(cw, "admin", "statemachine", text.replace("Reopened", "Re-opened"))
    assert r.status_code == 201
    assert r.json()["live"] is True


def test_new_sla_version_retargets_open_ticket_at_next_tick(cw) -> None:
    from servops.api.sla import timer_config
    from servops.service.timers import tick

    cw.clock.t = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    t = cw.call(
        "customer", "POST", "/tickets", json={"subject": "slow", "priority": "P3"}
    ).json()
    timers = _timers(cw.url, t["id"])
    # demo P3 on office hours (mon-fri 08-18): 4 h -> Mon 13:00, 24 h -> Wed 13:00
    _near(timers["first_response"].due_at, datetime(2026, 3, 2, 13, 0, tzinfo=UTC))
    _near(timers["resolution"].due_at, datetime(2026, 3, 4, 13, 0, tzinfo=UTC))
    cw.clock.advance(hours=1)
    assert _put(cw, "admin", "sla", FAST_P3).status_code == 201
    # nothing changes until the worker's next tick
    _near(
        _timers(cw.url, t["id"])["first_response"].due_at,
        datetime(2026, 3, 2, 13, 0, tzinfo=UTC),
    )
    config = timer_config(DEMO_KPI)
    engine = make_engine(cw.url)
    try:
        factory = make_sessionmaker(engine)
        with factory() as s:
            tick(s, cw.clock, config)
            s.commit()
    finally:
        engine.dispose()
    timers = _timers(cw.url, t["id"])
    # 1 h elapsed kept: first response 2 h -> 11:00; resolution 8 h -> Mon 17:00
    _near(timers["first_response"].due_at, datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    _near(timers["resolution"].due_at, datetime(2026, 3, 2, 17, 0, tzinfo=UTC))
    assert timers["first_response"].stage == "running"
