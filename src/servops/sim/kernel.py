"""The discrete-event kernel: a plain event loop over a heap.

Why not SimPy or Ciw: a general framework spends most of its time on generators,
process objects and callbacks. Here one loop pops ``(time, key, kind, case, activity,
server)`` tuples from a binary heap and handles a few kinds of event (an activity ends,
a delay ends, a pool's capacity changes, a patience runs out, the horizon). The key is
the case number (a case has at most one pending event of a kind), so ties are broken
the same way every run without a counter. The next arrival is not on the heap at all:
it is one number compared with the heap's top, drawn when the previous case arrives
(arrivals are streamed, never pre-generated). Random numbers come from NumPy in
batches of 4,096 per stream and are handed out one ``next()`` at a time. Each stream
(arrivals, each activity's durations, each routing row…) has its own generator seeded
from ``(seed, name of the stream)``, so a scenario that changes one activity leaves the
others' draws unchanged (common random numbers: the difference between baseline and
scenario is measured with less noise). The loop binds everything it touches to local
names, keeps per-event work to a few list operations, and runs with the cyclic garbage
collector paused (it creates no reference cycles).

Semantics
---------
A case arrives and is routed to its first activity. Entering an activity it first
waits out the activity's ``delay`` (if any; no resource held), then asks the
activity's pool for a person. A free person starts at once; otherwise the case queues
(first come first served, or by priority class). A person works to the end of the
activity even if the pool's capacity drops meanwhile (non-preemptive): the capacity
falls as people finish. A case in a queue whose patience runs out abandons (leaves the
process). When an activity ends the case picks its next activity by the routing
probabilities (second-order rows first), and a case that would visit an activity more
than ``max_visits`` times takes its most likely other successor instead (the loop
guard). The output is one row per activity instance: case, activity, start (the
person took it), end and person.
"""

from __future__ import annotations

import functools
import gc
import heapq
import itertools
import math
import zlib
from array import array
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from servops.errors import InvalidParameterError, SimulationError
from servops.sim.calendars import WEEK_S, StepFunction
from servops.sim.distributions import Distribution
from servops.sim.model import END, Model, Schedule

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    import duckdb

    from servops._typing import Seed

__all__ = ["Kpis", "RawRun", "run_kernel", "seed_int", "stream_rng"]

# Event kinds, most frequent first in the dispatch.
_END, _READY, _CAP, _ABANDON, _STOP = 0, 1, 2, 3, 4
# Case record fields (a list per case in flight).
(
    _ID,
    _ARR,
    _CUR,
    _PREV,
    _READY_T,
    _START_T,
    _RANK,
    _VISITS,
    _TOKEN,
    _GONE,
    _ATTRS,
) = range(11)

_CT_DECADES = (-3, 10)  # cycle-time histogram: 1 ms .. 1e10 s
_CT_PER_DECADE = 400
_FLUSH_ROWS = 1 << 16


def seed_int(seed: Seed) -> int:
    """One integer seed from an int, a Generator or None (fresh entropy)."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63 - 1))
    if seed is None:
        return int(np.random.SeedSequence().entropy % (2**63))  # type: ignore[operator]
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        msg = f"The 'seed' parameter must be an int, a numpy Generator or None. Got {seed!r}."
        raise InvalidParameterError(msg)
    return int(seed)


def stream_rng(seed: int, name: str) -> np.random.Generator:
    """The generator of one named random stream: the same (seed, name), the same draws."""
    return np.random.default_rng([seed & (2**63 - 1), zlib.crc32(name.encode("utf-8"))])


@dataclass(frozen=True, slots=True)
class Kpis:
    """Key figures of one simulation run (seconds; rates per hour).

    ``mean_waiting_time_s`` is per activity instance (enabled → started, which for an
    M/M/c queue is Erlang C's Wq); ``mean_case_waiting_time_s`` is all the waiting in
    the run divided by the finished cases (a case's total wait, when every case
    finishes). ``activity_instances`` counts instances started. Cycle-time quantiles
    come from a log-spaced histogram (400 bins per decade, error below 0.6 %) so that
    memory stays flat in the number of cases.

    These figures are computed while the run streams (so they exist for runs that keep
    no log); on the run's log they equal what :mod:`servops.mining` and
    :mod:`servops.kpi` compute (``tests/unit/sim/test_kpi_parity.py``): cycle time is
    the case's lead time from its arrival, waiting is start − ``enabled_timestamp``.

    ``busy_s`` is each pool's person-seconds of work; ``available_s`` its person-seconds
    present: on shift, or kept past the end of a shift by work in hand (people finish
    what they started). ``utilization = busy_s / available_s`` (never above 1), NaN
    for a pool that was never available.
    """

    cases: int
    arrived: int
    abandoned: int
    in_progress: int
    activity_instances: int
    horizon_s: float
    mean_cycle_time_s: float
    median_cycle_time_s: float
    p90_cycle_time_s: float
    mean_waiting_time_s: float
    mean_case_waiting_time_s: float
    waiting_by_activity_s: dict[str, float]
    utilization: dict[str, float]
    throughput_per_hour: float
    sla_attainment: float | None
    abandonment_rate: float
    busy_s: dict[str, float] = field(default_factory=dict)
    available_s: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "cases": self.cases,
            "arrived": self.arrived,
            "abandoned": self.abandoned,
            "in_progress": self.in_progress,
            "activity_instances": self.activity_instances,
            "horizon_s": self.horizon_s,
            "mean_cycle_time_s": self.mean_cycle_time_s,
            "median_cycle_time_s": self.median_cycle_time_s,
            "p90_cycle_time_s": self.p90_cycle_time_s,
            "mean_waiting_time_s": self.mean_waiting_time_s,
            "mean_case_waiting_time_s": self.mean_case_waiting_time_s,
            "waiting_by_activity_s": dict(self.waiting_by_activity_s),
            "utilization": dict(self.utilization),
            "throughput_per_hour": self.throughput_per_hour,
            "sla_attainment": self.sla_attainment,
            "abandonment_rate": self.abandonment_rate,
            "busy_s": dict(self.busy_s),
            "available_s": dict(self.available_s),
        }


@dataclass
class RawRun:
    """What :func:`run_kernel` returns: KPIs and, if kept, the rows of the log."""

    kpis: Kpis
    activity_names: list[str]
    resource_names: list[str]
    #: Arrow record batches with columns case, activity, start_s, end_s, resource.
    batches: list[Any] = field(default_factory=list)
    #: Per-case attribute codes (one int8 array per attribute), cases numbered from 1.
    case_attrs: dict[str, tuple[list[str | None], np.ndarray]] = field(
        default_factory=dict
    )


def _rate_function(model: Model, week_offset: float) -> StepFunction | None:
    a = model.arrivals
    if a.weekly_per_hour is not None:
        vals = tuple(v / 3600.0 for row in a.weekly_per_hour for v in row)
        times = tuple(i * 3600.0 for i in range(168))
        return StepFunction(times, vals, WEEK_S, -week_offset).compact()
    if a.schedule is not None:
        return _schedule_function(a.schedule)
    return None


def _schedule_function(s: Schedule) -> StepFunction:
    times = tuple(i * s.interval_s for i in range(len(s.values)))
    period = s.interval_s * len(s.values) if s.repeat else None
    return StepFunction(times, s.values, period, 0.0).compact()


def _choice_stream(
    rng: np.random.Generator, targets: list[int], probs: list[float]
) -> Callable[[], int]:
    if len(targets) == 1:
        return itertools.repeat(targets[0]).__next__
    tg = np.asarray(targets, dtype=np.int64)
    p = np.asarray(probs, dtype=float)
    p = p / p.sum()

    def batch() -> list[int]:
        return tg[rng.choice(len(tg), size=4096, p=p)].tolist()  # type: ignore[no-any-return]

    return itertools.chain.from_iterable(iter(batch, None)).__next__


def _has_cycle(n: int, edges: list[set[int]]) -> bool:
    state = [0] * n
    for s in range(n):
        if state[s]:
            continue
        stack: list[tuple[int, Iterator[int]]] = [(s, iter(edges[s]))]
        state[s] = 1
        while stack:
            v, it = stack[-1]
            for w in it:
                if state[w] == 1:
                    return True
                if state[w] == 0:
                    state[w] = 1
                    stack.append((w, iter(edges[w])))
                    break
            else:
                state[v] = 2
                stack.pop()
    return False


def run_kernel(
    model: Model,
    *,
    cases: int | None,
    until_s: float | None,
    seed: int,
    keep_log: bool = True,
    warmup_cases: int = 0,
    sla_s: float | None = None,
    sink: Callable[[Any], None] | None = None,
) -> RawRun:
    """Run ``model`` once. Use :func:`servops.sim.simulate` rather than this.

    Parameters
    ----------
    cases
        Stop admitting cases after this many arrivals (then run until all finish).
    until_s
        Stop at this simulated time (seconds after ``model.start``); cases still in the
        system are left unfinished (their finished activities are kept).
    seed
        The integer seed of every random stream.
    keep_log
        Record the activity instances (otherwise KPIs only, in constant memory).
    warmup_cases
        Leave the first cases out of the KPIs (their activities stay in the log).
    sla_s
        Cycle-time target for ``sla_attainment`` (default ``model.sla_s``).
    sink
        Called with each Arrow record batch of log rows as it fills (instead of keeping
        the batches in the result).
    """
    # The loop makes no reference cycles (cases are lists held by heap tuples), so
    # reference counting frees everything; the cyclic collector would only rescan the
    # interpreter's live objects every few thousand allocations, which costs a third of
    # the run time on a million customers.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_kernel(
            model,
            cases=cases,
            until_s=until_s,
            seed=seed,
            keep_log=keep_log,
            warmup_cases=warmup_cases,
            sla_s=sla_s,
            sink=sink,
        )
    finally:
        if enabled:
            gc.enable()


def _run_kernel(
    model: Model,
    *,
    cases: int | None,
    until_s: float | None,
    seed: int,
    keep_log: bool = True,
    warmup_cases: int = 0,
    sla_s: float | None = None,
    sink: Callable[[Any], None] | None = None,
) -> RawRun:
    """The event loop itself (see :func:`run_kernel`)."""
    # Local names for the constants: the loop reads them as fast locals, not globals.
    (
        f_id,
        f_arr,
        f_cur,
        f_prev,
        f_ready,
        f_start,
        f_rank,
        f_visits,
        f_token,
        f_gone,
        f_attrs,
    ) = (
        _ID,
        _ARR,
        _CUR,
        _PREV,
        _READY_T,
        _START_T,
        _RANK,
        _VISITS,
        _TOKEN,
        _GONE,
        _ATTRS,
    )
    k_end, k_ready, k_cap, k_abandon, k_stop = _END, _READY, _CAP, _ABANDON, _STOP
    import pyarrow as pa

    if (
        cases is None
        and until_s is None
        and not (
            model.arrivals.schedule is not None
            and not model.arrivals.schedule.repeat
            and model.arrivals.schedule.values[-1] == 0
        )
    ):
        msg = (
            "simulate needs 'cases' (number of arrivals) or 'until' (a horizon); "
            "with neither it would never stop."
        )
        raise InvalidParameterError(msg)
    # The number of the last case to arrive (an int, so the loop compares ints).
    n_cases = 2**62 if cases is None else int(cases)
    until = math.inf if until_s is None else float(until_s)
    sla = model.sla_s if sla_s is None else sla_s

    # -- compile the model into flat lists indexed by integers ------------------------
    names = list(model.activities)
    index = {n: i for i, n in enumerate(names)}
    n_act = len(names)
    pool_names = list(model.pools)
    pool_index = {n: i for i, n in enumerate(pool_names)}
    n_pool = len(pool_names)
    acts = [model.activities[n] for n in names]
    pool_of = [pool_index[a.pool] if a.pool is not None else -1 for a in acts]
    dur_next = [
        a.duration.stream(stream_rng(seed, f"duration:{a.name}")).__next__ for a in acts
    ]
    delay_next: list[Callable[[], float] | None] = [
        a.delay.stream(stream_rng(seed, f"delay:{a.name}")).__next__
        if a.delay is not None and not (a.delay.kind == "fixed" and a.delay.mean == 0)
        else None
        for a in acts
    ]
    patience_next: list[Callable[[], float] | None] = [
        a.patience.stream(stream_rng(seed, f"patience:{a.name}")).__next__
        if a.patience is not None
        else None
        for a in acts
    ]
    any_patience = any(p is not None for p in patience_next)
    from_arrival = [a.delay_from == "arrival" for a in acts]
    delay_after: list[dict[int, Callable[[], float]] | None] = [
        {
            (-1 if prev == "start" else index[prev]): d.stream(
                stream_rng(seed, f"delay:{a.name}|{prev}")
            ).__next__
            for prev, d in a.delay_after.items()
        }
        or None
        for a in acts
    ]

    def row(
        probs: Mapping[str, float],
        label: str,
    ) -> tuple[Callable[[], int], list[int]]:
        tg = [-1 if k == END else index[k] for k in probs]
        pr = [float(v) for v in probs.values()]
        order = [t for _, t in sorted(zip(pr, tg, strict=True), key=lambda x: -x[0])]
        return _choice_stream(stream_rng(seed, label), tg, pr), order

    start_next, _ = row(model.routing.start, "route:start")
    route_next: list[Callable[[], int]] = []
    route_fb: list[list[int]] = []
    after_next: list[dict[int, Callable[[], int]] | None] = []
    after_fb: list[dict[int, list[int]]] = []
    visit_rows: list[list[tuple[Callable[[], int], list[int]] | None] | None] = []
    edges: list[set[int]] = [set() for _ in range(n_act)]
    for i, n in enumerate(names):
        fn, order = row(model.routing.successors(n), f"route:{n}")
        route_next.append(fn)
        route_fb.append(order)
        edges[i].update(x for x in order if x >= 0)
        vrows = model.routing.by_visit.get(n)
        if vrows:
            top_visit = max(vrows)
            vlist: list[tuple[Callable[[], int], list[int]] | None] = [None] * (
                top_visit + 1
            )
            for k_visit, probs in vrows.items():
                vlist[k_visit] = row(probs, f"route:{n}#{k_visit}")
                edges[i].update(t for t in vlist[k_visit][1] if t >= 0)  # type: ignore[index]
            visit_rows.append(vlist)
        else:
            visit_rows.append(None)
        rows = model.routing.after.get(n)
        if rows:
            dnext: dict[int, Callable[[], int]] = {}
            dfb: dict[int, list[int]] = {}
            for prev, probs in rows.items():
                key = -1 if prev == "start" else index[prev]
                dnext[key], dfb[key] = row(probs, f"route:{n}|{prev}")
                edges[i].update(x for x in dfb[key] if x >= 0)
            after_next.append(dnext)
            after_fb.append(dfb)
        else:
            after_next.append(None)
            after_fb.append({})
    cyclic = _has_cycle(n_act, edges) or any(v is not None for v in visit_rows)
    max_visits = model.max_visits

    # Case attributes and priority ranks.
    attr_names = list(model.attributes)
    attr_next: list[Callable[[], int]] = []
    attr_values: list[list[str | None]] = []
    for attr in attr_names:
        shares = dict(model.attributes[attr])
        a_vals: list[str | None] = list(shares)
        a_probs = list(shares.values())
        if sum(a_probs) < 1.0 - 1e-9:
            # Shares below 1: the rest of the cases have no value (NULL in the log).
            a_vals.append(None)
            a_probs.append(1.0 - sum(a_probs))
        attr_values.append(a_vals)
        attr_next.append(
            _choice_stream(
                stream_rng(seed, f"attribute:{attr}"), list(range(len(a_vals))), a_probs
            )
        )
    attr_codes: list[array[int]] = [array("h") for _ in attr_names]
    rank_attr: list[int] = []
    rank_of: list[list[int]] = []
    priority = [False] * n_pool
    for p, pn in enumerate(pool_names):
        q = model.pools[pn].queue
        if q is None:
            rank_attr.append(-1)
            rank_of.append([])
            continue
        priority[p] = True
        k = attr_names.index(q.attribute)
        rank_attr.append(k)
        rank = {v: r for r, v in enumerate(q.order)}
        rank_of.append(
            [len(rank) if v is None else rank.get(v, len(rank)) for v in attr_values[k]]
        )

    # Pools: capacity components, free people (a stack), retired people (a heap).
    week_offset = (
        model.start.weekday() * 86400.0
        + model.start.hour * 3600.0
        + model.start.minute * 60.0
        + model.start.second
        + model.start.microsecond / 1e6
    )
    comps: list[list[StepFunction]] = []
    for pn in pool_names:
        pool = model.pools[pn]
        if pool.schedule is not None:
            base = _schedule_function(pool.schedule)
        else:
            cal = pool.calendar.step_function(start_weekday_offset_s=week_offset)
            base = StepFunction(
                cal.times,
                tuple(v * pool.size for v in cal.values),
                cal.period_s,
                cal.origin_s,
            )
        cs = [base]
        for ch in pool.extra:
            win = ch.window.step_function(start_weekday_offset_s=week_offset)
            cs.append(
                StepFunction(
                    win.times,
                    tuple(v * ch.delta for v in win.values),
                    win.period_s,
                    win.origin_s,
                )
            )
        comps.append(cs)
    comp_val = [[f.value_at(0.0) for f in cs] for cs in comps]
    cap = [max(0, round(sum(v))) for v in comp_val]
    size_max = [
        max(model.pools[pn].max_size, cap[p], 1) for p, pn in enumerate(pool_names)
    ]
    res_offset = list(itertools.accumulate([0, *size_max]))[:-1]
    resource_names: list[str] = []
    for p, pn in enumerate(pool_names):
        resource_names.extend(model.pools[pn].resource_names(size_max[p]))
    # People are numbered across pools (the row's resource index), so the loop records
    # the number it holds without an offset.
    free: list[list[int]] = [
        list(range(res_offset[p] + cap[p] - 1, res_offset[p] - 1, -1))
        for p in range(n_pool)
    ]
    off: list[list[int]] = [
        list(range(res_offset[p] + cap[p], res_offset[p] + size_max[p]))
        for p in range(n_pool)
    ]
    owed = [0] * n_pool
    fifo: list[deque[list[Any]]] = [deque() for _ in range(n_pool)]
    pq: list[list[tuple[int, int, list[Any]]]] = [[] for _ in range(n_pool)]
    # Busy time is not summed in the loop: every start of an activity draws one
    # duration from its own stream, so a pool's busy time is the sum of the first
    # (number of starts) draws of its activities' streams, drawn again at the end.
    busy = [0.0] * n_pool
    starts_warm = [0] * n_act  # starts before the end of the warm-up
    # Available person-time: people on shift plus people kept past the end of their
    # shift by work in hand (``owed``: non-preemptive, they leave when they finish).
    # Busy people are always among them, so utilisation = busy / available <= 1.
    cap_area = [0.0] * n_pool
    cap_since = [0.0] * n_pool

    # Arrivals.
    arr_rng = stream_rng(seed, "arrivals")
    rate_fn = _rate_function(model, week_offset)
    ia_next: Callable[[], float] | None = None
    exp1_next: Callable[[], float] = (
        Distribution.exponential(1.0).stream(arr_rng).__next__
    )
    if model.arrivals.rate_per_s is not None:
        ia_next = (
            Distribution.exponential(1.0 / model.arrivals.rate_per_s)
            .stream(arr_rng)
            .__next__
        )
    elif model.arrivals.interarrival is not None:
        ia_next = model.arrivals.interarrival.stream(arr_rng).__next__

    def next_arrival(t: float) -> float:
        assert rate_fn is not None
        e = exp1_next()
        while True:
            lam = rate_fn.value_at(t)
            nc = rate_fn.next_change(t)
            if lam > 0 and e <= lam * (nc - t):
                return t + e / lam
            if nc == math.inf:
                return math.inf
            e -= lam * (nc - t)
            t = nc

    # -- output and statistics --------------------------------------------------------
    # Rows go to a plain list (extending it by a tuple is a copy of six pointers, where
    # an array("d") would convert each number); NumPy converts them once per flush.
    rec: list[float] = []
    rec_extend = rec.extend
    batches: list[Any] = []
    epoch_us = int(model.start.timestamp() * 1_000_000)
    done_rows = [1]

    def flush() -> None:
        if not rec:
            return
        m = np.fromiter(rec, dtype=np.float64, count=len(rec)).reshape(-1, 6)
        ts = pa.timestamp("us", tz="UTC")
        batch = pa.record_batch(
            {
                "seq": pa.array(
                    np.arange(done_rows[0], done_rows[0] + len(m), dtype=np.int64)
                ),
                "case": pa.array(m[:, 0].astype(np.int64)),
                "activity": pa.array(m[:, 1].astype(np.int32)),
                "ready": pa.array(
                    epoch_us + np.round(m[:, 2] * 1e6).astype(np.int64), type=ts
                ),
                "start": pa.array(
                    epoch_us + np.round(m[:, 3] * 1e6).astype(np.int64), type=ts
                ),
                "end": pa.array(
                    epoch_us + np.round(m[:, 4] * 1e6).astype(np.int64), type=ts
                ),
                "resource": pa.array(m[:, 5].astype(np.int32)),
            }
        )
        done_rows[0] += len(m)
        if sink is not None:
            sink(batch)
        else:
            batches.append(batch)
        rec.clear()

    lo, hi = _CT_DECADES
    ct_edges = np.concatenate(
        [[0.0], np.logspace(lo, hi, (hi - lo) * _CT_PER_DECADE + 1)]
    )
    ct_hist = np.zeros(len(ct_edges) - 1, dtype=np.int64)
    ct_buf: list[float] = []
    ct_append = ct_buf.append
    wait_sum = [0.0] * n_act
    wait_n = [0] * n_act
    # Finished cases are summed in batches: [sum of cycle times, within SLA, count].
    # acc[3]: cases finished before the end of the warm-up (left out of the KPIs).
    acc: list[float] = [0.0, 0.0, 0.0, 0.0]
    n_abandoned = 0
    n_arr = 0
    # Cases in the system = arrived - finished (acc[2] + buffered) - abandoned; only
    # counted when it matters (after the last arrival, and for shift changes).
    sla_limit = math.inf if sla is None else sla
    queues: list[Any] = [pq[p] if priority[p] else fifo[p] for p in range(n_pool)]

    def take(p: int) -> list[Any] | None:
        """The next waiting case of pool p that has not abandoned.

        Its patience timer is disarmed by bumping the case's token.
        """
        if priority[p]:
            q2 = pq[p]
            while q2:
                c2 = heapq.heappop(q2)[2]
                if not c2[_GONE]:
                    c2[_TOKEN] += 1
                    return c2
            return None
        q = fifo[p]
        while q:
            c2 = q.popleft()
            if not c2[_GONE]:
                c2[_TOKEN] += 1
                return c2
        return None

    def absorb() -> None:
        """Fold the buffered cycle times into the histogram and the sums."""
        if ct_buf:
            arr = np.asarray(ct_buf)
            np.add(ct_hist, np.histogram(arr, ct_edges)[0], out=ct_hist)
            acc[0] += float(arr.sum())
            acc[1] += float((arr <= sla_limit).sum())
            acc[2] += len(arr)
            ct_buf.clear()

    simple_route = [
        after_next[i] is None and visit_rows[i] is None for i in range(n_act)
    ]

    def route_complex(case: list[Any], a: int) -> tuple[int, list[int]]:
        """The next activity by visit number, then by previous activity, then default."""
        vr = visit_rows[a]
        if vr is not None:
            nv = case[_VISITS].get(a, 1)
            chosen = vr[nv if nv < len(vr) else -1]
            if chosen is not None:
                return chosen[0](), chosen[1]
        rows = after_next[a]
        prev = case[_PREV]
        if rows is not None and prev in rows:
            return rows[prev](), after_fb[a][prev]
        return route_next[a](), route_fb[a]

    def guard(case: list[Any], a_next: int, order: list[int]) -> int:
        """The loop guard: past max_visits, the most likely other successor."""
        vis = case[_VISITS]
        if vis.get(a_next, 0) < max_visits:
            return a_next
        return next((x for x in order if x < 0 or vis.get(x, 0) < max_visits), -1)

    def capacity_change(p: int, k: int, t: float) -> tuple[Any, ...]:
        """Apply a change of pool p's capacity component k at time t.

        Returns the event of that component's next change.
        """
        f = comps[p][k]
        comp_val[p][k] = f.value_at(t)
        new = max(0, round(sum(comp_val[p])))
        cap_area[p] += (cap[p] + owed[p]) * (t - cap_since[p])
        cap_since[p] = t
        diff = new - cap[p]
        cap[p] = new
        if diff > 0:
            take_back = min(owed[p], diff)
            owed[p] -= take_back
            for _ in range(diff - take_back):
                if not off[p]:
                    msg = (
                        f"pool {pool_names[p]!r} ran out of people to put on shift "
                        f"(capacity {new}, size {size_max[p]})"
                    )
                    raise SimulationError(msg)
                free[p].append(heapq.heappop(off[p]))
            # New people take waiting work at once.
            while free[p] and queues[p]:
                c2 = next_waiting[p]()
                if c2 is None:
                    break
                srv = free[p].pop()
                a2 = c2[_CUR]
                c2[_START_T] = t
                wait_sum[a2] += t - c2[_READY_T]
                wait_n[a2] += 1
                heapq.heappush(heap, (t + dur_next[a2](), c2[_ID], _END, c2, a2, srv))
        elif diff < 0:
            drop = -diff
            while drop and free[p]:
                heapq.heappush(off[p], free[p].pop())
                drop -= 1
            owed[p] += drop
        return (f.next_change(t), -1 - 64 * p - k, _CAP, p, k, 0)

    heap: list[tuple[Any, ...]] = []
    push = heapq.heappush
    pop = heapq.heappop
    replace = heapq.heapreplace
    seq = itertools.count().__next__
    inf = math.inf
    for p in range(n_pool):
        for k, f in enumerate(comps[p]):
            nc = f.next_change(0.0)
            if nc < inf:
                push(heap, (nc, -1 - 64 * p - k, k_cap, p, k, 0))

    t_arr = (
        (ia_next() if ia_next is not None else next_arrival(0.0))
        if n_cases > 0
        else inf
    )
    t = 0.0
    cut = False
    keep = keep_log
    pool_free = free
    reset_at = warmup_cases + 1 if warmup_cases > 0 else -1
    # A sentinel keeps the heap non-empty: the loop reads heap[0] without a check;
    # a stop event at the horizon ends the run without a test on every event.
    push(heap, (inf, -(2**62), -1, None, 0, 0))
    if until < inf:
        push(heap, (until, -(2**61), k_stop, None, 0, 0))
    # How a case enters each activity: 0 a pool, first come first served, nobody
    # abandons, no visits to count (the fast path); 1 no pool; 2 a delay first; 3 a
    # pool with priorities or patience, or in a model with loops.
    mode = [
        2
        if delay_next[i] is not None or delay_after[i] is not None
        else 1
        if pool_of[i] < 0
        else 3
        if priority[pool_of[i]] or patience_next[i] is not None or cyclic
        else 0
        for i in range(n_act)
    ]
    # The next waiting case: a deque's popleft where nobody abandons and there are no
    # priorities, otherwise take() (which skips cases that gave up).
    next_waiting: list[Callable[[], list[Any] | None]] = [
        fifo[p].popleft
        if not priority[p] and not any_patience
        else functools.partial(take, p)
        for p in range(n_pool)
    ]
    # Where a person who finishes an activity simply takes the first waiting case or
    # goes idle: a pool whose capacity never changes, first come first served, in a
    # model where nobody abandons. (None: decide on the general path.)
    plain_pool = [
        not priority[p]
        and not any_patience
        and all(f.next_change(0.0) == inf for f in comps[p])
        for p in range(n_pool)
    ]
    hand_q: list[deque[list[Any]] | None] = [
        fifo[p] if p >= 0 and plain_pool[p] else None for p in pool_of
    ]
    free_of = [free[p] if p >= 0 else [] for p in pool_of]
    fifo_of = [fifo[p] if p >= 0 else deque() for p in pool_of]
    # Activities with one possible successor need no random draw (-2: draw one; in a
    # model with loops only the end is fixed, other successors go through the guard).
    fixed_next = [
        route_fb[i][0]
        if simple_route[i]
        and len(route_fb[i]) == 1
        and (route_fb[i][0] < 0 or not cyclic)
        else -2
        for i in range(n_act)
    ]
    start_fixed = (
        index[next(iter(model.routing.start))] if len(model.routing.start) == 1 else -1
    )
    const_ia = ia_next is not None
    # Decided once: a case needs no attributes or visit counts, its first activity is
    # fixed and the gaps between arrivals are i.i.d.
    plain_arrival = (
        const_ia
        and start_fixed >= 0
        and not attr_names
        and not cyclic
        and not any_patience
        and not any(priority)
    )
    case: list[Any]
    next_check = (
        min(0x1000, reset_at, n_cases) if reset_at > 0 else min(0x1000, n_cases)
    )
    while True:
        top = heap[0]
        if t_arr <= top[0]:
            # ---- a case arrives ------------------------------------------------------
            if t_arr == inf:
                break
            t = t_arr
            n_arr += 1
            if plain_arrival:
                # Only the first six fields: nothing reads rank, visits, token,
                # abandonment or attributes in such a model.
                case = [n_arr, t, -1, -1, t, t]
                t_arr = t + ia_next()  # type: ignore[misc]
                a = start_fixed
            else:
                case = [n_arr, t, -1, -1, t, t, 0, None, 0, False, None]
                if attr_names:
                    codes = [fn() for fn in attr_next]
                    case[f_attrs] = codes
                    if keep:
                        for k, c in enumerate(codes):
                            attr_codes[k].append(c)
                if cyclic:
                    case[f_visits] = {}
                t_arr = t + ia_next() if const_ia else next_arrival(t)  # type: ignore[misc]
                a = start_fixed if start_fixed >= 0 else start_next()
            if n_arr >= next_check:
                # Every 4,096 arrivals, at the end of the warm-up and at the last case.
                if n_arr == n_cases:
                    t_arr = inf  # the draw above, past the last case, is not used
                if n_arr & 0xFFF == 0:
                    if keep and len(rec) > _FLUSH_ROWS * 6:
                        flush()
                    absorb()
                if n_arr == reset_at:
                    # End of the warm-up: statistics start afresh from here.
                    starts_warm[:] = wait_n
                    wait_sum[:] = [0.0] * n_act
                    wait_n[:] = [0] * n_act
                    ct_hist[:] = 0
                    acc[:] = [0.0, 0.0, 0.0, acc[3] + acc[2] + len(ct_buf)]
                    ct_buf.clear()
                next_check = min((n_arr | 0xFFF) + 1, n_cases)
                if n_arr < reset_at < next_check:
                    next_check = reset_at
        else:
            # The event stays on the heap until it is handled: an activity end whose
            # person takes the next waiting case replaces it by that case's end (one
            # sift instead of a pop and a push); every other path pops it first.
            t, _, kind, case, a, srv = top
            if kind == k_end:
                if keep:
                    rec_extend(
                        (
                            case[f_id],
                            a,
                            case[f_ready],
                            case[f_start],
                            t,
                            srv,
                        )
                    )
                q = hand_q[a]
                if q:
                    # A plain pool with cases waiting: the person takes the first.
                    c2 = q.popleft()
                    a2 = c2[f_cur]
                    c2[f_start] = t
                    wait_sum[a2] += t - c2[f_ready]
                    wait_n[a2] += 1
                    replace(heap, (t + dur_next[a2](), c2[f_id], k_end, c2, a2, srv))
                elif q is not None:
                    # A plain pool with nobody waiting: the person goes idle.
                    pop(heap)
                    free_of[a].append(srv)
                elif srv >= 0:
                    # The person takes the next waiting case, or goes idle or off shift.
                    p = pool_of[a]
                    if owed[p]:
                        # Off shift after finishing: present (available) until now.
                        pop(heap)
                        cap_area[p] += (cap[p] + owed[p]) * (t - cap_since[p])
                        cap_since[p] = t
                        owed[p] -= 1
                        heapq.heappush(off[p], srv)
                    elif queues[p]:
                        c2 = next_waiting[p]()
                        if c2 is None:
                            pop(heap)
                            pool_free[p].append(srv)
                        else:
                            a2 = c2[f_cur]
                            c2[f_start] = t
                            wait_sum[a2] += t - c2[f_ready]
                            wait_n[a2] += 1
                            replace(
                                heap, (t + dur_next[a2](), c2[f_id], k_end, c2, a2, srv)
                            )
                    else:
                        pop(heap)
                        pool_free[p].append(srv)
                else:
                    pop(heap)
                # Route the case onward.
                a_next = fixed_next[a]
                if a_next == -2:
                    if simple_route[a]:
                        a_next = route_next[a]()
                        fb = route_fb[a]
                    else:
                        a_next, fb = route_complex(case, a)
                    if cyclic and a_next >= 0:
                        a_next = guard(case, a_next, fb)
                if a_next < 0:
                    # ---- the case is done ------------------------------------------
                    ct_append(t - case[f_arr])
                    if (
                        t_arr == inf
                        and n_arr - len(ct_buf) - acc[2] - acc[3] - n_abandoned == 0
                    ):
                        break
                    continue
                case[f_prev] = a
                a = a_next
            elif kind == k_ready:
                # The delay is over: ask the pool for a person.
                pop(heap)
                p = pool_of[a]
                if p < 0 or pool_free[p]:
                    srv = pool_free[p].pop() if p >= 0 else -1
                    case[f_start] = t
                    wait_sum[a] += t - case[f_ready]
                    wait_n[a] += 1
                    push(heap, (t + dur_next[a](), case[f_id], k_end, case, a, srv))
                else:
                    if priority[p]:
                        heapq.heappush(pq[p], (case[f_rank], seq(), case))
                    else:
                        fifo[p].append(case)
                    pat = patience_next[a]
                    if pat is not None:
                        push(
                            heap,
                            (t + pat(), case[f_id], k_abandon, case, a, case[f_token]),
                        )
                continue
            elif kind == k_cap:
                # For a capacity change, "case" is the pool and "a" the part.
                pop(heap)
                nxt_ev = capacity_change(case, a, t)  # type: ignore[arg-type]
                if nxt_ev[0] < inf and (
                    t_arr < inf
                    or n_arr - len(ct_buf) - acc[2] - acc[3] - n_abandoned > 0
                ):
                    push(heap, nxt_ev)
                continue
            elif kind == k_abandon:
                pop(heap)
                if case[f_token] != srv or case[f_gone]:
                    continue
                case[f_gone] = True
                n_abandoned += 1
                if keep:  # resource -2 marks an abandonment (kept out of the events)
                    rec_extend((case[f_id], a, case[f_ready], t, t, -2))
                if (
                    t_arr == inf
                    and n_arr - len(ct_buf) - acc[2] - acc[3] - n_abandoned == 0
                ):
                    break
                continue
            else:  # the stop event at the horizon
                pop(heap)
                cut = True
                break
        # ---- the case enters activity a at time t -----------------------------------
        if mode[a] == 0:
            pf = free_of[a]
            if pf:
                srv = pf.pop()
                case[f_ready] = case[f_start] = t
                wait_n[a] += 1
                push(heap, (t + dur_next[a](), case[f_id], k_end, case, a, srv))
            else:
                case[f_cur] = a
                case[f_ready] = t
                fifo_of[a].append(case)
            continue
        if cyclic:
            vis = case[f_visits]
            vis[a] = vis.get(a, 0) + 1
        md = mode[a]
        if md == 1:
            case[f_ready] = case[f_start] = t
            wait_n[a] += 1
            push(heap, (t + dur_next[a](), case[f_id], k_end, case, a, -1))
        elif md == 3:
            case[f_cur] = a
            case[f_ready] = t
            p = pool_of[a]
            if priority[p]:
                case[f_rank] = rank_of[p][case[f_attrs][rank_attr[p]]]
            if pool_free[p]:
                srv = pool_free[p].pop()
                case[f_start] = t
                wait_n[a] += 1
                push(heap, (t + dur_next[a](), case[f_id], k_end, case, a, srv))
            else:
                if priority[p]:
                    heapq.heappush(pq[p], (case[f_rank], seq(), case))
                else:
                    fifo[p].append(case)
                pat = patience_next[a]
                if pat is not None:
                    push(
                        heap, (t + pat(), case[f_id], k_abandon, case, a, case[f_token])
                    )
        else:
            case[f_cur] = a
            case[f_ready] = t
            p = pool_of[a]
            if p >= 0 and priority[p]:
                case[f_rank] = rank_of[p][case[f_attrs][rank_attr[p]]]
            dfn = delay_next[a]
            dmap = delay_after[a]
            if dmap is not None:
                dfn = dmap.get(case[f_prev], dfn)
            assert dfn is not None
            tr = t + dfn() if not from_arrival[a] else max(t, case[f_arr] + dfn())
            push(heap, (tr, case[f_id], k_ready, case, a, 0))

    # -- wrap up ------------------------------------------------------------------------
    horizon = until if cut else t
    for i, act in enumerate(acts):
        n_started = starts_warm[i] + wait_n[i]
        if pool_of[i] >= 0 and n_started:
            busy[pool_of[i]] += act.duration.drawn_total(
                stream_rng(seed, f"duration:{act.name}"), n_started
            )
    if cut:
        # Work still in progress at the horizon counts only up to it. The overshoot
        # is summed exactly (fsum), so the result does not depend on the heap's
        # internal layout.
        over: list[list[float]] = [[] for _ in range(n_pool)]
        for ev in heap:
            if ev[2] == k_end and ev[5] >= 0 and ev[0] < inf:
                over[pool_of[ev[4]]].append(max(0.0, ev[0] - horizon))
        for p in range(n_pool):
            if over[p]:
                busy[p] -= math.fsum(over[p])
    if keep:
        flush()
    absorb()
    ct_sum, sla_ok, n_done = acc[0], int(acc[1]), int(acc[2])
    for p in range(n_pool):
        cap_area[p] += (cap[p] + owed[p]) * (horizon - cap_since[p])
    if any(v < -1e-6 for v in busy):
        msg = f"negative busy time in pools {busy}"
        raise SimulationError(msg)

    def quantile(q: float) -> float:
        total = int(ct_hist.sum())
        if total == 0:
            return math.nan
        k = int(np.searchsorted(np.cumsum(ct_hist), q * total))
        k = min(k, len(ct_hist) - 1)
        lo_e, hi_e = ct_edges[k], ct_edges[k + 1]
        return float(math.sqrt(lo_e * hi_e) if lo_e > 0 else hi_e / 2)

    total_waits = sum(wait_n)
    kpis = Kpis(
        cases=n_done,
        arrived=n_arr,
        abandoned=n_abandoned,
        in_progress=n_arr - n_done - int(acc[3]) - n_abandoned,
        activity_instances=sum(wait_n),
        horizon_s=horizon,
        mean_cycle_time_s=ct_sum / n_done if n_done else math.nan,
        median_cycle_time_s=quantile(0.5),
        p90_cycle_time_s=quantile(0.9),
        mean_waiting_time_s=sum(wait_sum) / total_waits if total_waits else math.nan,
        mean_case_waiting_time_s=sum(wait_sum) / n_done if n_done else math.nan,
        waiting_by_activity_s={
            names[i]: wait_sum[i] / wait_n[i] for i in range(n_act) if wait_n[i]
        },
        utilization={
            pool_names[p]: (busy[p] / cap_area[p] if cap_area[p] > 0 else math.nan)
            for p in range(n_pool)
        },
        throughput_per_hour=n_done / horizon * 3600.0 if horizon > 0 else math.nan,
        sla_attainment=(sla_ok / n_done if n_done else math.nan)
        if sla is not None
        else None,
        abandonment_rate=n_abandoned / n_arr if n_arr else 0.0,
        busy_s={pool_names[p]: busy[p] for p in range(n_pool)},
        available_s={pool_names[p]: cap_area[p] for p in range(n_pool)},
    )
    raw = RawRun(
        kpis=kpis, activity_names=names, resource_names=resource_names, batches=batches
    )
    for k, nm in enumerate(attr_names):
        raw.case_attrs[nm] = (
            attr_values[k],
            np.frombuffer(attr_codes[k], dtype=np.int16),
        )
    return raw


def load_batches(
    con: duckdb.DuckDBPyConnection, table: str, batches: list[Any]
) -> None:
    """Append record batches to a raw-rows table (created on first use)."""
    import pyarrow as pa

    if not batches:
        return
    tbl = pa.Table.from_batches(batches)
    con.register("__sim_batch", tbl)
    try:
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {table} AS SELECT * FROM __sim_batch LIMIT 0"
        )
        con.execute(f"INSERT INTO {table} SELECT * FROM __sim_batch")
    finally:
        con.unregister("__sim_batch")
