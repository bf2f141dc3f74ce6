"""CPU of the SLA timer sync per write: the API's before-commit hook (issue 17).

The writes of :mod:`benchmarks.bench_service_writes` (``create``: create and route a
ticket; ``update``: change its priority, a re-targeting of its clocks), each in its own
transaction, on one embedded PostgreSQL, with the API's commit hooks installed: the SLA
sync (:func:`servops.api.sla.install_timer_sync`, the demo's policies as ``servops
serve --sla-config`` loads them) and the webhook outbox. Reports per operation, medians
of ``--repeat`` rounds: this process's CPU in all (``time.process_time``), its CPU in the
SLA hook alone (between two listeners registered around it), the PostgreSQL backend's
CPU and the statements. Run it on another tree with ``PYTHONPATH=<tree>/src`` to compare
versions in one environment.

    python -m benchmarks.bench_sla_sync [--ops 300] [--repeat 5] [--routed]
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

from sqlalchemy import event

from benchmarks.bench_service_writes import _proc_cpu, creates, seed, updates
from servops.api.sla import install_timer_sync, timer_config
from servops.service.db import make_engine, make_sessionmaker, migrate
from servops.service.webhooks import install_outbox

DEMO_KPI = Path(__file__).resolve().parents[1] / "src" / "servops" / "demo" / "kpi.yaml"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ops", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--routed", action="store_true")
    args = ap.parse_args()
    from servops.service import embedded

    tmp = Path(tempfile.mkdtemp(prefix="servops-bench-sla-"))
    tmp.chmod(0o755)
    try:
        url = embedded.start(tmp, durable=False).url()
        migrate(url)
        engine = make_engine(url, pool_size=1, max_overflow=0)
        factory = make_sessionmaker(engine)
        seed(factory, routed=args.routed)
        hook_cpu = 0.0
        started = 0.0

        def hook_starts(_session: object) -> None:
            nonlocal started
            started = time.process_time()

        def hook_ends(_session: object) -> None:
            nonlocal hook_cpu
            hook_cpu += time.process_time() - started

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
                c0, p0 = time.process_time(), _proc_cpu(backend)
                run(factory, args.ops, numbers)
                rows.append(
                    (
                        (time.process_time() - c0) / args.ops * 1000,
                        hook_cpu / args.ops * 1000,
                        (_proc_cpu(backend) - p0) / args.ops * 1000,
                        count / args.ops,
                    )
                )
            out[name] = {
                key: round(statistics.median(r[i] for r in rows), 3)
                for i, key in enumerate(
                    (
                        "python_cpu_ms",
                        "sla_hook_cpu_ms",
                        "postgresql_cpu_ms",
                        "statements",
                    )
                )
            }
        out["load_average"] = {"1min": round(os.getloadavg()[0], 1)}
        print(json.dumps(out, indent=1))
        engine.dispose()
    finally:
        embedded.stop(tmp)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
