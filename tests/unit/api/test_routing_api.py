"""Routing with the database: rules to groups, least loaded, round robin, skills, capacity."""

from __future__ import annotations

import itertools
from typing import Any

_n = itertools.count()


def _user(world, role="agent", *, capacity=None, skills=()):
    k = next(_n)
    r = world.call(
        "admin",
        "POST",
        "/users",
        json={
            "email": f"rt{k}@x.test",
            "name": f"R{k}",
            "role": role,
            "capacity": capacity,
            "skills": list(skills),
        },
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _group(world, name, members):
    r = world.call(
        "admin", "POST", "/groups", json={"name": name, "member_ids": members}
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _rule(world, position, conditions, group_id):
    r = world.call(
        "admin",
        "POST",
        "/routing/rules",
        json={
            "position": position,
            "name": f"rule {position}",
            "conditions": conditions,
            "group_id": group_id,
        },
    )
    assert r.status_code == 201, r.text


def _config(world, text):
    r = world.call(
        "admin",
        "PUT",
        "/routing/config",
        content=text,
        headers={"Content-Type": "text/plain"},
    )
    assert r.status_code == 200, r.text


def _new(world, **body):
    r = world.call("agent", "POST", "/tickets", json={"subject": "x", **body})
    assert r.status_code == 201, r.text
    return r.json()


def test_rules_capacity_queue_and_drain(world) -> None:
    a, b = _user(world, capacity=2), _user(world, capacity=1)
    g = _group(world, "Billing", [a, b])
    _rule(world, 10, {"keywords": ["invoice", "发票"], "channel": ["email", "web"]}, g)
    _config(world, "strategy: least_loaded\n")
    got = [_new(world, subject=f"invoice {i}", channel="email") for i in range(4)]
    assert all(t["group_id"] == g for t in got)
    # least loaded with capacities 2 and 1: a, b, a, then nobody has room -> queue
    assert [t["assignee_id"] for t in got] == [a, b, a, None]
    other = _new(world, subject="hello", channel="email")
    assert other["group_id"] is None  # no rule matched
    # resolving one of a's tickets frees room: the queued ticket is assigned to a
    ref = got[0]["number"]
    r = world.call(
        "agent", "POST", f"/tickets/{ref}/transition", json={"to": "resolved"}
    )
    assert r.status_code == 200, r.text
    queued = world.call("agent", "GET", f"/tickets/{got[3]['number']}").json()
    assert queued["assignee_id"] == a


def test_round_robin_and_skills(world) -> None:
    a, b, c = _user(world), _user(world, skills=["fr"]), _user(world)
    g = _group(world, "Field", [a, b, c])
    _rule(world, 5, {"category": ["repair", "réparation"]}, g)
    _config(
        world,
        "strategy: least_loaded\ngroups: {Field: round_robin}\nskills: {réparation: [fr]}\n",
    )
    got = [_new(world, category="repair")["assignee_id"] for _ in range(4)]
    assert got == [a, b, c, a]
    assert (
        _new(world, category="réparation")["assignee_id"] == b
    )  # only b speaks French


def test_assign_endpoint(world) -> None:
    t = _new(world, subject="manual")
    g = world.groups["Support"]
    r = world.call(
        "agent",
        "POST",
        f"/tickets/{t['number']}/assign",
        json={"group_id": g, "assignee_id": world.ids["agent2"]},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["group_id"], r.json()["assignee_id"]) == (g, world.ids["agent2"])
    r = world.call(
        "agent",
        "POST",
        f"/tickets/{t['number']}/assign",
        json={"assignee_id": world.ids["customer"]},
    )
    assert r.status_code == 403  # customers cannot be assignees
    r = world.call(
        "agent", "POST", f"/tickets/{t['number']}/assign", json={"group_id": 999999}
    )
    assert r.status_code == 404


def test_bad_rules_and_config_are_422(world) -> None:
    r = world.call(
        "admin",
        "POST",
        "/routing/rules",
        json={
            "position": 1,
            "name": "bad",
            "conditions": {"colour": ["red"]},
            "group_id": world.groups["Support"],
        },
    )
    assert r.status_code == 422
    assert r.json()["type"] == "ConfigError"
    assert "colour" in r.json()["detail"]
    r = world.call(
        "admin",
        "PUT",
        "/routing/config",
        content="strategy: random\n",
        headers={"Content-Type": "text/plain"},
    )
    assert r.status_code == 422
    assert "random" in r.json()["detail"]


def test_concurrent_creates_never_exceed_capacity(world) -> None:
    from concurrent.futures import ThreadPoolExecutor

    a, b = _user(world, capacity=1), _user(world, capacity=2)
    g = _group(world, "Race", [a, b])
    _rule(world, 1, {"keywords": ["race-condition"]}, g)

    def create(i: int) -> dict[str, Any]:
        r = world.call(
            "agent", "POST", "/tickets", json={"subject": f"race-condition {i}"}
        )
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(create, range(12)))
    assigned = [t["assignee_id"] for t in got if t["assignee_id"] is not None]
    assert sorted(assigned) == sorted([a, b, b])  # capacities 1 + 2; the rest wait
    assert sum(t["assignee_id"] is None for t in got) == 9
