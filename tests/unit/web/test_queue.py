"""Agent queues: SLA order (hand-computed), filters, bulk actions, live SLA states."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from servops.service.queues import clock_state

if TYPE_CHECKING:
    from tests.unit.web.conftest import Web

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # inside the demo's office hours


def _numbers(html: str) -> list[str]:
    return re.findall(r'<tr id="ticket-\d+" data-number="(T-\d+)"', html)


def _rows(web: Web, who: str = "agent", **params: str) -> str:
    r = web.login(who).get("/app/queue/rows", params=params)
    assert r.status_code == 200, r.text
    return str(r.text)


def _tick(web: Web) -> None:
    from servops.api.sla import timer_config
    from servops.cli.serve import DEMO_KPI
    from servops.service import timers
    from servops.service.db import make_engine, make_sessionmaker

    engine = make_engine(web.world.url)
    try:
        with make_sessionmaker(engine)() as s:
            timers.tick(s, web.world.clock(), timer_config(DEMO_KPI))
            s.commit()
    finally:
        engine.dispose()


def test_queue_sorted_by_sla_due_filtered_and_bulk_changed(web: Web) -> None:
    web.world.clock.t = MONDAY_9
    made: dict[str, dict[str, Any]] = {}
    for prio in ("P3", "P1", "P2"):
        made[prio] = web.ticket(
            "customer", subject=f"Queue {prio} printer", priority=prio
        )
    ids = [str(made[p]["id"]) for p in ("P3", "P1", "P2")]
    # bulk assign to the agent: all three through the API's assign
    r = web.post(
        "agent",
        "/app/queue/bulk",
        {"action": "assign", "assignee_id": str(web.world.ids["agent"]), "ticket": ids},
    )
    assert r.status_code == 200, r.text
    assert "3 of 3 tickets changed." in r.text
    assert r.headers["HX-Trigger"] == "queue-changed"
    # first response due (office hours from Mon 09:00): P1 10:00 < P2 11:00 < P3 13:00
    html = _rows(web, scope="mine")
    assert _numbers(html) == [made[p]["number"] for p in ("P1", "P2", "P3")]
    # (the timers put the due instant 1 ms past the target: reaching it is not a breach)
    assert re.search(r'data-due="2026-03-02T10:00:00(\.\d+)?\+00:00"', html)
    assert 'data-warn="' in html
    # filters
    assert _numbers(_rows(web, scope="mine", priority="P2")) == [made["P2"]["number"]]
    assert _numbers(_rows(web, scope="mine", text="p3 PRINT")) == [made["P3"]["number"]]
    assert _numbers(_rows(web, scope="mine", text="100%_")) == []
    assert _numbers(_rows(web, scope="mine", state="open")) == []
    assert _numbers(_rows(web, scope="mine", channel="web")) == _numbers(html)
    # another agent's "mine" is empty; the groups queue has what is in their groups
    assert _numbers(_rows(web, "agent2", scope="mine")) == []
    # bulk priority: P3 -> P1 re-targets with elapsed time kept (all at 09:00: due 10:00)
    r = web.post(
        "agent",
        "/app/queue/bulk",
        {"action": "priority", "priority": "P1", "ticket": [str(made["P3"]["id"])]},
    )
    assert "1 of 1 tickets changed." in r.text
    # bulk state: one allowed move and one refused, each reported
    web.post(
        "agent", f"/app/tickets/{made['P2']['number']}/transition", {"to": "closed"}
    )
    r = web.post(
        "agent",
        "/app/queue/bulk",
        {
            "action": "state",
            "to": "resolved",
            "ticket": [str(made["P2"]["id"]), str(made["P1"]["id"])],
        },
    )
    assert "1 of 2 tickets changed." in r.text
    assert f"Ticket {made['P2']['number']} not changed" in r.text
    assert "closed" in r.text
    remaining = _numbers(_rows(web, scope="mine"))
    assert remaining == [made["P3"]["number"]]  # P2 closed, P1 resolved: not open


def test_breached_and_warning_states_come_from_the_timers(web: Web) -> None:
    web.world.clock.t = MONDAY_9
    t = web.ticket("customer", subject="Breach me", priority="P1")
    web.post(
        "agent",
        "/app/queue/bulk",
        {
            "action": "assign",
            "assignee_id": str(web.world.ids["agent"]),
            "ticket": [str(t["id"])],
        },
    )
    row = _row_of(_rows(web, scope="mine"), t["number"])
    assert "sla-running" in row
    # P1 first response: 1 h; the demo's warning share puts warn_at before 10:00
    web.world.clock.t = MONDAY_9 + timedelta(minutes=55)
    row = _row_of(_rows(web, scope="mine"), t["number"])
    assert "sla-warning" in row
    web.world.clock.t = MONDAY_9 + timedelta(hours=1, minutes=5)
    _tick(web)  # the worker fires the breach
    html = _rows(web, scope="mine")
    row = _row_of(html, t["number"])
    assert 'data-stage="breached"' in row
    assert "sla-breached" in row
    # fired breaches are the most urgent: they come before every running clock
    states = re.findall(r'<span class="sla sla-(\w+)"', html)
    assert "breached" in states
    assert states == sorted(states, key=lambda s: s != "breached")


def _row_of(html: str, number: str) -> str:
    m = re.search(rf'<tr id="ticket-\d+" data-number="{number}">(.*?)</tr>', html, re.S)
    assert m, f"{number} not in the queue"
    return m.group(1)


def _timer(**kw: Any) -> Any:
    base = {"stage": "running", "due_at": None, "warn_at": None, "warned_at": None}
    return SimpleNamespace(**(base | kw))


def test_clock_state_by_hand() -> None:
    due = MONDAY_9 + timedelta(hours=1)
    warn = MONDAY_9 + timedelta(minutes=45)
    t = _timer(due_at=due, warn_at=warn)
    assert clock_state(None, MONDAY_9) == "none"
    assert clock_state(t, MONDAY_9) == "running"
    assert clock_state(t, warn) == "warning"
    assert clock_state(t, due) == "breached"
    assert clock_state(t, None) == "running"
    assert clock_state(_timer(due_at=due, warned_at=warn), MONDAY_9) == "warning"
    assert clock_state(_timer(stage="breached"), MONDAY_9) == "breached"
    assert clock_state(_timer(stage="paused"), due) == "paused"
    assert clock_state(_timer(stage="met"), due) == "met"
