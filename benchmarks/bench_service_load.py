"""Load test of the work-order service on loopback, and a SIGKILL of the server mid-load.

    python -m benchmarks.bench_service_load [--clients 100] [--rate 200] [--seconds 20]
        [--workers 2] [--no-crash] [--timeline] [--py-spy FILE]

Starts ``servops serve`` (embedded PostgreSQL, durable, SLA timers on the demo's policies,
worker in the process; ``--workers N`` uvicorn processes) in a fresh data directory and
drives it with ``--clients`` concurrent clients on 127.0.0.1 (asyncio streams, one
keep-alive HTTP/1.1 connection each, prebuilt requests), together offering ``--rate`` writes per
second (open loop: each client sends on its own schedule, half creates, half updates of
a ticket it created, each to a priority the ticket does not have). Counts and time are
bounded. Reports requests/s and p50/p99 latency per kind.

Then the crash test: the same load again, the server SIGKILLed after ``--kill-after``
seconds, restarted, the load continued. Checks: every acknowledged create (201) is a
ticket with its events and SLA timers (no committed event lost), the audit chain
verifies (``servops.service.audit.verify``), and the SLA timers resume (a worker tick
after the restart fires the breaches that came due).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEMO_KPI = ROOT / "src" / "servops" / "demo" / "kpi.yaml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    data_dir: Path, port: int, log: Path, workers: int = 1
) -> subprocess.Popen[bytes]:
    """``servops serve`` in its own process group (stdout/stderr to ``log``).

    The embedded PostgreSQL it starts is not in that group (``pg_ctl`` detaches it), so
    killing the group kills the service and its ``--workers`` processes, not the database.
    """
    code = (
        "import sys; from servops.cli.main import main; sys.argv[0] = 'servops'; main()"
    )
    args = [
        sys.executable,
        "-c",
        code,
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--sla-config",
        str(DEMO_KPI),
        *(["--workers", str(workers)] if workers != 1 else []),
    ]
    f = log.open("ab")
    return subprocess.Popen(
        args,
        stdout=f,
        stderr=subprocess.STDOUT,
        cwd=data_dir.parent,
        start_new_session=True,
    )


def wait_ready(
    base: str,
    timeout: float = 120,
    log: Path | None = None,
    workers: int = 1,
    since: int = 0,
) -> None:
    """Until ``/health`` answers and, with ``workers`` > 1, the log says all serve.

    ``since``: the log's length before this start (a restart appends to it).
    Each worker process listens only after its start-up, so ``/health`` answers as soon
    as the first does; a load begun then would keep all its connections there.
    """
    t0 = time.time()
    line = f"all {workers} HTTP processes are serving".encode()
    while time.time() - t0 < timeout:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200 and (
                workers == 1 or log is None or line in log.read_bytes()[since:]
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    msg = f"server at {base} not ready after {timeout} s"
    raise RuntimeError(msg)


@dataclass
class Tally:
    """Latencies (s) and outcomes per kind."""

    lat: dict[str, list[float]] = field(
        default_factory=lambda: {"create": [], "update": []}
    )
    status: dict[str, int] = field(default_factory=dict)
    acked: list[str] = field(default_factory=list)  # ticket numbers of 201 creates
    errors: int = 0
    wall_s: float = 0.0  # from the first send to the last answer
    t0: float = field(default_factory=time.perf_counter)  # the load's start
    sent: dict[str, list[float]] = field(
        default_factory=lambda: {"create": [], "update": []}
    )  # each request's send time, seconds after t0

    def add(
        self, kind: str, seconds: float, code: int | str, sent: float | None = None
    ) -> None:
        self.lat[kind].append(seconds)
        self.sent[kind].append((sent if sent is not None else 0.0) - self.t0)
        key = f"{kind} {code}"
        self.status[key] = self.status.get(key, 0) + 1


class Conn:
    """One keep-alive HTTP/1.1 connection on asyncio streams (cheap for the load host).

    Requests are prebuilt bytes; the answer's status line, ``Content-Length`` and body are
    read, nothing else parsed. The connection is opened again after an error.
    """

    def __init__(self, host: str, port: int, auth: str) -> None:
        self.host, self.port = host, port
        self.head = (
            f"Host: {host}:{port}\r\nAuthorization: Bearer {auth}\r\n"
            "Content-Type: application/json\r\n"
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def request_bytes(self, method: str, path: str, body: bytes) -> bytes:
        return (
            f"{method} {path} HTTP/1.1\r\n".encode()
            + self.head
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port
            )
        assert self.reader is not None
        try:
            self.writer.write(raw)
            status_line = await self.reader.readuntil(b"\r\n")
            head = await self.reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            body = await self.reader.readexactly(length) if length else b""
            return int(status_line.split(b" ", 2)[1]), body
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


#: The priorities an update moves a ticket between.
PRIORITIES = (b"P1", b"P2", b"P3", b"P4")

#: What a failed request counts as: the connection broke, was refused or timed out.
NET_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError)


async def client(
    i: int,
    base: str,
    token: str,
    *,
    interval: float,
    until: float,
    tally: Tally,
    rng: np.random.Generator,
) -> None:
    host, _, port = base.removeprefix("http://").partition(":")
    conn = Conn(host, int(port), token)
    mine: list[str] = []
    priority: dict[str, int] = {}  # each ticket's priority (index into PRIORITIES)
    next_t = time.perf_counter() + rng.uniform(0, interval)
    n = 0
    try:
        while next_t < until:
            await asyncio.sleep(max(0.0, next_t - time.perf_counter()))
            next_t += interval
            kind = "create" if not mine or n % 2 == 0 else "update"
            n += 1
            if kind == "create":
                raw = conn.request_bytes(
                    "POST",
                    "/tickets",
                    b'{"subject":"load %d-%d","priority":"P3","channel":"web"}'
                    % (i, n),
                )
            else:
                # always a change (a PATCH to the priority a ticket has writes nothing)
                ref = mine[int(rng.integers(len(mine)))]
                new = (priority[ref] + 1 + n % 3) % len(PRIORITIES)
                raw = conn.request_bytes(
                    "PATCH",
                    f"/tickets/{ref}",
                    b'{"priority":"%s"}' % PRIORITIES[new],
                )
            t = time.perf_counter()
            try:
                code, body = await asyncio.wait_for(conn.send(raw), 30)
                if kind == "create" and code == 201:
                    number = json.loads(body)["number"]
                    mine.append(number)
                    priority[number] = PRIORITIES.index(b"P3")
                    tally.acked.append(number)
                elif kind == "update" and code == 200:
                    priority[ref] = new
                tally.add(kind, time.perf_counter() - t, code, t)
            except NET_ERRORS as exc:
                tally.add(kind, time.perf_counter() - t, type(exc).__name__, t)
                tally.errors += 1
    finally:
        conn.close()


async def run_load(
    base: str,
    token: str,
    *,
    clients: int,
    rate: float,
    seconds: float,
    tally: Tally | None = None,
) -> Tally:
    tally = tally if tally is not None else Tally()
    t0 = tally.t0 = time.perf_counter()
    until = t0 + seconds
    rngs = np.random.default_rng(7).spawn(clients)
    interval = clients / rate
    await asyncio.gather(
        *(
            client(
                i, base, token, interval=interval, until=until, tally=tally, rng=rngs[i]
            )
            for i in range(clients)
        )
    )
    tally.wall_s = time.perf_counter() - t0
    return tally


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each process and its descendants.

    A root's figure includes its children that have ended (``children_user``,
    ``children_system``): PostgreSQL backends of closed connections, worker processes.
    """
    import psutil

    out: dict[int, float] = {}
    for pid in pids:
        try:
            root = psutil.Process(pid)
            c = root.cpu_times()
            out[pid] = c.user + c.system + c.children_user + c.children_system
            for p in root.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    c = p.cpu_times()
                    out[p.pid] = c.user + c.system
        except psutil.Error:
            continue
    return out


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two :func:`cpu_by_pid` readings (new processes from 0)."""
    return sum(v - before.get(pid, 0.0) for pid, v in after.items())


def timeline(t: Tally) -> dict[str, list[float]]:
    """p99 latency (ms) of the requests sent in each second of the load, per kind."""
    out: dict[str, list[float]] = {}
    for kind, xs in t.lat.items():
        if not xs:
            continue
        lat = np.asarray(xs)
        second = np.floor(np.asarray(t.sent[kind])).astype(int)
        out[kind] = [
            round(float(np.percentile(lat[second == k], 99)) * 1000, 1)
            for k in range(int(second.max()) + 1)
            if np.any(second == k)
        ]
    return out


def summary(t: Tally, seconds: float) -> dict[str, object]:
    out: dict[str, object] = {
        "seconds": seconds,
        "status": t.status,
        "errors": t.errors,
    }
    ok = sum(n for key, n in t.status.items() if key.endswith((" 200", " 201")))
    for kind, xs in t.lat.items():
        if xs:
            out[kind] = {
                "n": len(xs),
                "p50_ms": round(float(np.percentile(xs, 50)) * 1000, 1),
                "p99_ms": round(float(np.percentile(xs, 99)) * 1000, 1),
            }
    out["acknowledged_writes_per_s"] = round(ok / seconds, 1)
    # every client sends its schedule's requests however late they get (one at a time),
    # so the figure above is the offered rate; this one is what the server kept up with
    if t.wall_s:
        out["wall_s"] = round(t.wall_s, 1)
        out["throughput_writes_per_s"] = round(ok / t.wall_s, 1)
    return out


def check_after_crash(url: str, data_dir: Path, acked: list[str]) -> dict[str, object]:
    from sqlalchemy import func, select

    from servops.api.sla import timer_config
    from servops.service import audit, timers
    from servops.service.db import make_engine, make_sessionmaker
    from servops.service.models import Event, SlaTimer, Ticket

    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as s:
            found = 0
            with_events = 0
            with_timers = 0
            for i in range(0, len(acked), 1000):
                chunk = acked[i : i + 1000]
                ids = s.scalars(select(Ticket.id).where(Ticket.number.in_(chunk))).all()
                found += len(ids)
                with_events += (
                    s.scalar(
                        select(func.count(func.distinct(Event.ticket_id))).where(
                            Event.ticket_id.in_(ids)
                        )
                    )
                    or 0
                )
                with_timers += (
                    s.scalar(
                        select(func.count(func.distinct(SlaTimer.ticket_id))).where(
                            SlaTimer.ticket_id.in_(ids)
                        )
                    )
                    or 0
                )
            # the timers resume: a tick a week later fires the breaches now due
            later = datetime.now(UTC) + timedelta(days=7)
            t0 = time.perf_counter()
            res = timers.tick(s, later, timer_config(DEMO_KPI), limit=100_000)
            tick_s = time.perf_counter() - t0
            s.rollback()  # a measurement: leave the database as it was
        report = audit.verify(
            url, key=audit.load_key(data_dir / audit.KEY_FILE, create=False)
        )
    finally:
        engine.dispose()
    return {
        "acknowledged_creates": len(acked),
        "found": found,
        "with_events": with_events,
        "with_sla_timers": with_timers,
        "audit_ok": report.ok,
        "audit": report.to_dict() if not report.ok else "verified",
        "tick_after_restart": {
            "breached": res.breached,
            "warned": res.warned,
            "seconds": round(tick_s, 2),
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument(
        "--rate", type=float, default=200.0, help="offered writes per second"
    )
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--kill-after", type=float, default=8.0)
    ap.add_argument("--keep", action="store_true", help="keep the data directory")
    ap.add_argument("--no-crash", action="store_true", help="only the load phase")
    ap.add_argument(
        "--workers",
        type=int,
        default=1,
        help="servops serve --workers (HTTP processes)",
    )
    ap.add_argument(
        "--py-spy",
        metavar="FILE",
        help="sample the server with py-spy during the load phase (collapsed stacks"
        " to FILE; py-spy must be installed, it is not a dependency)",
    )
    ap.add_argument(
        "--timeline",
        action="store_true",
        help="also the p99 latency of the requests sent in each second, per kind",
    )
    args = ap.parse_args()

    from servops.service import embedded

    tmp = Path(tempfile.mkdtemp(prefix="servops-bench-"))
    tmp.chmod(0o755)
    data_dir = tmp / "service"
    log = tmp / "server.log"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(data_dir, port, log, args.workers)
    results: dict[str, object] = {
        "cpus": os.cpu_count(),
        "clients": args.clients,
        "offered_rate": args.rate,
        "workers": args.workers,
    }
    try:
        wait_ready(base, log=log, workers=args.workers)
        token = (data_dir / "admin-token").read_text().splitlines()[0]
        pg = embedded.running(data_dir)
        server_pids = [proc.pid]
        pg_pids = [pg.pid] if pg is not None else []
        before = (cpu_by_pid(server_pids), cpu_by_pid(pg_pids), time.process_time())
        load0 = os.getloadavg()[0]
        spy = (
            subprocess.Popen(
                [
                    shutil.which("py-spy")
                    or str(Path(sys.executable).with_name("py-spy")),
                    "record",
                    "--pid",
                    str(proc.pid),
                    "--subprocesses",
                    "--gil",
                    "--rate",
                    "200",
                    "--format",
                    "raw",
                    "--output",
                    args.py_spy,
                ],
                stdout=subprocess.DEVNULL,
            )
            if args.py_spy
            else None
        )
        t = asyncio.run(
            run_load(
                base, token, clients=args.clients, rate=args.rate, seconds=args.seconds
            )
        )
        after = (cpu_by_pid(server_pids), cpu_by_pid(pg_pids), time.process_time())
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
        load = summary(t, args.seconds)
        writes = sum(n for key, n in t.status.items() if key.endswith((" 200", " 201")))
        used = {
            "server_python": cpu_used(before[0], after[0]),
            "postgresql": cpu_used(before[1], after[1]),
            "load_clients": after[2] - before[2],
        }
        load["cpu_ms_per_write"] = {
            k: round(1000 * v / max(writes, 1), 2) for k, v in used.items()
        }
        load["load_average_before_after"] = [
            round(load0, 1),
            round(os.getloadavg()[0], 1),
        ]
        if args.timeline:
            load["p99_ms_by_second"] = timeline(t)
        results["load"] = load
        print(json.dumps(results["load"], indent=1), flush=True)
        if args.no_crash:
            return

        # crash test: load, SIGKILL mid-way, restart, more load. The kill comes
        # --kill-after seconds after the phase's first acknowledged write: on a loaded
        # host making 100 clients can take longer than --kill-after itself
        async def crash_phase() -> Tally:
            tally = Tally()
            task = asyncio.create_task(
                run_load(
                    base,
                    token,
                    clients=args.clients,
                    rate=args.rate,
                    seconds=args.seconds,
                    tally=tally,
                )
            )
            while not tally.acked and not task.done():
                await asyncio.sleep(0.1)
            await asyncio.sleep(args.kill_after)
            os.killpg(proc.pid, signal.SIGKILL)  # the service and its worker processes
            return await task

        print(f"server alive before the crash phase: {proc.poll() is None}", flush=True)
        t2 = asyncio.run(crash_phase())
        proc.wait()
        since = log.stat().st_size
        proc2 = start_server(data_dir, port, log, args.workers)
        try:
            wait_ready(base, log=log, workers=args.workers, since=since)
            t3 = asyncio.run(
                run_load(base, token, clients=args.clients, rate=args.rate, seconds=5)
            )
        finally:
            proc2.send_signal(signal.SIGTERM)
            proc2.wait(timeout=60)
        server = embedded.start(data_dir)
        results["crash"] = {
            "during": summary(t2, args.seconds),
            "after_restart": summary(t3, 5),
            **check_after_crash(server.url(), data_dir, t.acked + t2.acked + t3.acked),
        }
        print(json.dumps(results["crash"], indent=1, default=str), flush=True)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        embedded.stop(data_dir)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
