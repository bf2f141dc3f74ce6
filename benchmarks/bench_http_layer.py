"""CPU of the API's HTTP plumbing per write, without the database (issue 17).

    python -m benchmarks.bench_http_layer [--requests 6000] [--clients 100] [--repeat 5]

Drives the real application (``create_app``: every router, the error handlers, FastAPI's
middleware stack, the dependencies ``Db``/``Caller``/``Settings``, ``in_thread``'s
worker-thread hop, request body validation, response serialisation) through its ASGI
interface from ``--clients`` concurrent tasks on uvloop, half ``POST /tickets`` and half
``PATCH /tickets/{ref}``, with the domain operations replaced by stand-ins that touch no
database (the request's session never connects). The token is in the token cache, as it
is for most requests under load.

Reports process CPU (all threads, ``time.process_time``) per request, minus the CPU of the
same driver calling an ASGI app that answers at once: what is left is the app's share
(not uvicorn's: no sockets, no HTTP parsing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

NOW = datetime(2026, 12, 7, tzinfo=UTC)
TOKEN = "so_1_benchmarksecret"


def _ticket(**changes: object) -> SimpleNamespace:
    fields: dict[str, object] = {
        "id": 1,
        "number": "T-000001",
        "subject": "bench",
        "text": "",
        "channel": "web",
        "priority": "P3",
        "category": None,
        "customer_id": None,
        "organisation_id": None,
        "group_id": None,
        "assignee_id": None,
        "state": "new",
        "attributes": None,
        "created_at": NOW,
        "updated_at": NOW,
        "version": 1,
    }
    fields.update(changes)
    return SimpleNamespace(**fields)


def make_app() -> FastAPI:
    """The real app, its domain operations stubbed, its state set as the lifespan would."""
    from servops.api import ServiceSettings, create_app
    from servops.api.deps import _token_digest
    from servops.api.routes import tickets
    from servops.service import access
    from servops.service.db import make_engine, make_sessionmaker

    url = "postgresql://bench:bench@127.0.0.1:9/bench"  # never connected
    app = create_app(ServiceSettings(database_url=url, migrate=False, now=lambda: NOW))
    app.state.engine = make_engine(url, pool_size=1, max_overflow=0)
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    app.state.triage = None
    principal = access.Principal(1, "admin", None, frozenset(access.SCOPES), "token")
    cache = app.state.token_cache
    cache.ttl = 1e9
    digest = _token_digest(TOKEN)
    assert digest is not None
    cache.put(digest, principal, token_id=1, expires_at=None)

    def create_ticket(_session: object, **kw: Any) -> SimpleNamespace:
        return _ticket(subject=kw["subject"], priority=kw["priority"])

    def update_ticket(
        _session: object, ticket: Any, changes: dict[str, Any], **_: Any
    ) -> None:
        ticket.__dict__.update(changes)

    vars(tickets).update(
        ops=SimpleNamespace(create_ticket=create_ticket, update_ticket=update_ticket),
        routing=SimpleNamespace(route_ticket=lambda *_a, **_k: None),
        live_state_machine=lambda _s: None,
        visible_ticket=lambda _s, ref, _p, **_k: _ticket(number=ref),
    )
    return app


def _scope(method: str, path: str, body: bytes) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"authorization", f"Bearer {TOKEN}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def _request(app: Any, method: str, path: str, body: bytes) -> int:
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # a disconnect never comes
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(_scope(method, path, body), receive, send)
    return status


async def _load(app: Any, requests: int, clients: int) -> dict[int, int]:
    codes: dict[int, int] = {}

    async def client(i: int) -> None:
        for n in range(i, requests, clients):
            if n % 2 == 0:
                body = b'{"subject":"load %d","priority":"P3","channel":"web"}' % n
                code = await _request(app, "POST", "/tickets", body)
            else:
                body = b'{"priority":"%s"}' % (b"P1", b"P2", b"P3", b"P4")[n % 4]
                code = await _request(app, "PATCH", f"/tickets/T-{n:06d}", body)
            codes[code] = codes.get(code, 0) + 1

    await asyncio.gather(*(client(i) for i in range(clients)))
    return codes


async def _answer_at_once(_scope: dict[str, Any], receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def cpu_per_request(
    app: Any, requests: int, clients: int
) -> tuple[float, dict[int, int]]:
    """Process CPU seconds per request, and the status codes seen."""
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_load(app, min(requests, 200), clients))  # warm-up
        t0 = time.process_time()
        codes = runner.run(_load(app, requests, clients))
        return (time.process_time() - t0) / requests, codes


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--requests", type=int, default=6000)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    import os

    app = make_app()
    app_ms, driver_ms = [], []
    for _ in range(args.repeat):
        cpu, codes = cpu_per_request(app, args.requests, args.clients)
        if set(codes) != {200, 201}:
            msg = f"unexpected answers: {codes}"
            raise RuntimeError(msg)
        app_ms.append(cpu * 1000)
        cpu, _ = cpu_per_request(_answer_at_once, args.requests, args.clients)
        driver_ms.append(cpu * 1000)
    net = [a - d for a, d in zip(app_ms, driver_ms, strict=True)]
    print(
        json.dumps(
            {
                "requests": args.requests,
                "clients": args.clients,
                "app_cpu_ms_per_request": [round(x, 3) for x in app_ms],
                "driver_cpu_ms_per_request": [round(x, 3) for x in driver_ms],
                "net_median_ms": round(statistics.median(net), 3),
                "load_average": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
