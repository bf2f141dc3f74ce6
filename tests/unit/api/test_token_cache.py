"""The API token cache: hits skip the database; revocation, user changes and expiry hold.

:class:`servops.service.access.TokenCache` keeps a checked token's principal for at most
``ttl`` seconds. These tests drive the app's cache with a settable clock, so they show
both sides: within the ttl the database is not asked (counted statements), and a change
the process did not make itself (direct SQL, as another worker process would) is seen
once the ttl is over; a revocation or user change through the API is refused at once.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from servops.errors import AuthenticationError
from servops.service.access import Principal, TokenCache

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.unit.api.conftest import World


class Tick:
    """A settable monotonic clock for the cache."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@contextmanager
def cache_clock(world: World) -> Iterator[Tick]:
    """The app's token cache on a settable clock (emptied before and after)."""
    cache: TokenCache = world.client.app.state.token_cache  # type: ignore[attr-defined]
    saved = cache.clock
    tick = Tick()
    cache.clock = tick
    cache.clear()
    try:
        yield tick
    finally:
        cache.clock = saved
        cache.clear()


@contextmanager
def token_queries(world: World) -> Iterator[list[str]]:
    """The SQL statements that read api_tokens (SELECT), while the block runs."""
    from sqlalchemy import event

    engine = world.client.app.state.engine  # type: ignore[attr-defined]
    seen: list[str] = []

    def count(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if statement.startswith("SELECT") and "api_tokens" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _sql(world: World, statement: str, **params: object) -> None:
    from tests.pg import connect

    con = connect(world.url)
    try:
        con.run(statement, **params)
    finally:
        con.close()


def _new_token(world: World, who: str = "agent", days: int = 30) -> dict[str, Any]:
    r = world.call(
        who,
        "POST",
        "/tokens",
        json={"scopes": ["tickets:read"], "expires_in_days": days},
    )
    assert r.status_code == 201, r.text
    made: dict[str, Any] = r.json()
    return made


def test_cache_unit_ttl_expiry_and_clear() -> None:
    tick = Tick()
    c = TokenCache(ttl=1.0, clock=tick)
    p = Principal(3, "agent", None, frozenset({"tickets:read"}), "token")
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    c.put("d", p, token_id=9, expires_at=at + timedelta(hours=1))
    tick.t += 0.99
    assert c.get("d", at) is p
    with pytest.raises(AuthenticationError, match="API token 9 expired"):
        c.get("d", at + timedelta(hours=1))  # expiry is checked at every use
    tick.t += 0.01
    assert c.get("d", at) is None  # 1 s after the read: ask the database again
    c.put("d", p, token_id=9, expires_at=None)
    c.clear()
    assert c.get("d", at) is None
    off = TokenCache(ttl=0)
    off.put("d", p, token_id=9, expires_at=None)
    assert off.get("d", at) is None


def test_a_cached_token_skips_the_database(world: World) -> None:
    made = _new_token(world)
    h = {"Authorization": f"Bearer {made['token']}"}
    with cache_clock(world) as tick, token_queries(world) as seen:
        assert world.client.get("/tickets", headers=h).status_code == 200
        assert len(seen) == 1  # the first request reads the token
        tick.t += 0.5
        assert world.client.get("/tickets", headers=h).status_code == 200
        assert len(seen) == 1  # within the ttl: from the cache
        tick.t += 0.6
        assert world.client.get("/tickets", headers=h).status_code == 200
        assert len(seen) == 2  # after it: read again


def test_revocation_through_the_api_is_refused_at_once(world: World) -> None:
    made = _new_token(world)
    h = {"Authorization": f"Bearer {made['token']}"}
    with cache_clock(world):
        assert world.client.get("/tickets", headers=h).status_code == 200
        assert world.call("agent", "DELETE", f"/tokens/{made['id']}").status_code == 204
        r = world.client.get("/tickets", headers=h)  # same cache clock: no ttl passed
        assert r.status_code == 401
        assert "revoked" in r.json()["detail"]


def test_a_user_deactivated_through_the_api_is_refused_at_once(world: World) -> None:
    from servops.service import access

    uid = world.call(
        "admin",
        "POST",
        "/users",
        json={"email": "cache-user@example.test", "name": "Cache", "role": "agent"},
    ).json()["id"]
    made = world.call(
        "admin",
        "POST",
        "/tokens",
        json={"user_id": uid, "scopes": ["tickets:read"], "expires_in_days": 1},
    ).json()
    h = {"Authorization": f"Bearer {made['token']}"}
    assert made["token"].startswith(access.TOKEN_PREFIX)
    with cache_clock(world):
        assert world.client.get("/tickets", headers=h).status_code == 200
        r = world.call("admin", "PATCH", f"/users/{uid}", json={"active": False})
        assert r.status_code == 200, r.text
        r = world.client.get("/tickets", headers=h)
        assert r.status_code == 401
        assert "inactive" in r.json()["detail"]


def test_revocation_elsewhere_is_seen_within_the_ttl(world: World) -> None:
    made = _new_token(world)
    h = {"Authorization": f"Bearer {made['token']}"}
    with cache_clock(world) as tick:
        assert world.client.get("/tickets", headers=h).status_code == 200
        # another process (or direct SQL) revokes it: this process's cache still holds it
        _sql(
            world,
            "UPDATE api_tokens SET revoked_at = now() WHERE id = :i",
            i=made["id"],
        )
        tick.t += 0.9
        assert world.client.get("/tickets", headers=h).status_code == 200
        tick.t += 0.1  # the ttl (1 s) is over: read afresh, refused
        r = world.client.get("/tickets", headers=h)
        assert r.status_code == 401
        assert "revoked" in r.json()["detail"]


def test_expiry_is_checked_on_a_cached_token(world: World) -> None:
    made = _new_token(world, days=1)
    h = {"Authorization": f"Bearer {made['token']}"}
    with cache_clock(world):
        assert world.client.get("/tickets", headers=h).status_code == 200
        world.clock.advance(days=1, seconds=1)
        try:
            r = world.client.get("/tickets", headers=h)  # still in the cache
            assert r.status_code == 401
            assert "expired" in r.json()["detail"]
        finally:
            world.clock.advance(days=-1, seconds=-1)
