"""CLI start-up: ``servops --help``, ``spc --help``, ``logs`` and ``info`` of a small file.

Each command runs in a fresh process, ``--repeat`` times; the median wall time and the
median CPU time (user + system, from ``getrusage`` of the child) are printed. On a shared
machine the CPU time is the steadier figure: wall time includes waiting for a core.

Compare two trees by pointing ``PYTHONPATH`` at the other one's ``src``::

    git archive HEAD~3 src | tar -x -C /tmp/before
    PYTHONPATH=/tmp/before/src python benchmarks/bench_cli.py
    python benchmarks/bench_cli.py

Import profile: ``python -X importtime -c "import servops.cli.main"``.

Run: .venv/bin/python benchmarks/bench_cli.py [--repeat 9]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SMALL_LOG = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "eventlogs"
    / "running-example.csv"
)
ENTRY = "from servops.cli.main import main; main()"


def run(args: list[str], cwd: str) -> tuple[float, float]:
    """Wall and CPU seconds of one ``servops ARGS`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", ENTRY, *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    """Time the light commands."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=9)
    n = ap.parse_args().repeat
    import servops

    print(f"servops from {Path(servops.__file__).parent}")
    with tempfile.TemporaryDirectory() as tmp:
        jobs = {
            "servops --help": ["--help"],
            "servops spc --help": ["spc", "--help"],
            "servops logs (empty workspace)": ["logs"],
            f"servops info {SMALL_LOG.name}": ["info", str(SMALL_LOG)],
        }
        for label, args in jobs.items():
            times = [run(args, tmp) for _ in range(n)]
            wall = statistics.median(t[0] for t in times)
            cpu = statistics.median(t[1] for t in times)
            print(
                f"{label:40s} wall {wall:6.3f} s   cpu {cpu:6.3f} s   (median of {n})"
            )


if __name__ == "__main__":
    main()
