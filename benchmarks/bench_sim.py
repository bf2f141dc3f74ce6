"""Simulation kernel: servops against SimPy and Prosimos, and memory against run length.

    /work/venv/bin/python benchmarks/bench_sim.py [--customers 1000000] [--repeat 3]
        [--prosimos-python /tmp/prosimos-venv/bin/python] [--skip-simpy]

1. **M/M/10 at ρ = 0.95** (λ = 9.5/min, μ = 1/min), the model of
   ``docs/examples/mmc.yaml``: servops (KPIs only, and with the event log built in
   DuckDB) against the same queue written in SimPy the usual way (a process per
   customer, ``Resource.request``). Median wall time of ``--repeat`` runs each; mean
   waits are printed beside Erlang C (1.651171 min) as a check.
2. **A discovered model, 10,000 cases**: the twin of BPIC 2012 from
   ``discover_model``, reduced to what Prosimos can express (first-order routing as XOR
   gateways, each activity's work time as a lognormal with the fitted mean and sd,
   no delays, pools with 24/7 calendars, Poisson arrivals at the log's mean rate). Both
   engines run that same model; we compare activity instances (log rows) per CPU
   second. Prosimos has no licence, so it is never a dependency: it runs in its own
   virtual environment (``python -m venv /tmp/prosimos-venv &&
   /tmp/prosimos-venv/bin/pip install prosimos``) — installing it into the project venv
   would downgrade scikit-learn, polars and pyarrow for everyone.
3. **Memory**: peak RSS of a fresh process simulating M/M/10 with 100k and with 1M
   customers (KPIs only: the kernel streams arrivals and keeps only cases in flight).
4. **Why the streamed KPIs** (``--only parity``): the same M/M/10 run's mean wait and
   cycle time streamed by the kernel (``keep_log=False``) against building the log and
   computing them with ``mining.activity_times`` (what they equal:
   ``tests/unit/sim/test_kpi_parity.py``); the figures are printed side by side.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import servops as so  # noqa: E402
from servops.sim import load_model, simulate  # noqa: E402
from servops.sim.model import END, Activity, Arrivals, Model, Pool, Routing  # noqa: E402

MMC = ROOT / "docs" / "examples" / "mmc.yaml"
WQ_MIN = 1.651171


def simpy_mmc(n: int, seed: int) -> tuple[float, float, float]:
    """The M/M/10 queue in SimPy; returns (wall s, CPU s, mean wait in minutes)."""
    import simpy

    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=10)
    total = [0.0]

    def customer(service: float):
        arrive = env.now
        with servers.request() as req:
            yield req
            total[0] += env.now - arrive
            yield env.timeout(service)

    def source():
        # Draws come in batches, as servops' do: the comparison is about the engine.
        for k in range(0, n, 4096):
            m = min(4096, n - k)
            ia = rng.exponential(1 / 9.5, m).tolist()
            sv = rng.exponential(1.0, m).tolist()
            for i in range(m):
                yield env.timeout(ia[i])
                env.process(customer(sv[i]))

    t0, c0 = time.perf_counter(), time.process_time()
    env.process(source())
    env.run()
    return time.perf_counter() - t0, time.process_time() - c0, total[0] / n


def servops_mmc(n: int, seed: int, *, keep_log: bool) -> tuple[float, float, float]:
    model = load_model(MMC)
    t0, c0 = time.perf_counter(), time.process_time()
    run = simulate(model, cases=n, seed=seed, keep_log=keep_log)
    if keep_log:
        run.log.n_events()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return wall, cpu, run.kpis.mean_waiting_time_s / 60


def bench_mmc(n: int, repeat: int, *, skip_simpy: bool) -> dict[str, Any]:
    # The engines take turns within each repeat, so that a change in the load of a
    # shared machine falls on both rather than on whichever ran last.
    out: dict[str, Any] = {}
    ours, ours_log, peer = [], [], []
    for s in range(repeat):
        ours.append(servops_mmc(n, s, keep_log=False))
        ours_log.append(servops_mmc(n, s, keep_log=True))
        if not skip_simpy:
            peer.append(simpy_mmc(n, s))
    out["servops_s"] = statistics.median(t for t, _, _ in ours)
    out["servops_cpu_s"] = statistics.median(c for _, c, _ in ours)
    out["servops_log_s"] = statistics.median(t for t, _, _ in ours_log)
    out["servops_log_cpu_s"] = statistics.median(c for _, c, _ in ours_log)
    out["servops_wq_min"] = statistics.mean(w for _, _, w in ours)
    if peer:
        out["simpy_s"] = statistics.median(t for t, _, _ in peer)
        out["simpy_cpu_s"] = statistics.median(c for _, c, _ in peer)
        out["simpy_wq_min"] = statistics.mean(w for _, _, w in peer)
        out["ratio"] = out["simpy_s"] / out["servops_s"]
        out["ratio_with_log"] = out["simpy_s"] / out["servops_log_s"]
        out["ratio_cpu"] = out["simpy_cpu_s"] / out["servops_cpu_s"]
    return out


# -- the discovered model, in both engines ------------------------------------------------
def benchmark_model() -> Model:
    """BPIC 2012's twin, reduced to what Prosimos expresses (see the module docstring)."""
    log = so.read_log(ROOT.parent / "shared" / "data" / "eventlogs" / "bpic2012.xes.gz")
    full = so.sim.discover_model(log, calendars=False)
    acts: dict[str, Activity] = {}
    for name, a in full.activities.items():
        mean = max(a.duration.mean_s, 1.0)
        sd = a.duration.sd if a.duration.kind in ("lognormal", "gamma") else mean
        acts[name] = Activity(
            name=name,
            pool=a.pool or "system",
            duration=so.sim.Distribution.lognormal(mean, max(sd, 1.0)),
        )
    pools = {p.name: Pool(name=p.name, size=p.size) for p in full.pools.values()}
    pools["system"] = Pool(name="system", size=20)
    return Model(
        activities=acts,
        pools=pools,
        routing=Routing(start=full.routing.start, next=full.routing.next),
        arrivals=Arrivals(rate_per_s=full.arrivals.mean_rate_per_s),
        name="bpic2012 twin (first order)",
        start=full.start,
        max_visits=1000,
    )


def to_prosimos(model: Model, folder: Path) -> tuple[Path, Path]:
    """Write the model as a Prosimos BPMN file and JSON parameters."""
    ids = {a: f"task_{i}" for i, a in enumerate(model.activities)}
    flows: list[tuple[str, str, str]] = []
    gateways: list[dict[str, Any]] = []
    xml_gw: list[str] = []

    def target(name: str) -> str:
        return "g_end" if name == END else ids[name]

    def split(src: str, gid: str, probs: dict[str, float]) -> None:
        if len(probs) == 1:
            flows.append((f"f{len(flows)}", src, target(next(iter(probs)))))
            return
        xml_gw.append(f'<exclusiveGateway id="{gid}" gatewayDirection="Diverging"/>')
        flows.append((f"f{len(flows)}", src, gid))
        probabilities = []
        for name, p in probs.items():
            fid = f"f{len(flows)}"
            flows.append((fid, gid, target(name)))
            probabilities.append({"path_id": fid, "value": p})
        gateways.append({"gateway_id": gid, "probabilities": probabilities})

    split("start", "g_start", dict(model.routing.start))
    for a in model.activities:
        split(ids[a], f"g_{ids[a]}", dict(model.routing.successors(a)))
    flows.append((f"f{len(flows)}", "g_end", "end"))
    tasks = "".join(f'<task id="{i}" name="{a}"/>' for a, i in ids.items())
    seq = "".join(
        f'<sequenceFlow id="{f}" sourceRef="{s}" targetRef="{t}"/>' for f, s, t in flows
    )
    bpmn = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
        'targetNamespace="http://servops/bench"><process id="p" isExecutable="true">'
        '<startEvent id="start"/><endEvent id="end"/>'
        '<exclusiveGateway id="g_end" gatewayDirection="Converging"/>'
        f"{''.join(xml_gw)}{tasks}{seq}</process></definitions>"
    )
    week = [
        {
            "from": "MONDAY",
            "to": "SUNDAY",
            "beginTime": "00:00:00",
            "endTime": "23:59:59",
        }
    ]
    params = {
        "resource_profiles": [
            {
                "id": p.name,
                "name": p.name,
                "resource_list": [
                    {
                        "id": f"{p.name}_r",
                        "name": f"{p.name}_r",
                        "amount": p.size,
                        "cost_per_hour": 1,
                        "calendar": "247",
                        "assignedTasks": [
                            ids[a]
                            for a, act in model.activities.items()
                            if act.pool == p.name
                        ],
                    }
                ],
            }
            for p in model.pools.values()
        ],
        "arrival_time_distribution": {
            "distribution_name": "expon",
            "distribution_params": [
                {"value": 1 / model.arrivals.mean_rate_per_s},
                {"value": 0},
                {"value": 1e9},
            ],
        },
        "arrival_time_calendar": week,
        "gateway_branching_probabilities": gateways,
        "task_resource_distribution": [
            {
                "task_id": ids[a],
                "resources": [
                    {
                        "resource_id": f"{act.pool}_r",
                        "distribution_name": "lognorm",
                        "distribution_params": [
                            {"value": act.duration.mean_s},
                            {"value": act.duration.sd**2},
                            {"value": 0},
                            {"value": 1e9},
                        ],
                    }
                ],
            }
            for a, act in model.activities.items()
        ],
        "resource_calendars": [{"id": "247", "name": "247", "time_periods": week}],
        "gateway_execution_limit": 1000,
    }
    b, j = folder / "model.bpmn", folder / "params.json"
    b.write_text(bpmn, encoding="utf-8")
    j.write_text(json.dumps(params), encoding="utf-8")
    return b, j


PROSIMOS_RUNNER = """
import sys, time, json, csv
from prosimos.simulation_engine import run_simulation
bpmn, params, cases, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
t0, c0 = time.perf_counter(), time.process_time()
run_simulation(bpmn, params, cases, stat_out_path=out + ".stats.csv", log_out_path=out,
               starting_at="2011-10-03T00:00:00.000000+00:00")
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
with open(out) as f:
    rows = sum(1 for _ in f) - 1
print(json.dumps({"wall_s": wall, "cpu_s": cpu, "rows": rows}))
"""


def bench_prosimos(
    cases: int, repeat: int, prosimos_python: str | None
) -> dict[str, Any]:
    model = benchmark_model()
    out: dict[str, Any] = {
        "model": model.name,
        "activities": len(model.activities),
        "pools": {p: m.size for p, m in model.pools.items()},
    }
    runs = []
    for s in range(repeat):
        c0 = time.process_time()
        run = simulate(model, cases=cases, seed=s)
        rows = run.log.n_events()
        runs.append((time.process_time() - c0, rows))
    cpu = statistics.median(c for c, _ in runs)
    rows = int(statistics.median(r for _, r in runs))
    out["servops_cpu_s"] = cpu
    out["servops_rows"] = rows
    out["servops_events_per_cpu_s"] = rows / cpu
    if not prosimos_python or not Path(prosimos_python).exists():
        out["prosimos"] = f"not run: no Prosimos interpreter at {prosimos_python!r}"
        return out
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bpmn, params = to_prosimos(model, folder)
        script = folder / "run.py"
        script.write_text(PROSIMOS_RUNNER, encoding="utf-8")
        peer = []
        for _ in range(max(1, min(repeat, 2))):
            proc = subprocess.run(
                [
                    prosimos_python,
                    str(script),
                    str(bpmn),
                    str(params),
                    str(cases),
                    str(folder / "log.csv"),
                ],
                capture_output=True,
                text=True,
                timeout=1800,
                check=False,
            )
            if proc.returncode != 0:
                out["prosimos"] = "failed: " + proc.stderr.strip()[-800:]
                return out
            peer.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    p_cpu = statistics.median(p["cpu_s"] for p in peer)
    p_rows = int(statistics.median(p["rows"] for p in peer))
    out["prosimos_cpu_s"] = p_cpu
    out["prosimos_rows"] = p_rows
    out["prosimos_events_per_cpu_s"] = p_rows / p_cpu
    out["ratio"] = out["servops_events_per_cpu_s"] / out["prosimos_events_per_cpu_s"]
    return out


MEM_RUNNER = """
import sys, time
sys.path.insert(0, {root!r})
from servops.sim import load_model, simulate
m = load_model({mmc!r})
t0 = time.perf_counter()
simulate(m, cases={n}, seed=1, keep_log={keep})
secs = time.perf_counter() - t0
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec from the parent.
with open("/proc/self/status") as f:
    hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
print(secs, hwm / 1024)
"""


def bench_memory(sizes: tuple[int, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for keep in (False, True):
        for n in sizes:
            code = MEM_RUNNER.format(
                root=str(ROOT / "src"), mmc=str(MMC), n=n, keep=keep
            )
            proc = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            )
            secs, mb = (float(x) for x in proc.stdout.split())
            out[f"{'log' if keep else 'kpis'}_{n}"] = {"seconds": secs, "peak_mb": mb}
    return out


def bench_parity(n: int, repeat: int) -> dict[str, Any]:
    """Streamed KPIs against the log + mining path, on the same run (same seed)."""
    model = load_model(MMC)
    streamed, mined = [], []
    for s in range(repeat):
        t0 = time.perf_counter()
        k = simulate(model, cases=n, seed=s, keep_log=False).kpis
        streamed.append((time.perf_counter() - t0, k))
        t0 = time.perf_counter()
        run = simulate(model, cases=n, seed=s)
        times = so.mining.activity_times(run.log)
        mined.append((time.perf_counter() - t0, times))
    k, times = streamed[-1][1], mined[-1][1]
    return {
        "streamed_s": statistics.median(t for t, _ in streamed),
        "log_and_mining_s": statistics.median(t for t, _ in mined),
        "streamed_wait_s": k.mean_waiting_time_s,
        "mining_wait_s": times.activities[0].waiting_mean_s,
        "streamed_cycle_s": k.mean_cycle_time_s,
        "mining_cycle_s": times.case_duration.mean_s,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--prosimos-python", default="/tmp/prosimos-venv/bin/python")
    ap.add_argument("--skip-simpy", action="store_true")
    ap.add_argument(
        "--only", choices=["mmc", "prosimos", "memory", "parity"], default=None
    )
    args = ap.parse_args()
    results: dict[str, Any] = {}
    if args.only in (None, "mmc"):
        r = bench_mmc(args.customers, args.repeat, skip_simpy=args.skip_simpy)
        results["mmc"] = r
        print(
            f"M/M/10 rho=0.95, {args.customers:,} customers (median of {args.repeat}):"
        )
        print(
            f"  servops (KPIs)      {r['servops_s']:.2f} s   Wq {r['servops_wq_min']:.3f} min"
            f" (Erlang C {WQ_MIN})"
        )
        print(f"  servops (with log)  {r['servops_log_s']:.2f} s")
        if "simpy_s" in r:
            print(
                f"  SimPy               {r['simpy_s']:.2f} s   Wq {r['simpy_wq_min']:.3f} min"
            )
            print(
                f"  SimPy / servops     {r['ratio']:.1f}x  (with log: "
                f"{r['ratio_with_log']:.1f}x; CPU time, KPIs: {r['ratio_cpu']:.1f}x)"
            )
    if args.only in (None, "prosimos"):
        r = bench_prosimos(args.cases, args.repeat, args.prosimos_python)
        results["prosimos"] = r
        print(f"Discovered model ({r['model']}), {args.cases:,} cases:")
        print(
            f"  servops   {r['servops_rows']:,} rows, {r['servops_cpu_s']:.2f} CPU s, "
            f"{r['servops_events_per_cpu_s']:,.0f} events/CPU s"
        )
        if "ratio" in r:
            print(
                f"  Prosimos  {r['prosimos_rows']:,} rows, {r['prosimos_cpu_s']:.2f} CPU s, "
                f"{r['prosimos_events_per_cpu_s']:,.0f} events/CPU s"
            )
            print(f"  servops / Prosimos  {r['ratio']:.1f}x events per CPU second")
        else:
            print(f"  Prosimos  {r['prosimos']}")
    if args.only in (None, "memory"):
        r = bench_memory((100_000, 1_000_000))
        results["memory"] = r
        print("Peak RSS (fresh process, M/M/10):")
        for k, v in r.items():
            print(f"  {k:>14}: {v['peak_mb']:7.0f} MB  ({v['seconds']:.2f} s)")
    if args.only in (None, "parity"):
        r = bench_parity(args.customers, args.repeat)
        results["parity"] = r
        print(f"M/M/10, {args.customers:,} customers: streamed KPIs vs log + mining")
        print(
            f"  streamed         {r['streamed_s']:.2f} s   wait {r['streamed_wait_s']:.3f} s"
            f"   cycle {r['streamed_cycle_s']:.3f} s"
        )
        print(
            f"  log + mining     {r['log_and_mining_s']:.2f} s   wait "
            f"{r['mining_wait_s']:.3f} s   cycle {r['mining_cycle_s']:.3f} s"
        )
    print(
        json.dumps(
            results,
            default=lambda x: (
                None if isinstance(x, float) and not math.isfinite(x) else x
            ),
        )
    )


if __name__ == "__main__":
    main()
