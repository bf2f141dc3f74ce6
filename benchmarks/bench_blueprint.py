"""Blueprint conformance (token replay + deviations + standards) vs PM4Py token replay.

    /work/venv/bin/python benchmarks/bench_blueprint.py [--repeat 5] [--demo-cases 30000]

Two logs: the real helpdesk log (4,580 cases, 226 variants) with
docs/examples/helpdesk-blueprint.yaml, and the demo IT service desk generated with
``--demo-cases`` cases with src/servops/demo/blueprint.yaml. Both sides start from data
in memory (servops: an EventLog; PM4Py: a formatted DataFrame whose activities are already
mapped to step ids) and replay the same Petri net; the fitness values are checked equal
before timings are reported. servops' time includes the deviation analysis and the
per-step standard attainment, PM4Py's is token replay alone. Median of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import servops as so  # noqa: E402
from servops.blueprint import check_conformance, load_blueprint  # noqa: E402
from servops.demo.generator import generate_service_desk  # noqa: E402


def _median(fn: Any, repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def _pm4py_setup(log: so.EventLog, bp: Any) -> tuple[Any, ...]:
    warnings.simplefilter("ignore")
    import pm4py
    from pm4py.objects.petri_net.obj import Marking, PetriNet
    from pm4py.objects.petri_net.utils import petri_utils

    net = bp.petri_net()
    pn = PetriNet("bp")
    places = {p: PetriNet.Place(p) for p in net.places}
    for p in places.values():
        pn.places.add(p)
    for t in net.transitions:
        tr = PetriNet.Transition(t, t)
        pn.transitions.add(tr)
        for p in net.inputs[t]:
            petri_utils.add_arc_from_to(places[p], tr, pn)
        for p in net.outputs[t]:
            petri_utils.add_arc_from_to(tr, places[p], pn)
    df = log.to_pandas()
    amap = bp.activity_map()
    df["concept:name"] = df["activity"].map(lambda a: amap.get(a, a))
    df = pm4py.format_dataframe(
        df, case_id="case_id", activity_key="concept:name", timestamp_key="timestamp"
    )
    im = Marking({places[p]: 1 for p in net.initial})
    fm = Marking({places[p]: 1 for p in net.final})
    return pm4py, df, pn, im, fm


def run(name: str, log: so.EventLog, bp: Any, repeat: int) -> None:
    ours_s, ours = _median(lambda: check_conformance(log, bp), repeat)
    pm4py, df, pn, im, fm = _pm4py_setup(log, bp)
    theirs_s, theirs = _median(
        lambda: pm4py.fitness_token_based_replay(df, pn, im, fm), repeat
    )
    assert abs(ours.fitness - theirs["log_fitness"]) < 1e-12, (ours.fitness, theirs)
    print(
        f"{name}: {ours.cases:,} cases, {ours.variants:,} variants, "
        f"fitness {ours.fitness:.6f} (equal)"
    )
    print(
        f"  servops check_conformance {ours_s:.3f} s | PM4Py token replay "
        f"{theirs_s:.3f} s | ratio PM4Py/servops {theirs_s / ours_s:.1f}x"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--demo-cases", type=int, default=30000)
    args = ap.parse_args()
    helpdesk = so.read_log(
        ROOT.parent / "shared" / "data" / "eventlogs" / "helpdesk.xes.gz"
    )
    run(
        "helpdesk",
        helpdesk,
        load_blueprint(ROOT / "docs/examples/helpdesk-blueprint.yaml"),
        args.repeat,
    )
    demo = so.EventLog.from_arrow(
        generate_service_desk(cases=args.demo_cases, seed=7).events
    )
    run(
        f"demo service desk ({args.demo_cases:,} cases)",
        demo,
        load_blueprint(ROOT / "src/servops/demo/blueprint.yaml"),
        args.repeat,
    )


if __name__ == "__main__":
    main()
