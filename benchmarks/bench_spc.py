"""SPC speed: the eight tests on long series, and alerts on a real log.

There is no SPC peer among the installed packages (PM4Py has no control charts), so the
peer for the tests is a straightforward pure-Python loop over points (the reference the
unit tests use), checked equal first. Alerts are timed end to end on BPIC 2012
(262,200 events): case metrics, five KPI series by week, their charts and tests.

    /work/venv/bin/python benchmarks/bench_spc.py --repeat 3
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from pathlib import Path

import numpy as np

import servops as so
from servops.spc import Rules, log_alerts, run_tests
from servops.spc.rules import DEFAULT_K

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT.parent / "shared/data/eventlogs/bpic2012.xes.gz"
_spec = importlib.util.spec_from_file_location(
    "spc_rule_reference", ROOT / "tests/unit/spc/test_rules.py"
)
assert _spec is not None
assert _spec.loader is not None
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
reference = _mod.reference


def timed(fn, repeat):
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--points", type=int, default=200_000)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    x = rng.choice([-3.5, -2.5, -1.5, -0.5, 0.0, 0.5, 1.5, 2.5, 3.5], args.points)
    ours_s, sig = timed(lambda: run_tests(x, 0.0, 1.0, rules=Rules()), args.repeat)
    xs = x.tolist()
    loop_s, ref = timed(lambda: reference(xs, DEFAULT_K), 1)
    assert sorted((s.index, s.test) for s in sig) == ref
    print(
        f"8 tests on {args.points:,} points: servops {ours_s:.3f} s, "
        f"Python loop {loop_s:.2f} s, ratio {loop_s / ours_s:.0f}x, "
        f"{len(sig):,} signals (equal)"
    )
    if LOG.exists():
        log = so.read_log(LOG)
        n = log.n_cases()
        t, alerts = timed(lambda: log_alerts(log, by="week"), args.repeat)
        print(
            f"log_alerts(bpic2012, by='week'): {t:.2f} s for {n:,} cases, "
            f"{len(alerts)} alerts"
        )


if __name__ == "__main__":
    main()
