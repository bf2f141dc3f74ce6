"""Many browsers on the live feed: N concurrent ``GET /app/events`` streams (issue 18).

Starts a real ``servops serve`` (its own embedded PostgreSQL, the demo SLA config),
adds an agent and customers of ``--orgs`` organisations, then opens ``--streams``
Server-Sent Events streams with an asyncio client (a quarter as customers spread over
the organisations, the rest as the agent) and measures, for the server process and its
database:

* **idle**: ``--idle`` seconds with every stream open and nothing happening;
* **writes**: ``--seconds`` seconds while the customers create tickets (``--rate`` per
  second in all, through the API with their sessions).

Per phase: database transactions per second (``pg_stat_database``: ``xact_commit +
xact_rollback`` of the service database — each poll of the feed is one read
transaction), CPU seconds per second of the server process and of PostgreSQL
(psutil, children included) and, in the writes phase, the delivery latency of each
ticket's creation event to every stream that may see it (p50/p99 from the create
request's start), plus the count of events a customer stream got from another
organisation (must be 0) and of expected deliveries that never came.

    python -m benchmarks.bench_sse [--streams 200] [--seconds 20] [--rate 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.bench_service_load import (
    _free_port,
    cpu_by_pid,
    cpu_used,
    start_server,
    wait_ready,
)

PASSWORD = "pw-bench-sse-123"


def add_users(url: str, orgs: int) -> None:
    """One agent and one customer per organisation (``c<k>@bench.test``)."""
    from sqlalchemy import text

    from servops.service import access
    from servops.service.db import make_engine

    engine = make_engine(url, app_role=False)
    pw = access.hash_password(PASSWORD)
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO users (email, name, role, password_hash, active, skills) "
                "VALUES ('agent@bench.test', 'Agent', 'agent', :pw, true, '{}')"
            ),
            {"pw": pw},
        )
        for k in range(orgs):
            org = c.execute(
                text("INSERT INTO organisations (name) VALUES (:n) RETURNING id"),
                {"n": f"Org {k}"},
            ).scalar_one()
            c.execute(
                text(
                    "INSERT INTO users (email, name, role, organisation_id, "
                    "password_hash, active, skills) VALUES (:e, :n, 'customer', :o, "
                    ":pw, true, '{}')"
                ),
                {"e": f"c{k}@bench.test", "n": f"Customer {k}", "o": org, "pw": pw},
            )
    engine.dispose()


def xacts(url: str) -> int:
    """Committed + rolled-back transactions of the service database so far."""
    from sqlalchemy import text

    from servops.service.db import make_engine

    engine = make_engine(url, app_role=False)
    with engine.connect() as c:
        n = c.execute(
            text(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database "
                "WHERE datname = current_database()"
            )
        ).scalar_one()
    engine.dispose()
    return int(n)


def last_id(url: str) -> int:
    """The newest event id (the streams start after it, as a fresh page does)."""
    from sqlalchemy import text

    from servops.service.db import make_engine

    engine = make_engine(url, app_role=False)
    with engine.connect() as c:
        n = c.execute(text("SELECT coalesce(max(id), 0) FROM events")).scalar_one()
    engine.dispose()
    return int(n)


async def session_cookies(base: str, email: str) -> httpx.Cookies:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        r = await client.post("/app/login", data={"email": email, "password": PASSWORD})
        assert r.status_code == 303, r.text
        return client.cookies


@dataclass
class Tally:
    created: dict[str, tuple[float, str]] = field(default_factory=dict)  # no -> t, who
    got: dict[tuple[int, str], float] = field(default_factory=dict)  # (stream, no)
    foreign: int = 0  # events a customer stream got from another organisation
    opened: int = 0
    create_s: list[float] = field(default_factory=list)


async def stream(
    i: int,
    client: httpx.AsyncClient,
    who: str,
    tally: Tally,
    stop: asyncio.Event,
    after: int,
) -> None:
    """Read ``/app/events`` until ``stop``; record when each ticket's first event came."""
    async with client.stream("GET", f"/app/events?after={after}") as r:
        assert r.status_code == 200, r.status_code
        tally.opened += 1
        data = None
        async for line in r.aiter_lines():
            if stop.is_set():
                break
            if line.startswith("data: "):
                data = json.loads(line[6:])
            elif line == "" and data is not None:
                no = data["ticket"]
                if (i, no) not in tally.got:
                    tally.got[(i, no)] = time.perf_counter()
                    origin = tally.created.get(no)
                    if who != "agent" and origin is not None and origin[1] != who:
                        tally.foreign += 1
                data = None


async def writer(
    clients: dict[str, httpx.AsyncClient],
    customers: list[str],
    rate: float,
    seconds: float,
    tally: Tally,
) -> int:
    n = 0
    t_end = time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        who = customers[n % len(customers)]
        c = clients[who]
        t = time.perf_counter()
        r = await c.post(
            "/tickets",
            json={"subject": f"sse {n}"},
            headers={"X-CSRF-Token": c.cookies.get("servops_csrf") or ""},
        )
        assert r.status_code == 201, r.text
        tally.created[r.json()["number"]] = (t, who)
        tally.create_s.append(time.perf_counter() - t)
        n += 1
        await asyncio.sleep(max(0.0, 1 / rate - (time.perf_counter() - t)))
    return n


def own_cpu(pid: int) -> float:
    """CPU seconds of the process itself (not its children: PostgreSQL is counted apart)."""
    import psutil

    c = psutil.Process(pid).cpu_times()
    return float(c.user + c.system)


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


async def run(
    args: argparse.Namespace, base: str, url: str, pids: list[int]
) -> dict[str, Any]:
    customers = [f"c{k}@bench.test" for k in range(args.orgs)]
    cookies = {"agent": await session_cookies(base, "agent@bench.test")}
    for who in customers:
        cookies[who] = await session_cookies(base, who)
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    timeout = httpx.Timeout(60, read=None)
    clients = {
        who: httpx.AsyncClient(base_url=base, cookies=c, limits=limits, timeout=timeout)
        for who, c in cookies.items()
    }
    n_customer = args.streams // 4
    who_of = [
        customers[i % len(customers)] if i < n_customer else "agent"
        for i in range(args.streams)
    ]
    out: dict[str, Any] = {"streams": args.streams, "customer_streams": n_customer}

    def reading() -> tuple[int, float, float]:
        return xacts(url), own_cpu(pids[0]), time.perf_counter()

    def rates(
        a: Any, b: Any, pg_a: dict[int, float], pg_b: dict[int, float]
    ) -> dict[str, float]:
        span = b[2] - a[2]
        return {
            "seconds": round(span, 1),
            "db_xacts_per_s": round((b[0] - a[0]) / span, 1),
            "server_cpu_s_per_s": round((b[1] - a[1]) / span, 3),
            "postgres_cpu_s_per_s": round(cpu_used(pg_a, pg_b) / span, 3),
        }

    a, pg_a = reading(), cpu_by_pid(pids[1:])
    await asyncio.sleep(args.idle)
    b, pg_b = reading(), cpu_by_pid(pids[1:])
    out["no_streams"] = rates(a, b, pg_a, pg_b)

    tally = Tally()
    stop = asyncio.Event()
    start = last_id(url)
    tasks = [
        asyncio.create_task(stream(i, clients[w], w, tally, stop, start))
        for i, w in enumerate(who_of)
    ]
    t0 = time.perf_counter()
    while tally.opened < args.streams and time.perf_counter() - t0 < 120:
        await asyncio.sleep(0.2)
    out["streams_opened"] = tally.opened
    out["open_all_s"] = round(time.perf_counter() - t0, 1)
    # PostgreSQL's backends flush their counters up to 10 s late: the logins of the
    # opening must not land in the idle window
    await asyncio.sleep(12)
    a, pg_a = reading(), cpu_by_pid(pids[1:])
    await asyncio.sleep(args.idle)
    b, pg_b = reading(), cpu_by_pid(pids[1:])
    out["idle"] = rates(a, b, pg_a, pg_b)

    a, pg_a = reading(), cpu_by_pid(pids[1:])
    n = await writer(clients, customers, args.rate, args.seconds, tally)
    b, pg_b = reading(), cpu_by_pid(pids[1:])
    out["writes"] = {**rates(a, b, pg_a, pg_b), "tickets_created": n}
    await asyncio.sleep(5)  # the last deliveries
    stop.set()
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await task
    for c in clients.values():
        await c.aclose()

    lat: list[float] = []
    missing = 0
    for no, (t, owner) in tally.created.items():
        for i, w in enumerate(who_of):
            if w not in ("agent", owner):
                continue
            got = tally.got.get((i, no))
            if got is None:
                missing += 1
            else:
                lat.append(got - t)
    out["delivery"] = {
        "deliveries": len(lat),
        "missing": missing,
        "foreign_events_to_customers": tally.foreign,
        "create_p50_s": round(statistics.median(tally.create_s), 3),
        "p50_s": None if not lat else round(statistics.median(lat), 3),
        "p99_s": None if not lat else round(pct(lat, 0.99) or 0.0, 3),
        "max_s": None if not lat else round(max(lat), 3),
    }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--streams", type=int, default=200)
    ap.add_argument("--orgs", type=int, default=10)
    ap.add_argument("--idle", type=float, default=10.0)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument(
        "--rate", type=float, default=5.0, help="tickets created per second"
    )
    args = ap.parse_args()

    from servops.service import embedded

    tmp = Path(tempfile.mkdtemp(prefix="servops-bench-sse-"))
    tmp.chmod(0o755)
    data_dir = tmp / "service"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(data_dir, port, tmp / "server.log")
    try:
        try:
            wait_ready(base, timeout=300)
        except RuntimeError:
            print((tmp / "server.log").read_text()[-3000:])
            raise
        pg = embedded.running(data_dir)
        assert pg is not None
        url = pg.url()
        add_users(url, args.orgs)
        load0 = os.getloadavg()
        out = asyncio.run(run(args, base, url, [proc.pid, pg.pid]))
        out["load_average_before_after"] = [
            round(load0[0], 1),
            round(os.getloadavg()[0], 1),
        ]
        print(json.dumps(out, indent=1))
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except Exception:
                proc.kill()
        embedded.stop(data_dir)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
