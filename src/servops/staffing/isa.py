r"""Staffing a time-varying queue by simulation: the iterative staffing algorithm (ISA).

Per-interval Erlang C (the "stationary independent period-by-period" approximation)
staffs every interval as if it were in steady state on its own. That holds when calls
are short against the interval (a call centre: AHT 3 min, 30-min intervals). At a ticket
desk a ticket takes 30-60 minutes and the target is "first response within 2 h":
the queue of one hour is still there the next, and Erlang per interval can promise 85 %
where the simulated desk answers almost nobody in time.

The ISA of Feldman, Mandelbaum, Massey and Whitt (2008) staffs from what a simulation of
the whole day shows instead. With staffing :math:`s^{(n)}`, simulate the day
(:mod:`servops.staffing.timevarying`), record the number in system :math:`L^{(n)}_k` at
moments of every interval :math:`k`, and set

.. math:: s^{(n+1)}_k = \min\{\, s : \widehat{\mathrm{SL}}_k(s) \ge \beta \,\},
   \qquad
   \widehat{\mathrm{SL}}_k(s) = \mathbb{E}\Big[\mathbf{1}\{L < s\} +
   \mathbf{1}\{L \ge s\}\,P\big(\mathrm{Pois}(sT/\mathrm{AHT}_k) \ge L - s + 1\big)\Big]

over the sampled :math:`L = L^{(n)}_k`: a call that finds :math:`L \ge s` in the system
waits for :math:`L - s + 1` completions, which :math:`s` busy agents deliver at rate
:math:`s/\mathrm{AHT}` (exponential handle times), so it is answered within :math:`T`
with the Poisson probability shown. For :math:`T = 0` this is the paper's delay-probability
rule :math:`P(L \ge s) \le 1 - \beta`. When :math:`T` reaches into the next intervals,
their agents count too, but never more than :math:`s` (an interval leaning on its
successors makes the iteration run away).

The paper's rule is for the delay probability, where a staffing judged from another
staffing's queue stays close to it. With a target time :math:`T` of several handle times
it does not: a staffing below the offered load looks fine from a well-staffed queue,
builds a queue, and the next iteration over-corrects. So this implementation (tested,
not from the paper) adds three guards: each iteration moves half way towards the rule's
answer (at least one agent); no interval goes below the offered load of the
infinite-server queue (:func:`infinite_server_load`); a two-cycle between :math:`s` and
:math:`s - 1` resolves to :math:`s`. The iterations use the same random numbers, so the
map is deterministic. Then a repair step adds an agent wherever the simulated service
level (same random numbers) is short of the target by more than a standard error, and
the result is checked in *fresh* simulations, which are what the result reports.

On a stationary load the rule reproduces Erlang C: :math:`L` is then the M/M/s number
in system, and :math:`\widehat{\mathrm{SL}}(s)` is Erlang C's service level
:math:`1 - C(s, A)\,e^{-(s - A)T/\mathrm{AHT}}` written as a sum over :math:`L`; the
staffing found equals Erlang C's up to simulation noise (one agent where Erlang C's
answer meets the target only just).

References
----------
Z. Feldman, A. Mandelbaum, W. A. Massey, W. Whitt (2008), "Staffing of time-varying
queues to achieve time-stable performance", *Management Science* 54(2), 324-338.
L. V. Green, P. J. Kolesar, W. Whitt (2007), "Coping with time-varying demand when
setting staffing requirements for a service system", *POM* 16(1), 13-39 (when per-interval
Erlang fails).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from servops._validation import as_rng, check_interval
from servops.errors import InvalidParameterError
from servops.staffing.erlang import Duration, Targets, erlang_c_staffing, seconds
from servops.staffing.timevarying import simulate_queue

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from servops._typing import Seed
    from servops.staffing.targets import ServiceTarget

__all__ = [
    "ERLANG_VALID_RATIO",
    "IsaResult",
    "erlang_validity",
    "infinite_server_load",
    "isa_staffing",
]

#: Per-interval Erlang is taken as valid while AHT and the target time stay within this
#: share of the interval (Green, Kolesar & Whitt 2007 find the period-by-period
#: approximation good for short calls and poor once service times approach the period).
ERLANG_VALID_RATIO = 0.25


def erlang_validity(
    aht_s: float, threshold_s: float, interval_s: float
) -> tuple[bool, str]:
    """Whether per-interval Erlang is valid, and the reason in words.

    Examples
    --------
    >>> erlang_validity(180, 20, 1800)[0], erlang_validity(2700, 7200, 3600)[0]
    (True, False)
    """
    ratio = aht_s / interval_s
    t_ratio = threshold_s / interval_s
    ok = ratio <= ERLANG_VALID_RATIO and t_ratio <= ERLANG_VALID_RATIO
    if ok:
        why = (
            f"per-interval Erlang is valid here: AHT is {ratio:.2f} of the interval and "
            f"the target time {t_ratio:.2f} (both <= {ERLANG_VALID_RATIO})."
        )
    else:
        why = (
            f"per-interval Erlang is NOT valid here: AHT is {ratio:.2f} of the interval "
            f"and the target time {t_ratio:.2f} (valid up to {ERLANG_VALID_RATIO}); "
            "queues carry over from one interval to the next, so staff by the ISA."
        )
    return ok, why


@dataclass(frozen=True, slots=True, eq=False)
class IsaResult:
    """Erlang-per-interval and ISA staffing side by side, both checked by simulation.

    Arrays have one value per interval. ``agents_on_queue`` is the ISA staffing,
    ``agents`` the same with shrinkage (to schedule); ``erlang_agents_on_queue`` the
    per-interval Erlang C staffing. ``*_simulated_service_level`` is the share answered
    within the target in fresh simulations of each staffing (NaN: nothing arrived);
    ``erlang_service_level`` is what Erlang C promises.
    """

    calls: np.ndarray
    aht_s: np.ndarray
    interval_s: float
    target: ServiceTarget
    shrinkage: float
    agents: np.ndarray
    agents_on_queue: np.ndarray
    simulated_service_level: np.ndarray
    erlang_agents_on_queue: np.ndarray
    erlang_service_level: np.ndarray
    erlang_simulated_service_level: np.ndarray
    simulated_offered: np.ndarray
    iterations: int
    converged: bool
    runs: int
    erlang_valid: bool
    notes: tuple[str, ...] = field(default=())
    interval_start: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.calls.size)

    def pooled(self, name: str) -> float | None:
        """Service level over all intervals (``simulated_service_level`` or the Erlang one)."""
        sl = np.asarray(getattr(self, name), dtype=float)
        w = self.simulated_offered
        ok = np.isfinite(sl) & (w > 0)
        return float(np.sum(sl[ok] * w[ok]) / w[ok].sum()) if ok.any() else None

    def intervals_below(self, name: str, tolerance: float = 0.02) -> int:
        """Intervals whose simulated service level is short of the target.

        Short means below target - ``tolerance`` and also by more than two standard
        errors of the estimate (an hour with 0.2 tickets expected gives a handful of
        simulated tickets, whose share answered in time is mostly noise).
        """
        sl = np.asarray(getattr(self, name), dtype=float)
        n = np.maximum(self.simulated_offered * self.runs, 1.0)
        level = self.target.level
        margin = np.maximum(tolerance, 2.0 * np.sqrt(level * (1.0 - level) / n))
        ok = np.isfinite(sl) & (self.calls > 0)
        return int(np.sum(sl[ok] < level - margin[ok]))

    def rows(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per interval."""
        starts = (
            None
            if self.interval_start is None
            else [
                str(t).replace("T", " ")
                for t in np.asarray(self.interval_start, dtype="datetime64[s]")
            ]
        )

        def num(v: float) -> float | None:
            return float(v) if np.isfinite(v) else None

        out = []
        for i in range(len(self)):
            row: dict[str, Any] = {}
            if starts is not None:
                row["interval_start"] = starts[i]
            row |= {
                "calls": float(self.calls[i]),
                "aht_s": float(self.aht_s[i]),
                "erlang_agents": int(self.erlang_agents_on_queue[i]),
                # Nothing offered, nothing to measure: None, not Erlang's formal 100 %.
                "erlang_service_level": float(self.erlang_service_level[i])
                if self.calls[i] > 0
                else None,
                "erlang_simulated_service_level": num(
                    self.erlang_simulated_service_level[i]
                ),
                "isa_agents": int(self.agents_on_queue[i]),
                "isa_agents_to_schedule": int(self.agents[i]),
                "isa_simulated_service_level": num(self.simulated_service_level[i]),
            }
            out.append(row)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the target, the verdicts, totals and the rows."""
        hours = self.interval_s / 3600
        return {
            "method": "isa",
            "target": self.target.to_dict(),
            "interval_s": self.interval_s,
            "shrinkage": self.shrinkage,
            "runs": self.runs,
            "iterations": self.iterations,
            "converged": self.converged,
            "erlang_valid": self.erlang_valid,
            "notes": list(self.notes),
            "erlang": {
                "peak_agents": int(self.erlang_agents_on_queue.max(initial=0)),
                "agent_hours": float(self.erlang_agents_on_queue.sum() * hours),
                "simulated_service_level": self.pooled(
                    "erlang_simulated_service_level"
                ),
                "intervals_below_target": self.intervals_below(
                    "erlang_simulated_service_level"
                ),
            },
            "isa": {
                "peak_agents": int(self.agents_on_queue.max(initial=0)),
                "agent_hours": float(self.agents_on_queue.sum() * hours),
                "simulated_service_level": self.pooled("simulated_service_level"),
                "intervals_below_target": self.intervals_below(
                    "simulated_service_level"
                ),
            },
            "rows": self.rows(),
        }


@dataclass(frozen=True, slots=True)
class _Window:
    """The next T after each sample moment of one interval, in handle times.

    ``own[g]`` lies in the interval itself; ``takes[j, g]`` in the j-th following
    interval, whose staffing is ``levels[j]`` (the last level holds).
    """

    own: np.ndarray
    levels: np.ndarray
    takes: np.ndarray

    @classmethod
    def zero(cls, grid: int) -> _Window:
        """No time at all: the delay-probability rule (T = 0)."""
        return cls(np.zeros(grid), np.zeros(0), np.zeros((0, grid)))

    def completions(self, s: int) -> np.ndarray:
        """Mean completions within T per sample moment with ``s`` agents now.

        Later intervals count with at most ``s`` agents: fewer when staffing drops
        (the queue then drains more slowly), never more, so an interval cannot lean
        on its successors (that makes the iteration run away).
        """
        later = np.minimum(self.levels, s) @ self.takes if self.levels.size else 0.0
        out: np.ndarray = s * self.own + later
        return out


def _windows(
    agents: np.ndarray,
    aht_s: np.ndarray,
    *,
    interval_s: float,
    threshold_s: float,
    grid: int,
) -> list[_Window]:
    m = agents.size
    rem = (1.0 - (np.arange(grid) + 0.5) / grid) * interval_s
    own = np.minimum(threshold_s, rem)
    out = []
    for k in range(m):
        left = threshold_s - own
        levels, takes = [], []
        j = k + 1
        while np.any(left > 0):
            take = np.minimum(left, interval_s)
            levels.append(float(agents[min(j, m - 1)]))
            takes.append(take)
            left = left - take
            j += 1
        out.append(
            _Window(
                own / aht_s[k],
                np.asarray(levels),
                np.asarray(takes).reshape(len(takes), grid) / aht_s[k],
            )
        )
    return out


def infinite_server_load(
    calls: np.ndarray, aht_s: np.ndarray, interval_s: float
) -> np.ndarray:
    r"""Mean calls in service per interval with unlimited agents (the offered load).

    The :math:`M_t/M/\infty` mean :math:`m' = \lambda(t) - m/\mathrm{AHT}`, solved
    exactly with the rate constant within each interval and an empty start; it lags
    the arrivals by about one handle time (Jennings, Mandelbaum, Massey & Whitt 1996).

    Examples
    --------
    >>> infinite_server_load(
    ...     np.array([100.0, 100.0]), np.array([180.0, 180.0]), 1800
    ... ).round(2)
    array([ 9., 10.])
    """
    out = np.zeros(calls.size)
    m0 = 0.0
    for k in range(calls.size):
        ss = calls[k] / interval_s * aht_s[k]
        decay = math.exp(-interval_s / aht_s[k])
        out[k] = ss + (m0 - ss) * (aht_s[k] / interval_s) * (1.0 - decay)
        m0 = ss + (m0 - ss) * decay
    return out


def _estimated_sl(ahead: np.ndarray, window: _Window, s: int) -> float:
    """Share answered within T of calls finding ``ahead`` (runs x grid) in the system."""
    from scipy.special import pdtrc  # P(Pois(m) > k); scipy.stats takes ~1 s to import

    mean = np.broadcast_to(window.completions(s), ahead.shape)
    sl = np.ones(ahead.shape)
    queued = ahead >= s
    if queued.any():
        sl[queued] = pdtrc(ahead[queued] - s, mean[queued])  # P(Pois >= a-s+1)
    return float(sl.mean())


def _staff_interval(
    in_system: np.ndarray, window: _Window, *, arrivals: bool, level: float
) -> int:
    """Smallest s meeting ``level`` for one interval's number-in-system samples.

    ``in_system`` has shape (runs, grid). With arrivals, each sample stands for a call
    arriving then (Poisson arrivals see time averages). Without, it stands for the
    last call in the system; an empty system then needs nobody.
    """
    ahead = in_system.astype(np.int64)
    if not arrivals:
        if not np.any(ahead > 0):
            return 0
        # Samples of an empty system count as met (-1 < any s).
        ahead = ahead - 1
    lo, hi = 0, int(ahead.max()) + 1  # hi always meets: nobody waits
    if _estimated_sl(ahead, window, lo) >= level - 1e-12:
        return 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _estimated_sl(ahead, window, mid) >= level - 1e-12:
            hi = mid
        else:
            lo = mid
    return hi


def isa_staffing(
    calls: Sequence[float] | np.ndarray,
    *,
    interval: Duration,
    aht: Duration | Sequence[float] | np.ndarray,
    target: ServiceTarget,
    shrinkage: float = 0.0,
    runs: int = 30,
    max_iterations: int = 30,
    seed: Seed = 0,
    interval_start: Sequence[datetime] | np.ndarray | None = None,
) -> IsaResult:
    """Agents per interval so that the *simulated* service level meets ``target``.

    Parameters
    ----------
    calls
        Expected calls (tickets) per interval.
    interval
        Interval length.
    aht
        Mean handle time (seconds): one value or one per interval (NaN entries take
        the mean of the others).
    target
        Share answered within a time (:func:`~servops.staffing.parse_service_target`,
        :func:`~servops.staffing.service_target_from_sla`).
    shrinkage
        Share of paid time off the queue; ``agents`` = agents on the queue / (1 - it).
    runs
        Simulated replications per iteration (and for each final check).
    max_iterations
        Iterations before giving up on an exact fixed point (``converged`` False).
    seed
        Seed: the iterations share one stream, the final checks use fresh ones.
    interval_start
        Start of each interval, carried into the rows.

    Returns
    -------
    IsaResult

    Examples
    --------
    >>> from servops.staffing import parse_service_target
    >>> res = isa_staffing(
    ...     [2, 6, 10, 6, 2, 0],
    ...     interval=3600,
    ...     aht=2700,
    ...     target=parse_service_target("90%/2h"),
    ...     runs=20,
    ...     seed=1,
    ... )
    >>> res.erlang_valid, res.converged
    (False, True)
    """
    owner = "isa_staffing"
    c = np.asarray(calls, dtype=float).ravel()
    if c.size == 0 or not np.all(np.isfinite(c)) or c.min() < 0:
        msg = f"The 'calls' parameter of {owner} must hold finite numbers >= 0 (at least one)."
        raise InvalidParameterError(msg)
    iv = seconds(interval, "interval", owner)
    if isinstance(aht, int | float) or hasattr(aht, "total_seconds"):
        h = np.full(c.size, seconds(aht, "aht", owner))  # type: ignore[arg-type]
    else:
        h = np.asarray(aht, dtype=float).ravel().copy()
        ok = np.isfinite(h) & (h > 0)
        if h.size != c.size or not ok.any():
            msg = (
                f"The 'aht' parameter of {owner} must be one positive value or one per "
                f"interval ({c.size}). Got {h.size} values."
            )
            raise InvalidParameterError(msg)
        h[~ok] = float(np.mean(h[ok]))
    shrink = check_interval(
        shrinkage, "shrinkage", owner, low=0.0, high=1.0, closed="left"
    )
    for name, v in (("runs", runs), ("max_iterations", max_iterations)):
        if v < 1:
            msg = f"The '{name}' parameter of {owner} must be >= 1. Got {v!r}."
            raise InvalidParameterError(msg)
    level, thr = target.level, target.threshold_s
    rng = as_rng(seed)
    iter_seed, check_seed, erlang_seed = (int(x) for x in rng.integers(2**31, size=3))

    erlang = erlang_c_staffing(
        c * h / iv, h, Targets(service_level=level, threshold_s=thr)
    )
    s_erlang = erlang["agents"].astype(np.int64)

    grid = 12

    def simulate(agents: np.ndarray, seed_: int) -> Any:  # noqa: ANN401
        return simulate_queue(
            c,
            agents,
            interval_s=iv,
            aht_s=h,
            threshold_s=thr,
            runs=runs,
            seed=seed_,
            grid=grid,
        )

    # Never below the offered load: an interval staffed under it only looks fine
    # when judged from the queue of a better-staffed one, and the iteration swings.
    floor = np.ceil(infinite_server_load(c, h, iv) - 1e-9).astype(np.int64)
    s = np.maximum(s_erlang, floor)
    previous: np.ndarray | None = None
    converged = False
    iterations = 0
    while iterations < max_iterations:
        iterations += 1
        sim = simulate(s, iter_seed)
        windows = _windows(s, h, interval_s=iv, threshold_s=thr, grid=grid)
        rule = np.array(
            [
                _staff_interval(
                    sim.in_system[k].reshape(runs, grid),
                    windows[k],
                    arrivals=bool(c[k] > 0),
                    level=level,
                )
                for k in range(c.size)
            ],
            dtype=np.int64,
        )
        # Damped: move half way (at least one agent) towards the rule's answer. The
        # undamped step under-staffs, builds queues, then over-corrects (it swings).
        rule = np.maximum(rule, floor)
        step = rule - s
        new = s + np.sign(step) * np.ceil(np.abs(step) / 2).astype(np.int64)
        if np.array_equal(new, s):
            converged = True
            break
        if previous is not None and np.array_equal(new, previous):
            # A two-cycle, s and s - 1 judged from each other's queues: s - 1 fails
            # by its own queue, so s is the staffing that meets the target.
            s = np.maximum(new, s)
            converged = True
            break
        previous, s = s, new
    if not converged and previous is not None:
        s = np.maximum(s, previous)
    # Repair: the rule judges from one queue and assumes the next intervals keep the
    # staffing, so where staffing falls it can be optimistic. Add an agent wherever the
    # simulated service level (same random numbers) is still short, until none is.
    # "Short" includes one standard error of the estimate, so that fresh runs meet
    # the target too rather than only the runs the staffing was fitted on.
    repairs = 0
    while repairs < max_iterations * 4:
        sim = simulate(s, iter_seed)
        n_calls = np.maximum(sim.offered * runs, 1.0)
        # Capped half way to 100 %: with a handful of calls the standard error would
        # ask for more than every call answered in time.
        goal = np.minimum(
            level + np.sqrt(level * (1.0 - level) / n_calls), (1 + level) / 2
        )
        short = (c > 0) & (sim.service_level < goal - 1e-12)
        if not short.any():
            break
        s = s + short.astype(np.int64)
        repairs += 1
    check = simulate(s, check_seed)
    erlang_check = simulate(s_erlang, erlang_seed)
    weights = np.where(c > 0, c, 0.0)
    mean_aht = (
        float(np.sum(h * weights) / weights.sum()) if weights.sum() else float(h.mean())
    )
    valid, why = erlang_validity(mean_aht, thr, iv)
    notes = [why]
    if repairs:
        notes.append(
            f"{repairs} repair round(s) added agents where the simulated service level "
            "was still below the target after the iteration."
        )
    if not converged:
        notes.append(
            f"the ISA had not reached a fixed point after {max_iterations} iterations; "
            "the last staffing is shown with its simulated service level."
        )
    scheduled = np.ceil(np.round(s / (1.0 - shrink), 9)).astype(np.int64)
    return IsaResult(
        calls=c,
        aht_s=h,
        interval_s=iv,
        target=target,
        shrinkage=shrink,
        agents=scheduled,
        agents_on_queue=s,
        simulated_service_level=check.service_level,
        erlang_agents_on_queue=s_erlang,
        erlang_service_level=erlang["service_level"],
        erlang_simulated_service_level=erlang_check.service_level,
        simulated_offered=check.offered,
        iterations=iterations,
        converged=converged,
        runs=runs,
        erlang_valid=valid,
        notes=tuple(notes),
        interval_start=None
        if interval_start is None
        else np.asarray(interval_start, dtype="datetime64[s]"),
    )
