"""Every endpoint × every role: who may call it, and customers see only their organisation.

The matrix must list every route of the app (a test checks that), so a new endpoint
cannot slip in without its access rule.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.unit.api.conftest import ROLES

ALL = set(ROLES)
AGENT = {"agent", "supervisor", "admin"}
SUPERVISOR = {"supervisor", "admin"}
ADMIN = {"admin"}
_n = itertools.count()

# (method, path, body or None, roles allowed). {t}: a ticket of Acme; {u}: a user; {g}: a group
MATRIX: list[tuple[str, str, object, set[str]]] = [
    ("POST", "/tickets", {"subject": "matrix"}, ALL),
    ("GET", "/tickets", None, ALL),
    ("GET", "/tickets/{t}", None, ALL),
    ("PATCH", "/tickets/{t}", {"priority": "P2"}, AGENT),
    ("POST", "/tickets/{t}/transition", {"to": "on_hold"}, AGENT),
    ("POST", "/tickets/{t}/assign", {"group_id": "{g}"}, AGENT),
    ("GET", "/tickets/{t}/comments", None, ALL),
    ("POST", "/tickets/{t}/comments", {"body": "hello"}, ALL),
    ("GET", "/tickets/{t}/attachments", None, ALL),
    (
        "POST",
        "/tickets/{t}/attachments",
        {
            "filename": "a.txt",
            "content_type": "text/plain",
            "size_bytes": 3,
            "sha256": "0" * 64,
        },
        ALL,
    ),
    ("GET", "/tickets/{t}/events", None, SUPERVISOR),
    ("POST", "/tickets/{t}/survey", None, AGENT),
    ("GET", "/survey-answers", None, SUPERVISOR),
    (
        "POST",
        "/inbound/alerts",
        {"dedup_key": "m-{n}", "source": "mon", "summary": "disk full"},
        AGENT,
    ),
    ("GET", "/organisations", None, ADMIN),
    ("POST", "/organisations", {"name": "Org {n}"}, ADMIN),
    ("GET", "/users", None, ADMIN),
    ("POST", "/users", {"email": "u{n}@x.test", "name": "U", "role": "agent"}, ADMIN),
    ("GET", "/users/me", None, ALL),
    ("PATCH", "/users/{u}", {"name": "Agent Two"}, ADMIN),
    ("GET", "/groups", None, AGENT),
    ("POST", "/groups", {"name": "G {n}"}, ADMIN),
    ("PUT", "/groups/{g}/members", ["{u}"], ADMIN),
    ("GET", "/routing/rules", None, AGENT),
    (
        "POST",
        "/routing/rules",
        {
            "position": 99,
            "name": "r",
            "conditions": {"channel": ["fax"]},
            "group_id": "{g}",
        },
        ADMIN,
    ),
    ("DELETE", "/routing/rules/{r}", None, ADMIN),
    ("PUT", "/routing/config", "strategy: least_loaded\n", ADMIN),
    ("GET", "/config/routing", None, ADMIN),
    ("PUT", "/config/routing", "strategy: least_loaded\n", ADMIN),
    ("GET", "/config/routing/versions", None, ADMIN),
    ("GET", "/config/routing/versions/{v}", None, ADMIN),
    ("POST", "/config/routing/validate", "strategy: least_loaded\n", ADMIN),
    ("GET", "/tokens", None, ALL),
    ("POST", "/tokens", {"scopes": ["tickets:read"]}, ALL),
    ("DELETE", "/tokens/{k}", None, ALL),
    ("GET", "/webhooks", None, ADMIN),
    ("POST", "/webhooks", {"url": "http://127.0.0.1:9/hook"}, ADMIN),
    ("DELETE", "/webhooks/{w}", None, ADMIN),
    ("GET", "/webhooks/{w}/deliveries", None, ADMIN),
]
#: Routes without a role rule: health, login/logout, the survey link (no login).
OPEN = {
    ("GET", "/health"),
    ("POST", "/auth/login"),
    ("POST", "/auth/logout"),
    ("GET", "/surveys/{token}"),
    ("POST", "/surveys/{token}"),
}
TEMPLATES = {
    "/tickets/{t}": "/tickets/{ref}",
    "/users/{u}": "/users/{user_id}",
    "/groups/{g}/members": "/groups/{group_id}/members",
    "/routing/rules/{r}": "/routing/rules/{rule_id}",
    "/tokens/{k}": "/tokens/{token_id}",
    "/webhooks/{w}": "/webhooks/{webhook_id}",
    "/config/routing": "/config/{kind}",
    "/versions/{v}": "/versions/{version_id}",
}


def _route_of(path: str) -> str:
    for short, full in TEMPLATES.items():
        path = path.replace(short, full)
    return path


def test_matrix_covers_every_route(world) -> None:
    routes = {
        (m.upper(), p)
        for p, ops in world.client.app.openapi()["paths"].items()
        for m in ops
    }
    listed = {(m, _route_of(p)) for m, p, _, _ in MATRIX}
    assert routes - OPEN == listed


def _fill(world, value: object, refs: dict[str, object]) -> object:
    if isinstance(value, str):
        out = value.replace("{n}", str(next(_n)))
        for k, v in refs.items():
            if out == "{" + k + "}":
                return v
            out = out.replace("{" + k + "}", str(v))
        return out
    if isinstance(value, list):
        return [_fill(world, v, refs) for v in value]
    if isinstance(value, dict):
        return {k: _fill(world, v, refs) for k, v in value.items()}
    return value


_REFS: dict[tuple[int, str], dict[str, object]] = {}


def _refs(world, role: str) -> dict[str, object]:
    """Objects to call the endpoints on, made once per role (each DELETE hits its own)."""
    key = (id(world), role)
    if key not in _REFS:
        _REFS[key] = _make_refs(world, role)
    return _REFS[key]


def _make_refs(world, role: str) -> dict[str, object]:
    t = world.call(
        "customer", "POST", "/tickets", json={"subject": f"acme {next(_n)}"}
    ).json()
    r = world.call(
        "admin",
        "POST",
        "/routing/rules",
        json={
            "position": 500,
            "name": "tmp",
            "conditions": {"channel": ["fax"]},
            "group_id": world.groups["Support"],
        },
    ).json()
    w = world.call(
        "admin",
        "POST",
        "/webhooks",
        json={"url": "http://127.0.0.1:9/x", "event_types": ["nothing"]},
    ).json()
    k = world.call(role, "POST", "/tokens", json={"scopes": ["tickets:read"]}).json()
    v = world.call(
        "admin",
        "PUT",
        "/config/routing",
        content="strategy: least_loaded\n",
        headers={"Content-Type": "text/plain"},
    ).json()
    return {
        "t": t["number"],
        "u": world.ids["agent2"],
        "g": world.groups["Support"],
        "r": r["id"],
        "w": w["id"],
        "k": k["id"],
        "v": v["id"],
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body", "allowed"),
    MATRIX,
    ids=[f"{m} {p}" for m, p, _, _ in MATRIX],
)
def test_role_access(world, role, method, path, body, allowed) -> None:
    refs = _refs(world, role)
    url = _fill(world, path, refs)
    kw: dict[str, Any] = {}
    if isinstance(body, str):
        kw = {"content": body, "headers": {"Content-Type": "text/plain"}}
    elif body is not None:
        kw = {"json": _fill(world, body, refs)}
    r = world.call(role, method, url, **kw)
    if role in allowed:
        assert r.status_code in (200, 201, 204, 409), (
            role,
            method,
            url,
            r.status_code,
            r.text,
        )
    else:
        assert r.status_code == 403, (role, method, url, r.status_code, r.text)
        assert r.json()["type"] == "PermissionDeniedError"


TICKET_ROUTES = [
    (m, p, b) for m, p, b, allowed in MATRIX if "{t}" in p and "customer" in allowed
]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    TICKET_ROUTES,
    ids=[f"{m} {p}" for m, p, _ in TICKET_ROUTES],
)
def test_customers_do_not_reach_other_organisations(world, method, path, body) -> None:
    refs = _make_refs(world, "customer")
    url = _fill(world, path, refs)
    kw = {} if body is None else {"json": _fill(world, body, refs)}
    r = world.call("customer_globex", method, url, **kw)
    assert r.status_code == 404, r.text  # not even its existence shows
    r = world.call("customer_acme2", method, url, **kw)  # same organisation
    assert r.status_code in (200, 201), r.text


def test_lists_are_scoped_to_the_organisation(world) -> None:
    mine = world.call(
        "customer_globex", "POST", "/tickets", json={"subject": "globex only"}
    ).json()
    world.call("customer", "POST", "/tickets", json={"subject": "acme only"})
    seen_globex = world.call(
        "customer_globex", "GET", "/tickets", params={"limit": 500}
    ).json()
    assert {t["organisation_id"] for t in seen_globex} == {world.orgs["Globex"]}
    assert mine["id"] in {t["id"] for t in seen_globex}
    seen_acme = world.call(
        "customer_acme2", "GET", "/tickets", params={"limit": 500}
    ).json()
    assert {t["organisation_id"] for t in seen_acme} == {world.orgs["Acme"]}
    # filtering by another organisation gives nothing, not their tickets
    r = world.call(
        "customer_acme2",
        "GET",
        "/tickets",
        params={"organisation_id": world.orgs["Globex"]},
    )
    assert r.json() == []
    staff = world.call("agent", "GET", "/tickets", params={"limit": 500}).json()
    assert {world.orgs["Acme"], world.orgs["Globex"]} <= {
        t["organisation_id"] for t in staff
    }


def test_internal_notes_are_hidden_from_customers(world) -> None:
    t = world.call("customer", "POST", "/tickets", json={"subject": "notes"}).json()[
        "number"
    ]
    assert (
        world.call(
            "agent",
            "POST",
            f"/tickets/{t}/comments",
            json={"body": "secret", "public": False},
        ).status_code
        == 201
    )
    assert (
        world.call(
            "agent", "POST", f"/tickets/{t}/comments", json={"body": "hi"}
        ).status_code
        == 201
    )
    r = world.call(
        "customer",
        "POST",
        f"/tickets/{t}/comments",
        json={"body": "x", "public": False},
    )
    assert r.status_code == 403
    assert [
        c["body"]
        for c in world.call("customer", "GET", f"/tickets/{t}/comments").json()
    ] == ["hi"]
    assert [
        c["body"] for c in world.call("agent", "GET", f"/tickets/{t}/comments").json()
    ] == ["secret", "hi"]


def test_token_scopes_limit_what_a_token_does(world) -> None:
    tok = world.call(
        "agent", "POST", "/tokens", json={"scopes": ["tickets:read"]}
    ).json()["token"]
    h = {"Authorization": f"Bearer {tok}"}
    assert world.client.get("/tickets", headers=h).status_code == 200
    r = world.client.post("/tickets", headers=h, json={"subject": "no"})
    assert r.status_code == 403
    assert "tickets:write" in r.json()["detail"]
    # a token cannot grant more than its maker holds, nor admin to a non-admin
    r = world.client.post("/tokens", headers=h, json={"scopes": ["tickets:write"]})
    assert r.status_code == 403
    r = world.call("agent", "POST", "/tokens", json={"scopes": ["admin"]})
    assert r.status_code == 403


def test_revoked_and_expired_tokens(world) -> None:
    made = world.call(
        "agent",
        "POST",
        "/tokens",
        json={"scopes": ["tickets:read"], "expires_in_days": 1},
    ).json()
    h = {"Authorization": f"Bearer {made['token']}"}
    assert world.client.get("/tickets", headers=h).status_code == 200
    world.clock.advance(days=1, seconds=1)
    try:
        r = world.client.get("/tickets", headers=h)
        assert r.status_code == 401
        assert "expired" in r.json()["detail"]
    finally:
        world.clock.advance(days=-1, seconds=-1)
    assert world.call("agent", "DELETE", f"/tokens/{made['id']}").status_code == 204
    r = world.client.get("/tickets", headers=h)
    assert r.status_code == 401
    assert "revoked" in r.json()["detail"]
    # someone else's token is invisible
    assert world.call("agent2", "DELETE", f"/tokens/{made['id']}").status_code == 404


def test_stored_token_is_only_a_hash(world) -> None:
    import hashlib

    from sqlalchemy import select

    from servops.service.db import make_engine, make_sessionmaker
    from servops.service.models import ApiToken

    made = world.call(
        "agent", "POST", "/tokens", json={"scopes": ["tickets:read"]}
    ).json()
    secret = made["token"].split("_", 2)[2]
    engine = make_engine(world.url)
    try:
        with make_sessionmaker(engine)() as s:
            row = s.scalars(select(ApiToken).where(ApiToken.id == made["id"])).one()
    finally:
        engine.dispose()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in row.token_hash


def test_browser_session_needs_csrf_on_writes(world) -> None:
    from tests.unit.api.conftest import client_class

    with client_class()(world.client.app) as browser:
        r = browser.post(
            "/auth/login", json={"email": "agent@example.test", "password": "wrong"}
        )
        assert r.status_code == 401
        r = browser.post(
            "/auth/login",
            json={"email": "agent@example.test", "password": "pw-agent-123"},
        )
        assert r.status_code == 200, r.text
        csrf = r.json()["csrf_token"]
        assert browser.cookies.get("servops_csrf") == csrf
        assert browser.get("/tickets").status_code == 200  # reads need no CSRF header
        r = browser.post("/tickets", json={"subject": "from the browser"})
        assert r.status_code == 403
        assert "CSRF" in r.json()["detail"]
        r = browser.post(
            "/tickets",
            json={"subject": "from the browser"},
            headers={"X-CSRF-Token": "0" * 64},
        )
        assert r.status_code == 403
        r = browser.post(
            "/tickets",
            json={"subject": "from the browser"},
            headers={"X-CSRF-Token": csrf},
        )
        assert r.status_code == 201, r.text
        assert (
            browser.post("/auth/logout", headers={"X-CSRF-Token": csrf}).status_code
            == 204
        )
        browser.cookies.clear()
        assert browser.get("/tickets").status_code == 401
