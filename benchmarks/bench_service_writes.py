"""CPU and SQL statements per write in the service layer, without HTTP (issue 17).

What the ticket routes do per request, called directly on one embedded PostgreSQL, each
in its own transaction:

* ``create``: ``live_state_machine``, ``tickets.create_ticket``, ``routing.route_ticket``,
  commit (as ``POST /tickets``); ``--routed``: a rule sends every ticket to a group of
  four agents (least loaded), else no rule matches (as in ``bench_service_load``);
* ``update``: the routes' ``visible_ticket``, ``tickets.update_ticket`` of the priority
  (always a change) with ``live_state_machine``, commit (as ``PATCH /tickets/{ref}``).

The token check is not in it, nor (without ``--hooks``) the API's commit hooks.
``--hooks`` installs them as the API does: the webhook outbox and the SLA sync
(:func:`servops.api.sla.install_timer_sync`, the demo's policies as ``servops serve
--sla-config`` loads them), and reports the CPU of the SLA hook alone (between two
listeners registered around it). Reports per operation: this process's CPU
(``time.process_time``), the PostgreSQL backend's CPU (``/proc/<pid>/stat`` of the one
pooled connection), wall time and the statements (``before_cursor_execute``); medians
of ``--repeat`` rounds. Run it on another tree with ``PYTHONPATH=<tree>/src`` to compare
versions in one environment.

    python -m benchmarks.bench_service_writes [--ops 300] [--repeat 5] [--routed] [--hooks]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import event

from servops.api.routes.tickets import visible_ticket
from servops.api.sla import install_timer_sync, timer_config
from servops.service import models
from servops.service.access import Principal
from servops.service.config_store import live_state_machine
from servops.service.db import make_engine, make_sessionmaker, migrate
from servops.service.events import Actor
from servops.service.routing import route_ticket
from servops.service.tickets import create_ticket, update_ticket
from servops.service.webhooks import install_outbox

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

ADMIN = Principal(1, "admin", None, frozenset({"tickets:write"}), "token")
ACTOR = Actor(1, "admin", "Admin")
_TICK = os.sysconf("SC_CLK_TCK")
DEMO_KPI = Path(__file__).resolve().parents[1] / "src" / "servops" / "demo" / "kpi.yaml"


def _proc_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def seed(factory: sessionmaker[Session], *, routed: bool) -> None:
    """An admin (user 1), a group of four agents and, with ``routed``, a rule to it."""
    with factory() as s, s.begin():
        s.add(models.User(email="admin@x", name="Admin", role="admin", skills=[]))
        group = models.Group(name="Support")
        s.add(group)
        s.flush()
        for i in range(4):
            u = models.User(
                email=f"a{i}@x", name=f"A{i}", role="agent", skills=[], capacity=None
            )
            s.add(u)
            s.flush()
            s.add(models.GroupMember(group_id=group.id, user_id=u.id))
        s.add(
            models.RoutingRule(
                position=1,
                name="all web",
                conditions={"channel": ["web" if routed else "email"]},
                group_id=group.id,
                active=True,
            )
        )


def creates(factory: sessionmaker[Session], n: int, numbers: list[str]) -> None:
    for i in range(n):
        with factory() as s:
            t = create_ticket(
                s,
                subject=f"load {i}",
                priority="P3",
                channel="web",
                actor=ACTOR,
                machine=live_state_machine(s),
            )
            route_ticket(s, t, actor=ACTOR)
            s.commit()
            numbers.append(t.number)


def updates(factory: sessionmaker[Session], n: int, numbers: list[str]) -> None:
    for i in range(n):
        with factory() as s:
            t = visible_ticket(s, numbers[-1 - i], ADMIN)
            update_ticket(
                s,
                t,
                {"priority": "P2" if t.priority == "P1" else "P1"},  # a change
                actor=ACTOR,
                machine=live_state_machine(s),
            )
            s.commit()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ops", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--routed", action="store_true")
    ap.add_argument(
        "--hooks", action="store_true", help="the API's commit hooks (SLA, outbox)"
    )
    args = ap.parse_args()
    from servops.service import embedded

    tmp = Path(tempfile.mkdtemp(prefix="servops-bench-writes-"))
    tmp.chmod(0o755)
    try:
        url = embedded.start(tmp, durable=False).url()
        migrate(url)
        engine = make_engine(url, pool_size=1, max_overflow=0)
        factory = make_sessionmaker(engine)
        seed(factory, routed=args.routed)
        hook_cpu = started = 0.0

        def hook_starts(_session: object) -> None:
            nonlocal started
            started = time.process_time()

        def hook_ends(_session: object) -> None:
            nonlocal hook_cpu
            hook_cpu += time.process_time() - started

        if args.hooks:
            install_outbox(factory)
            # before_commit listeners run in the order they were registered
            event.listen(factory, "before_commit", hook_starts)
            install_timer_sync(factory, timer_config(DEMO_KPI))
            event.listen(factory, "before_commit", hook_ends)
        with engine.connect() as con:
            backend = int(con.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        count = 0

        def seen(*_: object) -> None:
            nonlocal count
            count += 1

        event.listen(engine, "before_cursor_execute", seen)
        numbers: list[str] = []
        creates(factory, 50, numbers)  # warm: caches, statements, the connection
        updates(factory, 50, numbers)
        out: dict[str, dict[str, float]] = {}
        for name, run in (("create", creates), ("update", updates)):
            rows = []
            for _ in range(args.repeat):
                count = 0
                hook_cpu = 0.0
                w0, c0, p0 = (
                    time.perf_counter(),
                    time.process_time(),
                    _proc_cpu(backend),
                )
                run(factory, args.ops, numbers)
                rows.append(
                    (
                        (time.process_time() - c0) / args.ops * 1000,
                        (_proc_cpu(backend) - p0) / args.ops * 1000,
                        (time.perf_counter() - w0) / args.ops * 1000,
                        count / args.ops,
                        hook_cpu / args.ops * 1000,
                    )
                )
            keys: tuple[str, ...] = (
                "python_cpu_ms",
                "postgresql_cpu_ms",
                "wall_ms",
                "statements",
            )
            if args.hooks:
                keys += ("sla_hook_cpu_ms",)
            out[name] = {
                key: round(statistics.median(r[i] for r in rows), 3)
                for i, key in enumerate(keys)
            }
        out["load_average"] = {"1min": round(os.getloadavg()[0], 1)}
        print(json.dumps(out, indent=1))
        engine.dispose()
    finally:
        embedded.stop(tmp)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
