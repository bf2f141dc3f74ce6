"""CPU time of each statement ``compute_kpis`` runs, on the bench_kpi synthetic desk.

    .venv/bin/python benchmarks/profile_kpi.py [--events 5000000] [--calls 3]

Compare trees by pointing ``PYTHONPATH`` at another one's ``src`` (``git archive REV src``)
and alternating the runs. Process CPU time (all DuckDB threads) is the steadier figure on
a shared host: wall time includes waiting for a core. Each call prints its total and the
CPU of every ``EventLog.query``/``fetchone``/``fetchall`` it ran, in order (the main
statement is the ``query``; the others are the span and the censoring profile).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.unit.kpi.synth import synthetic_tickets  # noqa: E402

import servops as so  # noqa: E402
from benchmarks.bench_kpi import CONFIG  # noqa: E402
from servops.kpi import compute_kpis  # noqa: E402
from servops.log.eventlog import EventLog  # noqa: E402

TIMES: list[tuple[str, float]] = []


def _timed(name: str) -> None:
    orig = getattr(EventLog, name)

    def wrapper(self: EventLog, *args: Any, **kwargs: Any) -> Any:
        c0 = time.process_time()
        out = orig(self, *args, **kwargs)
        if name == "query":  # the relation runs when fetched: fetch it here
            table = out.to_arrow_table()
            TIMES.append((name, time.process_time() - c0))
            return _Rel(table)
        TIMES.append((name, time.process_time() - c0))
        return out

    setattr(EventLog, name, wrapper)


class _Rel:
    """A fetched relation: what compute_kpis asks of ``log.query``'s result."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def to_arrow_table(self) -> Any:
        return self._table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=5_000_000)
    ap.add_argument("--calls", type=int, default=3)
    args = ap.parse_args()
    table = synthetic_tickets(int(args.events / 6.23), seed=1, days=364)
    log = so.read_log(table)
    print(f"servops from {Path(so.__file__).parent}; {table.num_rows:,} events")
    for name in ("query", "fetchone", "fetchall"):
        _timed(name)
    totals = []
    for _ in range(args.calls):
        TIMES.clear()
        c0 = time.process_time()
        compute_kpis(log, CONFIG, by="week", segment="priority")
        totals.append(time.process_time() - c0)
        parts = "  ".join(f"{n} {c:.2f}" for n, c in TIMES)
        print(f"compute_kpis CPU {totals[-1]:.2f} s:  {parts}")
    print(f"median CPU {statistics.median(totals):.2f} s over {args.calls} calls")


if __name__ == "__main__":
    main()
