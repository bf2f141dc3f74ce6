"""Import speed and memory against PM4Py (issue 2).

1. BPIC 2012 XES (262k events): ``servops.read_log`` vs ``pm4py.read_xes``.
2. BPIC 2012 replicated 20x as CSV (5.24 M events): ``servops.read_log`` vs pandas
   ``read_csv`` + ``pm4py.format_dataframe``.

Run: ``python benchmarks/bench_import.py [--repeat 3] [--skip-pm4py]``. Every run is a fresh
process; the median is reported with the peak memory of that run.
"""

from __future__ import annotations

import argparse

from benchmarks._measure import measure
from benchmarks.make_data import BPIC2012, replicated_bpic2012_csv


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-pm4py", action="store_true")
    ap.add_argument("--times", type=int, default=20)
    args = ap.parse_args()
    csv = replicated_bpic2012_csv(args.times)
    jobs = {
        "xes servops": (
            "import servops as so",
            f"log = so.read_log({str(BPIC2012)!r}); CHECK = log.n_events()",
        ),
        # pm4py switches to rustxes (our own dependency) when it is installed;
        # "iterparse" is its own parser: what a pm4py user has without rustxes.
        "xes pm4py+rustxes": (
            "import pm4py",
            f"df = pm4py.read_xes({str(BPIC2012)!r}, return_legacy_log_object=False)"
            "; CHECK = len(df)",
        ),
        "xes pm4py iterparse": (
            "import pm4py",
            f"df = pm4py.read_xes({str(BPIC2012)!r}, variant='iterparse', "
            "return_legacy_log_object=False); CHECK = len(df)",
        ),
        f"csv x{args.times} servops": (
            "import servops as so",
            f"log = so.read_log({str(csv)!r}); CHECK = log.n_events()",
        ),
        f"csv x{args.times} pm4py": (
            "import pandas as pd, pm4py",
            f"df = pd.read_csv({str(csv)!r})\n"
            "df = pm4py.format_dataframe(df, case_id='case:concept:name', "
            "activity_key='concept:name', timestamp_key='time:timestamp')\n"
            "CHECK = len(df)",
        ),
    }
    results = {}
    for name, (setup, job) in jobs.items():
        if args.skip_pm4py and "pm4py" in name:
            continue
        m, times = measure(setup, job, repeat=args.repeat)
        results[name] = m
        print(
            f"{name:22s} median {m.run_s:7.2f} s  (runs {', '.join(f'{t:.2f}' for t in times)})"
            f"  peak {m.peak_gb:5.2f} GB  import {m.import_s:.2f} s  check {m.check}"
        )
    pairs = [
        ("xes servops", "xes pm4py iterparse"),
        ("xes servops", "xes pm4py+rustxes"),
        (f"csv x{args.times} servops", f"csv x{args.times} pm4py"),
    ]
    for ours_name, peer_name in pairs:
        ours, peer = results.get(ours_name), results.get(peer_name)
        if ours and peer:
            print(
                f"{ours_name} vs {peer_name}: {peer.run_s / ours.run_s:.1f}x faster, "
                f"peak memory {ours.peak_gb / peer.peak_gb:.2f}x"
            )


if __name__ == "__main__":
    main()
