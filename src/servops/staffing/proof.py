"""Proof by simulation: run a staffing plan through the digital twin.

Erlang formulas assume every interval is in steady state on its own. A real day is not:
queues carry over from a busy half hour into the next, agents leave mid-queue, service
times are not exponential. :func:`simulate_staffing` runs the plan through servops' own
discrete-event simulator (:func:`servops.sim.schedule_model`: Poisson arrivals at each
interval's rate, a pool whose size follows the plan, optional exponential patience) and
puts the simulated service level per interval beside the Erlang prediction.

The simulator is a peer analysis package; it is imported only when a simulation is
asked for.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from servops._validation import as_rng
from servops.errors import InvalidParameterError
from servops.staffing.erlang import (
    Duration,
    erlang_a,
    erlang_b,
    seconds,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pyarrow as pa

    from servops._typing import Seed
    from servops.staffing.requirements import StaffingPlan

__all__ = [
    "predicted_service_level",
    "simulate_plan",
    "simulate_staffing",
    "steady_state_service_level",
]


def predicted_service_level(
    calls: Sequence[float] | np.ndarray,
    agents: Sequence[int] | np.ndarray,
    *,
    interval: Duration,
    aht: Duration | Sequence[float] | np.ndarray,
    threshold: Duration,
    patience: Duration | None = None,
) -> np.ndarray:
    """Erlang C (or A) service level per interval for the given agents on the queue.

    Intervals with no more agents than the load get 0 under Erlang C (no steady state).

    Examples
    --------
    >>> predicted_service_level(
    ...     [100, 100], [14, 10], interval=1800, aht=180, threshold=20
    ... ).round(4).tolist()
    [0.8884, 0.0]
    """
    c = np.asarray(calls, dtype=float).ravel()
    n = np.asarray(agents).astype(np.int64).ravel()
    iv = seconds(interval, "interval", "predicted_service_level")
    t = seconds(threshold, "threshold", "predicted_service_level", allow_zero=True)
    if isinstance(aht, int | float | timedelta):
        h = np.full(c.size, seconds(aht, "aht", "predicted_service_level"))
    else:
        h = np.asarray(aht, dtype=float).ravel()
    if not (c.size == n.size == h.size):
        msg = (
            "predicted_service_level: calls, agents and aht must have one value per "
            f"interval; got {c.size}, {n.size} and {h.size}."
        )
        raise InvalidParameterError(msg)
    out = np.ones(c.size)
    for i in range(c.size):
        load = c[i] * h[i] / iv
        if load == 0:
            continue
        if patience is not None:
            out[i] = erlang_a(
                int(n[i]), load, aht=h[i], patience=patience, threshold=t
            ).service_level
        elif n[i] <= load:
            out[i] = 0.0
        else:
            b = erlang_b(int(n[i]), load)
            pw = b / (1.0 - (load / n[i]) * (1.0 - b))
            out[i] = 1.0 - pw * math.exp(-(n[i] - load) * t / h[i])
    return out


def simulate_staffing(
    calls: Sequence[float] | np.ndarray,
    agents: Sequence[int] | np.ndarray,
    *,
    interval: Duration,
    aht: Duration,
    threshold: Duration,
    patience: Duration | None = None,
    runs: int = 10,
    seed: Seed = None,
    start: datetime | None = None,
) -> pa.Table:
    """Simulated service level per interval beside the Erlang prediction.

    Parameters
    ----------
    calls
        Expected calls per interval (Poisson arrivals at that rate).
    agents
        Agents on the queue per interval (after shrinkage).
    interval, aht, threshold, patience
        As for the Erlang functions; service times are exponential with mean ``aht``.
    runs
        Independent replications; counts are averaged, the service level pooled.
    seed
        Seed for the replications.
    start
        Wall-clock start of the first interval (labels only).

    Returns
    -------
    pyarrow.Table
        ``interval_start``, ``calls``, ``agents``, ``erlang_service_level``,
        ``simulated_service_level``, ``simulated_offered``, ``simulated_abandoned``,
        ``simulated_mean_wait_s``.
    """
    import pyarrow as pa

    from servops.sim import Distribution, schedule_model, service_level_by_interval
    from servops.sim import simulate as run_sim

    c = np.asarray(calls, dtype=float).ravel()
    n = np.asarray(agents).astype(np.int64).ravel()
    iv = seconds(interval, "interval", "simulate_staffing")
    h = seconds(aht, "aht", "simulate_staffing")
    thr = seconds(threshold, "threshold", "simulate_staffing", allow_zero=True)
    if runs < 1:
        msg = f"The 'runs' parameter of simulate_staffing must be >= 1. Got {runs!r}."
        raise InvalidParameterError(msg)
    t0 = (start or datetime(2024, 1, 1)).replace(tzinfo=UTC)
    model = schedule_model(
        arrivals_per_interval=c.tolist(),
        agents=n.tolist(),
        interval=timedelta(seconds=iv),
        service=Distribution.exponential(h),
        patience=(
            None
            if patience is None
            else Distribution.exponential(
                seconds(patience, "patience", "simulate_staffing")
            )
        ),
        start=t0,
    )
    rng = as_rng(seed)
    results = [run_sim(model, seed=int(rng.integers(2**31))) for _ in range(runs)]
    sim = service_level_by_interval(
        results, threshold=timedelta(seconds=thr), interval=timedelta(seconds=iv)
    )
    k = np.asarray(sim.column("interval").to_numpy(), dtype=np.int64)
    keep = (k >= 0) & (k < c.size)
    sl = np.full(c.size, np.nan)
    offered = np.zeros(c.size)
    abandoned = np.zeros(c.size)
    wait = np.full(c.size, np.nan)
    sl[k[keep]] = np.asarray(
        sim.column("service_level").to_numpy(zero_copy_only=False)
    )[keep]
    offered[k[keep]] = np.asarray(sim.column("offered").to_numpy())[keep]
    abandoned[k[keep]] = np.asarray(sim.column("abandoned").to_numpy())[keep]
    wait[k[keep]] = np.asarray(
        sim.column("mean_wait_s").to_numpy(zero_copy_only=False)
    )[keep]
    erlang = predicted_service_level(
        c, n, interval=iv, aht=h, threshold=thr, patience=patience
    )
    step = np.timedelta64(int(iv), "s")
    base = np.datetime64((start or datetime(2024, 1, 1)).replace(tzinfo=None), "s")
    return pa.table(
        {
            "interval_start": pa.array(base + step * np.arange(c.size)),
            "calls": pa.array(c),
            "agents": pa.array(n),
            "erlang_service_level": pa.array(erlang),
            "simulated_service_level": pa.array(sl, mask=~np.isfinite(sl)),
            "simulated_offered": pa.array(offered),
            "simulated_abandoned": pa.array(abandoned),
            "simulated_mean_wait_s": pa.array(wait, mask=~np.isfinite(wait)),
        }
    )


def simulate_plan(
    plan: StaffingPlan,
    *,
    threshold: Duration,
    agents_on_queue: Sequence[int] | np.ndarray | None = None,
    patience: Duration | None = None,
    runs: int = 10,
    seed: Seed = None,
    start: datetime | None = None,
) -> pa.Table:
    """:func:`simulate_staffing` of a plan's calls, at its call-weighted mean AHT.

    ``agents_on_queue`` defaults to the plan's own; give a schedule's
    (:meth:`~servops.staffing.ShiftSchedule.agents_on_queue`) to check shifts instead.
    """
    return simulate_staffing(
        plan["calls"],
        plan["agents_on_queue"] if agents_on_queue is None else agents_on_queue,
        interval=plan.interval_s,
        aht=plan.mean_aht_s(),
        threshold=threshold,
        patience=patience,
        runs=runs,
        seed=seed,
        start=start,
    )


def steady_state_service_level(
    calls: float,
    agents: int,
    *,
    interval: Duration,
    aht: Duration,
    threshold: Duration,
    patience: Duration | None = None,
    runs: int = 10,
    seed: Seed = None,
) -> float | None:
    """Simulated service level of one interval repeated until it is in steady state.

    Simulates 24 identical intervals and pools all but the first 4 (the queue starts
    empty, which would flatter the first ones). None when no call was simulated.

    Examples
    --------
    >>> sl = steady_state_service_level(
    ...     100, 14, interval=1800, aht=180, threshold=20, runs=4, seed=1
    ... )
    >>> abs(sl - 0.888) < 0.05
    True
    """
    table = simulate_staffing(
        np.full(24, float(calls)),
        np.full(24, int(agents)),
        interval=interval,
        aht=aht,
        threshold=threshold,
        patience=patience,
        runs=runs,
        seed=seed,
    )
    sl = np.asarray(
        table.column("simulated_service_level").to_numpy(zero_copy_only=False), float
    )[4:]
    offered = np.asarray(table.column("simulated_offered").to_numpy(), float)[4:]
    ok = np.isfinite(sl)
    total = float(offered[ok].sum())
    return float(np.sum(sl[ok] * offered[ok]) / total) if total > 0 else None
