r"""A time-varying many-server queue, simulated: :math:`M_t/M/s_t`, first come first served.

Calls arrive as a Poisson process whose rate is constant within each interval
(``calls[k]`` expected in interval :math:`k`), each takes an exponential handle time with
the mean of the interval it arrived in, and :math:`s_k` agents are on the queue during
interval :math:`k`. An agent going off duty finishes the call in hand; after the last
interval the last staffing level holds (or, if it is zero, the largest one) until the
queue is empty, so every call is answered.

This is the simulation the iterative staffing algorithm (:mod:`servops.staffing.isa`)
runs a few hundred times, so it is a small heap loop over arrivals, departures and
staffing changes rather than the digital twin (:mod:`servops.sim`), which writes an event
log per run; ``tests/unit/staffing/test_timevarying.py`` checks the two agree.
Besides the service level per interval it records the number of calls in the system at
fixed points of every interval, the quantity the algorithm staffs from.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass

import numpy as np

from servops._validation import as_rng
from servops.errors import InvalidParameterError

__all__ = ["SimulatedService", "simulate_queue"]


@dataclass(frozen=True, slots=True)
class SimulatedService:
    """What the simulated queue did, per interval, pooled over ``runs`` replications.

    ``offered`` is the mean number of arrivals per run; ``service_level`` the share of
    them answered within the threshold (NaN where nothing arrived); ``mean_wait_s`` the
    mean wait of those arrivals; ``in_system`` holds, per interval, the number of calls
    in the system (waiting or served) at ``grid`` evenly spaced moments of every run.
    """

    offered: np.ndarray
    service_level: np.ndarray
    mean_wait_s: np.ndarray
    in_system: tuple[np.ndarray, ...]
    runs: int


def _one_run(
    arrivals: list[float],
    service: list[float],
    agents: list[int],
    interval_s: float,
) -> list[float]:
    """Start time of every call (FCFS), given arrival and handle times."""
    n = len(arrivals)
    start = [0.0] * n
    final = agents[-1] or max(agents) or 1
    changes = [interval_s * k for k in range(1, len(agents) + 1)]
    levels = [*agents[1:], final]
    busy: list[float] = []  # end times of calls in service
    waiting: deque[int] = deque()
    inf = float("inf")
    cap, i, j = agents[0], 0, 0
    while i < n or waiting:
        ta = arrivals[i] if i < n else inf
        td = busy[0] if busy else inf
        tc = changes[j] if j < len(changes) else inf
        if td <= tc and td <= ta:
            t = td
            heapq.heappop(busy)
        elif tc <= ta:
            t = tc
            cap = levels[j]
            j += 1
        else:
            t = ta
            waiting.append(i)
            i += 1
        while waiting and len(busy) < cap:
            k = waiting.popleft()
            start[k] = t
            heapq.heappush(busy, t + service[k])
    return start


def simulate_queue(
    calls: np.ndarray,
    agents: np.ndarray,
    *,
    interval_s: float,
    aht_s: np.ndarray,
    threshold_s: float,
    runs: int,
    seed: int | np.random.Generator | None = None,
    grid: int = 12,
) -> SimulatedService:
    """Simulate ``runs`` replications of the day and pool them per interval.

    Parameters
    ----------
    calls
        Expected calls per interval.
    agents
        Agents on the queue per interval (same length).
    interval_s
        Interval length in seconds.
    aht_s
        Mean handle time per interval (of the calls arriving in it), seconds.
    threshold_s
        "Answered within" time of the service level, seconds.
    runs
        Replications; the same ``seed`` gives the same arrivals and handle times
        whatever ``agents`` is (common random numbers).
    seed
        Seed of the replications.
    grid
        Moments per interval at which the number in system is sampled.

    Examples
    --------
    >>> out = simulate_queue(
    ...     np.array([100.0] * 4),
    ...     np.array([14] * 4),
    ...     interval_s=1800,
    ...     aht_s=np.full(4, 180.0),
    ...     threshold_s=20,
    ...     runs=20,
    ...     seed=1,
    ... )
    >>> bool(0.8 < out.service_level[1:].mean() < 0.95)
    True
    """
    c = np.asarray(calls, dtype=float)
    s = np.asarray(agents).astype(np.int64)
    h = np.asarray(aht_s, dtype=float)
    if not (c.size == s.size == h.size) or c.size == 0:
        msg = (
            "simulate_queue: calls, agents and aht_s must have one value per interval "
            f"(and at least one); got {c.size}, {s.size} and {h.size}."
        )
        raise InvalidParameterError(msg)
    if runs < 1:
        msg = f"The 'runs' parameter of simulate_queue must be >= 1. Got {runs!r}."
        raise InvalidParameterError(msg)
    rng = as_rng(seed)
    m = c.size
    offered = np.zeros(m)
    within = np.zeros(m)
    waited = np.zeros(m)
    moments = (np.arange(m)[:, None] + (np.arange(grid)[None, :] + 0.5) / grid).ravel()
    moments = moments * interval_s
    samples = np.zeros((runs, m * grid), dtype=np.int64)
    for r in range(runs):
        counts = rng.poisson(c)
        k = np.repeat(np.arange(m), counts)
        arr = (k + rng.random(k.size)) * interval_s
        order = np.argsort(arr, kind="stable")
        arr, k = arr[order], k[order]
        svc = rng.exponential(1.0, k.size) * h[k]
        start = np.asarray(
            _one_run(arr.tolist(), svc.tolist(), s.tolist(), float(interval_s))
        )
        wait = start - arr if k.size else np.zeros(0)
        offered += counts
        within += np.bincount(k, weights=wait <= threshold_s + 1e-9, minlength=m)
        waited += np.bincount(k, weights=wait, minlength=m)
        ends = np.sort(start + svc)
        samples[r] = np.searchsorted(arr, moments, side="right") - np.searchsorted(
            ends, moments, side="right"
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        sl = np.where(offered > 0, within / offered, np.nan)
        mean_wait = np.where(offered > 0, waited / offered, np.nan)
    per_interval = samples.reshape(runs, m, grid).transpose(1, 0, 2).reshape(m, -1)
    return SimulatedService(
        offered=offered / runs,
        service_level=sl,
        mean_wait_s=mean_wait,
        in_system=tuple(per_interval),
        runs=runs,
    )
