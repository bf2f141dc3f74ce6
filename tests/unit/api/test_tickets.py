"""Tickets through the API: create, list, get, update, transition, assign; events written."""

from __future__ import annotations

from sqlalchemy import select

from servops.service.db import make_engine, make_sessionmaker
from servops.service.models import Event


def _events(url: str, ticket_id: int) -> list[tuple[int, str]]:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as s:
            return [
                (e.seq, e.activity)
                for e in s.scalars(
                    select(Event)
                    .where(Event.ticket_id == ticket_id)
                    .order_by(Event.seq)
                )
            ]
    finally:
        engine.dispose()


def test_ticket_life_cycle(world) -> None:
    r = world.call(
        "customer",
        "POST",
        "/tickets",
        json={"subject": "Printer on fire", "text": "smoke"},
    )
    assert r.status_code == 201, r.text
    t = r.json()
    assert t["number"].startswith("T-")
    assert t["state"] == "new"
    assert t["customer_id"] == world.ids["customer"]
    assert t["organisation_id"] == world.orgs["Acme"]
    ref = t["number"]

    r = world.call(
        "agent",
        "PATCH",
        f"/tickets/{ref}",
        json={"priority": "P1", "version": t["version"]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["priority"] == "P1"
    # a stale version is a conflict
    r = world.call(
        "agent",
        "PATCH",
        f"/tickets/{ref}",
        json={"priority": "P2", "version": t["version"]},
    )
    assert r.status_code == 409
    assert r.json()["type"] == "ConflictError"

    r = world.call("agent", "POST", f"/tickets/{ref}/transition", json={"to": "open"})
    assert r.status_code == 200, r.text
    assert r.json()["activity"] == "In progress"
    r = world.call("agent", "POST", f"/tickets/{ref}/transition", json={"to": "new"})
    assert r.status_code == 409  # not allowed by the state machine
    r = world.call(
        "agent",
        "POST",
        f"/tickets/{ref}/transition",
        json={"to": "resolved", "comment": "fixed"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["survey_url"].startswith("http://testserver/app/surveys/")

    acts = [a for _, a in _events(world.url, t["id"])]
    assert acts[0] == "Ticket created"
    assert "Priority changed" in acts
    assert acts[-3:] == ["In progress", "Agent replied", "Resolved"]
    seqs = [s for s, _ in _events(world.url, t["id"])]
    assert seqs == list(range(1, len(seqs) + 1))


def test_list_filters(world) -> None:
    for subj, prio in (("alpha filter", "P2"), ("beta filter", "P4")):
        assert (
            world.call(
                "agent", "POST", "/tickets", json={"subject": subj, "priority": prio}
            ).status_code
            == 201
        )
    got = world.call(
        "agent", "GET", "/tickets", params={"q": "filter", "priority": "P4"}
    ).json()
    assert [t["subject"] for t in got] == ["beta filter"]
    got = world.call(
        "agent", "GET", "/tickets", params={"q": "filter", "status": "new"}
    ).json()
    assert {t["subject"] for t in got} == {"alpha filter", "beta filter"}
    got = world.call("agent", "GET", "/tickets", params={"q": "%"}).json()
    assert got == []  # % is a literal, not a wildcard
    assert (
        world.call("agent", "GET", "/tickets", params={"limit": 0}).status_code == 422
    )


def test_bad_input_is_422_naming_the_field(world) -> None:
    r = world.call("customer", "POST", "/tickets", json={"subject": ""})
    assert r.status_code == 422
    body = r.json()
    assert body["type"] == "ValidationError"
    assert "body.subject" in body["detail"]
    r = world.call(
        "customer", "POST", "/tickets", json={"subject": "x", "colour": "red"}
    )
    assert r.status_code == 422
    assert "body.colour" in r.json()["detail"]
    r = world.call("agent", "GET", "/tickets/T-1/comments", params={})
    assert r.status_code == 404
    r = world.call("admin", "PATCH", "/users/99999999999", json={})
    assert r.status_code == 422
    assert "path.user_id" in r.json()["detail"]


def test_unauthenticated_is_401(world) -> None:
    r = world.call(None, "GET", "/tickets")
    assert r.status_code == 401
    assert r.json()["type"] == "AuthenticationError"
    r = world.call(
        None, "GET", "/tickets", headers={"Authorization": "Bearer so_1_nope"}
    )
    assert r.status_code == 401
    r = world.call(None, "GET", "/tickets", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401
