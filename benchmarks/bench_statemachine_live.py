"""What reading the stored state machine per transaction costs (issue 18, gap 1).

Peers, each per database transaction, on one embedded PostgreSQL with a stored
``statemachine`` version:

* ``packaged (before)``: ``default_state_machine()``, the process-wide parse the service
  used before (no query; a stored version was never seen);
* ``live``: ``config_store.live_state_machine(session)``, what the service does now (one
  ``max(id)`` query on ``config_versions``, the parse cached per version id);
* ``live, no parse cache``: the same query plus the content and a parse each time (what
  the per-process cache saves).

Also counts the SQL statements of one ticket transition (``tickets.transition``) with the
machine passed in versus read live: the difference is the one query per transaction.
Each timed transaction also runs ``SELECT 1`` (standing for the request's own work: the
connection checkout and BEGIN are paid by every peer). Reports wall and CPU time
(``time.process_time``, this process only: the PostgreSQL server's CPU is not in it) per
transaction, median of the repeats.

    python benchmarks/bench_statemachine_live.py [--transactions 500] [--repeat 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import event, func, select

from servops.service import config_store
from servops.service.db import make_engine, make_sessionmaker, migrate
from servops.service.events import SYSTEM, Actor
from servops.service.models import ConfigVersion
from servops.service.statemachine import (
    DEFAULT_STATE_MACHINE,
    default_state_machine,
    parse_state_machine,
)
from servops.service.tickets import create_ticket, transition

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session, sessionmaker


def _no_cache(session: Session) -> object:
    vid = config_store.latest_id(session, "statemachine")
    text = session.scalar(select(ConfigVersion.content).where(ConfigVersion.id == vid))
    return parse_state_machine(text or "", source=f"statemachine v{vid}")


PEERS: dict[str, Callable[[Session], object]] = {
    "packaged (before)": lambda _s: default_state_machine(),
    "live": config_store.live_state_machine,
    "live, no parse cache": _no_cache,
}


def per_transaction(
    factory: sessionmaker[Session], get: Callable[[Session], object], n: int
) -> tuple[float, float]:
    """Wall and CPU seconds per transaction: a one-row read (the request's own work,
    with the connection checkout) and getting the machine."""
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        with factory() as s:
            s.execute(select(1)).scalar()
            get(s)
            s.rollback()
    return (time.perf_counter() - w0) / n, (time.process_time() - c0) / n


def query_alone(factory: sessionmaker[Session], n: int) -> dict[str, float]:
    """CPU ms of the version-id query alone, n calls in one transaction, per way of asking."""
    ways: dict[str, Callable[[Session], object]] = {
        "ORM select": lambda s: s.scalar(
            select(func.max(ConfigVersion.id)).where(
                ConfigVersion.kind == "statemachine"
            )
        ),
        # latest_ids' statement itself (the function keeps its answer per transaction)
        "driver SQL (latest_ids)": lambda s: (
            s.connection().exec_driver_sql(config_store.LATEST_SQL).all()
        ),
    }
    out: dict[str, float] = {}
    with factory() as s:
        for name, ask in ways.items():
            ask(s)
            c0 = time.process_time()
            for _ in range(n):
                ask(s)
            out[name] = (time.process_time() - c0) / n * 1000
    return out


def statements(factory: sessionmaker[Session], *, live: bool) -> int:
    """SQL statements of one transition in its own transaction."""
    with factory() as s:
        t = create_ticket(s, subject="bench", channel="web", actor=SYSTEM)
        s.commit()
        count = 0

        def seen(*_: object) -> None:
            nonlocal count
            count += 1

        bind = s.get_bind()
        event.listen(bind, "before_cursor_execute", seen)
        try:
            machine = None if live else default_state_machine()
            agent = Actor(None, "agent", "bench")
            transition(s, t, "open", actor=agent, machine=machine)
            s.commit()
        finally:
            event.remove(bind, "before_cursor_execute", seen)
        return count


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--transactions", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from servops.service import embedded

    tmp = Path(tempfile.mkdtemp(prefix="servops-bench-sm-"))
    tmp.chmod(0o755)
    try:
        url = embedded.start(tmp, durable=False).url()
        migrate(url)
        engine = make_engine(url, pool_size=2)
        factory = make_sessionmaker(engine)
        text = DEFAULT_STATE_MACHINE.read_text(encoding="utf-8").replace(
            "open: {category: open, activity: In progress}",
            "open: {category: open, activity: In progress}\n"
            "  triage: {category: open, activity: Triage}",
        )
        with factory() as s:
            config_store.save(s, "statemachine", text, None)
            s.commit()
        with factory() as s:  # warm: the parse cache, the connection pool
            assert "triage" in config_store.live_state_machine(s).categories()
        print(f"{args.transactions} transactions each, median of {args.repeat}:")
        for name, get in PEERS.items():
            runs = [
                per_transaction(factory, get, args.transactions)
                for _ in range(args.repeat)
            ]
            wall = statistics.median(r[0] for r in runs) * 1000
            cpu = statistics.median(r[1] for r in runs) * 1000
            print(f"  {name:22s} wall {wall:.3f} ms  cpu {cpu:.3f} ms per transaction")
        for name, ms in query_alone(factory, 2000).items():
            print(f"  the query alone, {name:22s} cpu {ms:.3f} ms")
        given, live = statements(factory, live=False), statements(factory, live=True)
        print(f"statements of one transition: machine given {given}, read live {live}")
        engine.dispose()
    finally:
        embedded.stop(tmp)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
