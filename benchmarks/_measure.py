"""Run a snippet in a fresh Python process and report its wall time and peak memory.

Each measurement is its own process; peak memory is that process's own high-water mark
(``VmHWM`` in /proc/self/status: ``ru_maxrss`` can report a larger parent's peak after
exec). Imports are done before the clock starts (and timed separately).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import textwrap
from dataclasses import dataclass

RUNNER = """
import json, re, time
t0 = time.perf_counter()
{setup}
t1 = time.perf_counter()
{job}
t2 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "run_s": t2 - t1,
                  "peak_gb": int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read())
                                     .group(1)) / 1e6,
                  "check": str(CHECK)}}))
"""


@dataclass(frozen=True)
class Measurement:
    run_s: float
    peak_gb: float
    import_s: float
    check: str


def measure(
    setup: str, job: str, *, repeat: int = 3
) -> tuple[Measurement, list[float]]:
    """Median wall time (and its peak memory) of ``job`` over ``repeat`` fresh processes."""
    code = RUNNER.format(setup=textwrap.dedent(setup), job=textwrap.dedent(job))
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-2000:])
        runs.append(Measurement(**json.loads(out.stdout.strip().splitlines()[-1])))
    times = [r.run_s for r in runs]
    med = statistics.median(times)
    best = min(runs, key=lambda r: abs(r.run_s - med))
    return best, times
