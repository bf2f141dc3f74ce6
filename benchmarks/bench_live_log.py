"""Read the live service's events table into an EventLog (events are the log).

Fills a service database with N tickets of 10 events each (default 100,000 tickets, 1M
events; ticket channel, priority, category, group and a custom attribute), then times,
each in a fresh process:

* ``read_service_log(url)``: PostgreSQL -> Arrow (ADBC) -> DuckDB EventLog, the whole path
  of ``servops kpi --service URL`` before the KPI itself;
* ``events_arrow(url)``: the ADBC transfer alone;
* the peer path without Arrow: psycopg ``fetchall`` of the same query (rows as tuples).

The events are written with SQL (``generate_series``), not through the ticket operations:
their chain hashes are placeholders, which the read does not look at.

    python benchmarks/bench_live_log.py [--tickets 100000] [--repeat 3]
        [--database-url postgresql://...]   (default: a private embedded PostgreSQL)
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from servops.service import embedded
from servops.service.db import libpq_url, migrate

ACTIVITIES = [
    "Ticket created",
    "In progress",
    "Agent replied",
    "Customer replied",
    "Priority changed",
    "Agent replied",
    "Waiting for customer",
    "Customer replied",
    "Resolved",
    "Closed",
]


def fill(url: str, n: int) -> int:
    acts = "ARRAY[" + ", ".join(f"'{a}'" for a in ACTIVITIES) + "]"
    with psycopg.connect(url) as con:
        con.execute(
            "INSERT INTO groups (id, name) VALUES (1, 'L1'), (2, 'L2'), (3, 'L3')"
        )
        con.execute(
            "INSERT INTO tickets (id, number, subject, state, channel, priority, category, "
            "group_id, attributes, created_at, updated_at) "
            "SELECT i, 'T-' || lpad(i::text, 7, '0'), 'bench', 'closed', "
            "(ARRAY['email', 'web', 'phone'])[1 + i %% 3], 'P' || (1 + i %% 4), "
            "'cat' || (i %% 12), 1 + i %% 3, jsonb_build_object('product', 'p' || (i %% 50)), "
            "timestamptz '2025-01-01' + i * interval '5 minutes', "
            "timestamptz '2025-01-01' + i * interval '5 minutes' "
            "FROM generate_series(1, %s) i",
            [n],
        )
        con.execute("SELECT setval('tickets_id_seq', %s)", [n])
        con.execute(
            "INSERT INTO events (ticket_id, seq, occurred_at, activity, resource, role, "
            "lifecycle, payload, prev_hash, hash) "
            "SELECT t, s, timestamptz '2025-01-01' + t * interval '5 minutes' "
            f"+ s * interval '37 minutes', ({acts})[s], 'agent' || ((t * 7 + s) %% 40), "
            "'agent', 'complete', '{}', '', md5(t::text || '/' || s::text) "
            "FROM generate_series(1, %s) t, generate_series(1, 10) s",
            [n],
        )
        con.execute("ANALYZE")
        row = con.execute("SELECT count(*) FROM events").fetchone()
    assert row is not None
    return int(row[0])


#: Imported before the clock starts (the ADBC driver alone takes ~1-2 s to import).
WARM = "import adbc_driver_postgresql.dbapi, duckdb, pyarrow, servops.log.read"
PEER_SQL = (
    "SELECT t.number, e.activity, e.occurred_at, e.resource, e.lifecycle, t.channel, "
    "t.priority, t.category, g.name, t.attributes ->> 'product' FROM events e "
    "JOIN tickets t ON t.id = e.ticket_id LEFT JOIN groups g ON g.id = t.group_id "
    "ORDER BY e.ticket_id, e.seq"
)
JOBS = {
    "read_service_log": (
        "from servops.service.events import read_service_log\n" + WARM,
        "log = read_service_log(URL); CHECK = log.n_events()",
    ),
    "events_arrow (ADBC only)": (
        "from servops.service.events import events_arrow\n" + WARM,
        "t = events_arrow(URL); CHECK = t.num_rows",
    ),
    "psycopg fetchall (no Arrow)": (
        "import psycopg",
        f"con = psycopg.connect(URL)\nrows = con.execute({PEER_SQL!r}).fetchall()\n"
        "CHECK = len(rows)",
    ),
}

RUNNER = """
import json, re, time
URL = {url!r}
{setup}
t0 = time.perf_counter()
{job}
t1 = time.perf_counter()
peak = int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) / 1e6
print(json.dumps({{"s": t1 - t0, "peak_gb": peak, "check": CHECK}}))
"""


def run_job(url: str, setup: str, job: str) -> dict[str, float]:
    code = RUNNER.format(url=url, setup=setup, job=job)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()

    tmp: Path | None = None
    if args.database_url:
        base = libpq_url(args.database_url)
        admin = base
    else:
        tmp = Path(tempfile.mkdtemp(prefix="servops-bench-pg-"))
        tmp.chmod(0o755)
        server = embedded.start(tmp, database=None)
        admin = server.url("postgres")
        base = admin
    name = f"bench_live_{int(time.time())}"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    url = base.rpartition("/")[0] + "/" + name
    try:
        migrate(url)
        t0 = time.perf_counter()
        n_events = fill(url, args.tickets)
        print(
            f"filled {args.tickets:,} tickets / {n_events:,} events in {time.perf_counter() - t0:.1f} s"
        )
        for label, (setup, job) in JOBS.items():
            runs = [run_job(url, setup, job) for _ in range(args.repeat)]
            secs = [r["s"] for r in runs]
            med = statistics.median(secs)
            assert all(int(r["check"]) == n_events for r in runs), runs
            peak = max(r["peak_gb"] for r in runs)
            print(
                f"{label:30s} median {med:6.2f} s  ({n_events / med:,.0f} events/s)  "
                f"runs {', '.join(f'{s:.2f}' for s in secs)}  peak {peak:.2f} GB"
            )
    finally:
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if tmp is not None:
            embedded.stop(tmp)
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
