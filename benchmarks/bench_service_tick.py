"""SLA worker tick over 100,000 open tickets (issue 17 goal: <= 1 s).

Loads N open tickets into the service database (each with its creation event, chained
as the service writes it, and running first-response and resolution timers whose due
times are spread over the next four weeks; business calendar 09-17 on weekdays), then
times ``servops.service.timers.tick`` in the steady state of a running worker: nothing
due, and the warnings and deadlines of about 1 and 10 minutes due (each about 2.5 a
minute at 100,000 tickets). Each timed tick runs in its own transaction and
is rolled back, so every repeat sees the same state; the tick that fires also writes the
warning/breach events (audit chain), queues and performs the escalation rules (notify),
and re-syncs the touched tickets, all inside the timed call.

    python benchmarks/bench_service_tick.py [--tickets 100000] [--repeat 5]
        [--database-url postgresql://...]   (default: a private embedded PostgreSQL)
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from servops.kpi.config import config_from_dict
from servops.service.audit import event_hash
from servops.service.db import make_engine, make_sessionmaker, migrate
from servops.service.escalation import escalation_from_dict
from servops.service.statemachine import default_state_machine
from servops.service.timers import TimerConfig, tick

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday
RUNNING = T0 + timedelta(days=2, hours=1)  # the worker has fired everything due before


def config() -> TimerConfig:
    machine = default_state_machine()
    sla = config_from_dict(
        {
            "calendars": {"office": {"timezone": "UTC", "hours": {"mon-fri": "09:00-17:00"}}},
            "sla": [
                {"name": "std", "first_response": "4h", "resolution": "40h",
                 "calendar": "office"}
            ],
        }
    )  # fmt: skip
    kpi = replace(machine.kpi_config(), policies=sla.policies, calendars=sla.calendars)
    esc = escalation_from_dict(
        {"rules": [{"name": "tell", "on": "breach", "action": "notify"}]}
    )
    return TimerConfig(kpi, esc)


def load(url: str, n: int, seed: int = 1) -> None:
    """N open tickets with events and timers, as a worker running since T0 left them.

    First-response deadlines are spread uniformly over four weeks after T0 (about 2.5 a
    minute for 100,000 tickets), resolution deadlines three days later, warnings at
    80 % of the target; everything due before ``RUNNING`` has fired already.
    """
    rng = np.random.default_rng(seed)
    created_act = default_state_machine().activity("created")
    # due instants spread over 4 weeks after T0 (both metrics), warn_at 80 % before
    offsets = np.sort(rng.uniform(60, 28 * 86400, n))
    due_fr = [T0 + timedelta(seconds=float(s)) for s in offsets]
    due_res = [d + timedelta(days=3) for d in due_fr]
    tickets, events, timers = io.StringIO(), io.StringIO(), io.StringIO()
    for i in range(n):
        tid = i + 1
        number = f"T-{tid:07d}"
        created = T0 - timedelta(minutes=int(rng.integers(0, 600)))
        c = created.isoformat()
        tickets.write(f"{tid}\t{number}\tbench {tid}\tP3\tnew\t{c}\t{c}\n")
        payload = {
            "after": {"priority": "P3", "state": "new", "subject": f"bench {tid}"}
        }
        h = event_hash(
            "",
            ticket=number,
            seq=1,
            occurred_at=created,
            activity=created_act,
            resource=None,
            actor_id=None,
            role="system",
            lifecycle="complete",
            payload=payload,
        )
        events.write(
            f"{tid}\t1\t{c}\t{created_act}\tsystem\tcomplete\t"
            f"{json.dumps(payload)}\t\t{h}\n"
        )
        for metric, target, due in (
            ("first_response", 4 * 3600, due_fr[i]),
            ("resolution", 40 * 3600, due_res[i]),
        ):
            warn = due - timedelta(seconds=0.2 * target)
            stage = "breached" if due <= RUNNING else "running"
            warned = warn.isoformat() if warn <= RUNNING else "\\N"
            timers.write(
                f"{tid}\t{metric}\tstd\t{target}\t{c}\t{due.isoformat()}\t"
                f"{warn.isoformat()}\t{stage}\t0\t0\t{c}\t1\t{warned}\n"
            )
    engine = make_engine(url, app_role=False)
    with engine.begin() as sa_con:
        raw = sa_con.connection.driver_connection
        assert raw is not None
        cur = raw.cursor()  # pg8000: COPY ... FROM STDIN with stream=
        for table, cols, buf in (
            ("tickets", "id, number, subject, priority, state, created_at, updated_at",
             tickets),
            ("events", "ticket_id, seq, occurred_at, activity, role, lifecycle, "
             "payload, prev_hash, hash", events),
            ("sla_timers", "ticket_id, metric, policy, target_seconds, started_at, "
             "due_at, warn_at, stage, elapsed_business_seconds, paused_seconds, "
             "last_started_at, version, warned_at", timers),
        ):  # fmt: skip
            cur.execute(
                f"COPY {table} ({cols}) FROM STDIN",
                stream=io.BytesIO(buf.getvalue().encode()),
            )
        cur.execute(f"SELECT setval('tickets_id_seq', {n})")
        cur.execute("ANALYZE")
        cur.close()
    engine.dispose()


def timed_tick(
    factory: sessionmaker[Session], at: datetime, cfg: TimerConfig, repeat: int
) -> tuple[float, dict[str, int]]:
    times: list[float] = []
    last: dict[str, int] = {}
    for _ in range(repeat):
        s = factory()
        try:
            t = time.perf_counter()
            r = tick(s, at, cfg)
            times.append(time.perf_counter() - t)
            last = {
                "warned": r.warned,
                "breached": r.breached,
                "escalated": r.escalated,
            }
        finally:
            s.rollback()
            s.close()
    return statistics.median(times), last


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    tmp: Path | None = None
    if args.database_url is None:
        from servops.service import embedded

        tmp = Path(tempfile.mkdtemp(prefix="servops-bench-pg-"))
        tmp.chmod(0o755)
        url = embedded.start(tmp, durable=False).url()
    else:
        url = args.database_url
    try:
        migrate(url)
        t = time.perf_counter()
        load(url, args.tickets)
        print(f"loaded {args.tickets:,} open tickets (2 timers each) in "
              f"{time.perf_counter() - t:.1f} s")  # fmt: skip
        cfg = config()
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        # warn_at is 20 % of the target before due: pick instants by the due times
        # about 2.5 deadlines and 2.5 warnings a minute fall due after RUNNING
        scale = 100_000 / args.tickets
        cases = [
            ("nothing due", RUNNING),
            ("~1 minute since the last tick", RUNNING + timedelta(minutes=scale)),
            (
                "~10 minutes since the last tick",
                RUNNING + timedelta(minutes=10 * scale),
            ),
        ]
        for label, at in cases:
            secs, counts = timed_tick(factory, at, cfg, args.repeat)
            print(
                f"tick, {label}: {secs * 1000:.1f} ms (median of {args.repeat}) {counts}"
            )
        engine.dispose()
    finally:
        if tmp is not None:
            from servops.service import embedded

            embedded.stop(tmp)
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
