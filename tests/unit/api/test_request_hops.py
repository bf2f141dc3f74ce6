"""One worker-thread hop per write: what does no I/O stays on the event loop (issue 17).

FastAPI runs every plain ``def`` dependency in a worker thread (a generator dependency
twice: enter and exit) and validates a plain endpoint's response in one more; under load
those hops were a large share of the server's CPU per write. These tests count the hops
(calls of ``anyio.to_thread.run_sync``) of single requests, and check that every request
gives its database connection back to the pool, on success and on error.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import anyio.to_thread
import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from servops.service.access import TokenCache
    from tests.unit.api.conftest import World


@contextmanager
def frozen_cache(world: World) -> Iterator[TokenCache]:
    """The app's token cache with its clock stopped (entries stay fresh), emptied."""
    cache: TokenCache = world.client.app.state.token_cache  # type: ignore[attr-defined]
    saved = cache.clock
    cache.clock = lambda: 1000.0
    cache.clear()
    try:
        yield cache
    finally:
        cache.clock = saved
        cache.clear()


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the callables sent to a worker thread, as they are sent."""
    seen: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counting(func: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(func, "__name__", type(func).__name__))
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    return seen


def checked_out(world: World) -> int:
    return int(world.client.app.state.engine.pool.checkedout())  # type: ignore[attr-defined]


def _burst(
    world: World,
    requests: Sequence[tuple[str, str, dict[str, Any] | None]],
    headers: dict[str, str],
) -> list[int]:
    """The status codes of ``requests`` (method, path, JSON body) sent all at once."""
    import asyncio

    import httpx

    app = world.client.app

    async def send() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver"
        ) as client:
            rs = await asyncio.gather(
                *(
                    client.request(method, path, json=body, headers=headers)
                    for method, path, body in requests
                )
            )
        return [r.status_code for r in rs]

    portal = world.client.portal
    assert portal is not None  # the client is open (the world fixture's with block)
    return portal.call(send)


def test_writes_with_a_cached_token_take_one_hop(world: World, hops: list[str]) -> None:
    with frozen_cache(world):
        assert world.call("agent", "GET", "/tickets/0").status_code == 404  # caches
        hops.clear()
        r = world.call("agent", "POST", "/tickets", json={"subject": "one hop"})
        assert r.status_code == 201, r.text
        assert hops == ["partial"]  # the endpoint (run_in_threadpool's partial)
        number = r.json()["number"]
        hops.clear()
        r = world.call(
            "agent",
            "PATCH",
            f"/tickets/{number}",
            json={"priority": "high", "version": r.json()["version"]},
        )
        assert r.status_code == 200, r.text
        assert r.json()["priority"] == "high"
        assert hops == ["partial"]
    assert checked_out(world) == 0


def test_a_token_not_in_the_cache_is_checked_in_a_worker_thread(
    world: World, hops: list[str]
) -> None:
    with frozen_cache(world) as cache:
        r = world.call("agent", "POST", "/tickets", json={"subject": "cache miss"})
        assert r.status_code == 201, r.text
        assert len(hops) == 2  # the token's database check, then the endpoint
        hops.clear()
        r = world.call("agent", "POST", "/tickets", json={"subject": "cache hit"})
        assert r.status_code == 201, r.text
        assert len(hops) == 1  # now the cache answers on the event loop
        cache.clear()
        hops.clear()
        assert world.call("agent", "GET", "/tickets/0").status_code == 404
        assert len(hops) == 2  # the token, then the endpoint (and the read's rollback)
    assert checked_out(world) == 0


def test_reads_and_errors_give_the_connection_back(
    world: World, hops: list[str]
) -> None:
    with frozen_cache(world):
        r = world.call("customer", "POST", "/tickets", json={"subject": "to read"})
        assert r.status_code == 201, r.text
        number = r.json()["number"]
        hops.clear()
        r = world.call("customer", "GET", f"/tickets/{number}")
        assert r.status_code == 200, r.text
        # a read leaves its transaction open: the endpoint's thread rolls it back
        assert hops == ["partial"]
        assert checked_out(world) == 0
        # a plain def endpoint: the session dependency closes the read off the loop
        hops.clear()
        r = world.call("customer", "GET", "/users/me")
        assert r.status_code == 200, r.text
        assert hops[-1] == "close"
        assert checked_out(world) == 0
        # refused after a read (a customer may not PATCH): 403, connection returned
        r = world.call("customer", "PATCH", f"/tickets/{number}", json={"version": 1})
        assert r.status_code == 403
        assert checked_out(world) == 0
        # a stale version: the update is refused and rolled back
        r = world.call(
            "agent",
            "PATCH",
            f"/tickets/{number}",
            json={"priority": "low", "version": 99},
        )
        assert r.status_code == 409
        assert checked_out(world) == 0
        assert world.call("agent", "GET", f"/tickets/{number}").json()["priority"] != (
            "low"
        )
        # a malformed token is refused (and says so); another scheme before any thread
        r = world.client.get("/tickets", headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401
        assert "malformed" in r.json()["detail"]
        hops.clear()
        r = world.client.get("/tickets", headers={"Authorization": "Basic x"})
        assert r.status_code == 401
        assert hops == []
    assert checked_out(world) == 0


def test_concurrent_requests_share_one_check_of_a_token(world: World) -> None:
    from tests.unit.api.test_token_cache import token_queries

    app = world.client.app
    n = 8

    def burst(headers: dict[str, str]) -> list[int]:
        return _burst(world, [("GET", "/tickets?limit=1", None)] * n, headers)

    with frozen_cache(world) as cache, token_queries(world) as queries:
        assert burst(world.h("agent")) == [200] * n
        assert len(queries) == 1  # the first request's check; the others waited for it
        assert app.state.token_checks == {}  # type: ignore[attr-defined]
        # a refusal is shared too: each request gets the 401
        cache.clear()
        queries.clear()
        bad = {"Authorization": world.h("agent")["Authorization"] + "x"}
        assert burst(bad) == [401] * n
        assert len(queries) == 1
    assert checked_out(world) == 0


def test_a_burst_of_writes_opens_no_connection_beyond_the_pool(world: World) -> None:
    # More concurrent writes than the pool holds wait for a pooled connection: no
    # connection is opened for a request and closed after it (overflow connections
    # did that under load, and connecting cost more CPU than the write itself).

    from sqlalchemy import event

    app = world.client.app
    engine = app.state.engine  # type: ignore[attr-defined]
    size = app.state.settings.pool_size  # type: ignore[attr-defined]
    opened: list[object] = []

    def connected(*_: object) -> None:
        opened.append(None)

    writes = [("POST", "/tickets", {"subject": f"burst {i}"}) for i in range(4 * size)]

    before = engine.pool.checkedin()
    event.listen(engine, "connect", connected)
    try:
        with frozen_cache(world):
            for _ in range(3):
                assert _burst(world, writes, world.h("agent")) == [201] * (4 * size)
    finally:
        event.remove(engine, "connect", connected)
    assert before + len(opened) <= size, (before, len(opened), size)
    assert engine.pool.checkedin() <= size
    assert checked_out(world) == 0
