"""Cases still open at the end of the data: their durations are right-censored.

A case is **open** while it has no close (or, when the KPI config names no close
activity and a case would count as closed at its last event, no resolution). An open
case's duration is not known yet: only that it exceeds the time from its arrival to the
end of the data. Leaving such cases out (or measuring them to their last event) makes a
group with more open cases — the most recent weeks, an arm whose slow cases are still
waiting — look faster than it is. :func:`servops.improve.ab_test` and
:func:`servops.improve.target_status` use these definitions.

Statistics of right-censored durations (:func:`censored_statistic`; open cases are
censored at their wait so far, the end of the data minus their arrival):

* **median, p90**: the quantile of the completed sample (linear interpolation, as
  :func:`servops.kpi.compute_kpis` reports it) when the open cases cannot change it:
  every duration is at least its wait and a quantile never falls when a value grows,
  so the true quantile lies between the one with each open case at its wait and the
  one with each open case at infinity; when those two agree it is known exactly.
  Otherwise the Kaplan–Meier quantile (Kaplan & Meier 1958): the first time the
  survival curve ``S(t) = Π_{tᵢ ≤ t} (1 - dᵢ / nᵢ)`` is at or below ``1 - q``, and
  not known (``None``) while it has not fallen that far;
* **mean**: known only when no case is open (every duration counts);
* **restricted mean** up to a horizon ``τ``: ``∫₀^τ S(t) dt``, the mean of
  ``min(duration, τ)``, known whenever the curve is known up to ``τ`` (Royston &
  Parmar 2013); with nothing open and ``τ`` at least the longest duration it is the
  mean.

Ties: events come before censorings at the same time (a case censored at ``t`` was at
risk at ``t``). :func:`censored_differences` bootstraps the differences of these
statistics between two groups, resampling whole periods in blocks as
:func:`~servops.improve.intervals.block_bootstrap_differences` does.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import numpy as np

from servops._validation import as_rng, check_choice
from servops.errors import InvalidParameterError
from servops.improve.intervals import (
    Interval,
    _phase_shares,
    _phases,
    _weighted_stat_rows,
    check_block_options,
    expanded_alpha,
)

if TYPE_CHECKING:
    import pyarrow as pa
    from numpy.typing import ArrayLike, NDArray

    from servops._typing import Seed
    from servops.kpi.config import KpiConfig

__all__ = [
    "CENSORED_STATISTICS",
    "CensoredStatistic",
    "censored_differences",
    "censored_durations",
    "censored_statistic",
    "censored_statistic_rows",
    "censored_statistics_rows",
    "resample_weights",
    "still_open",
]

CensoredStatistic = Literal["mean", "median", "p90", "restricted_mean"]
#: The statistics :func:`censored_statistic` computes.
CENSORED_STATISTICS: tuple[CensoredStatistic, ...] = (
    "mean",
    "median",
    "p90",
    "restricted_mean",
)
_Q = {"median": 0.5, "p90": 0.9}
#: An open case's duration when the quantile must not depend on it (any finite value
#: above every real duration does; infinity would make the interpolation NaN).
_UNKNOWN_S = 1e15
#: A bootstrap difference that is not known (a curve that has not fallen far enough)
#: counts as this far out, so an interval end that depends on it is unbounded.
_FAR = 1e300
_CHUNK = 200


def still_open(cases: pa.Table, cfg: KpiConfig) -> NDArray[np.bool_] | None:
    """Cases open at the end of the data (``None``: the config cannot tell).

    Open while not closed; with no close activity configured (a case then counts as
    closed at its last event), while not resolved.
    """
    column = "closed_at" if cfg.closed else "resolved_at" if cfg.resolved else None
    if column is None:
        return None
    return np.array([v is None for v in cases.column(column).to_pylist()], dtype=bool)


def censored_durations(
    values: NDArray[np.float64], is_open: NDArray[np.bool_], metric: str
) -> NDArray[np.bool_]:
    """Which cases' ``metric`` (a duration) is right-censored.

    An open case's lead time always is; its first response or resolution time only
    while it has none (an open case may already have responded).
    """
    return is_open & (np.isnan(values) | (metric == "lead_time"))


def censored_statistic_rows(
    durations: NDArray[np.float64],
    censored: NDArray[np.bool_],
    weights: NDArray[np.float64],
    statistic: CensoredStatistic,
    *,
    horizon_s: float | None = None,
) -> NDArray[np.float64]:
    """``statistic`` of each row's weighted sample of right-censored durations.

    ``durations`` holds each case's duration, or its wait so far where ``censored``;
    ``weights`` (rows x cases) how often each case is drawn in each row (a bootstrap
    resample; a row of ones is the sample itself). NaN where the statistic is not known
    (the module text says when). ``restricted_mean`` needs ``horizon_s``.
    """
    return censored_statistics_rows(
        durations, censored, weights, (statistic,), horizon_s=horizon_s
    )[statistic]


def censored_statistics_rows(
    durations: NDArray[np.float64],
    censored: NDArray[np.bool_],
    weights: NDArray[np.float64],
    statistics: tuple[CensoredStatistic, ...],
    *,
    horizon_s: float | None = None,
) -> dict[str, NDArray[np.float64]]:
    """:func:`censored_statistic_rows` of several statistics (one Kaplan–Meier curve)."""
    for name in statistics:
        check_choice(name, "statistic", "censored_statistic", CENSORED_STATISTICS)
    if "restricted_mean" in statistics and (horizon_s is None or not horizon_s >= 0):
        msg = (
            "The 'horizon_s' parameter of censored_statistic must be a number >= 0 "
            f"for the restricted mean. Got {horizon_s!r} instead."
        )
        raise InvalidParameterError(msg)
    t0 = np.asarray(durations, dtype=np.float64)
    c0 = np.asarray(censored, dtype=bool)
    w0 = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    rows = w0.shape[0]
    if t0.size == 0:
        return {name: np.full(rows, math.nan) for name in statistics}
    total = w0.sum(axis=1)
    drawn_open = w0 @ c0.astype(np.float64) > 0
    out: dict[str, NDArray[np.float64]] = {}
    surv: NDArray[np.float64] | None = None
    t = t0
    for name in statistics:
        if name == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                means = (w0 @ t0) / total
            out[name] = np.where(drawn_open | (total == 0), math.nan, means)
            continue
        exact = high = None
        if name in _Q:
            # the completed sample's quantile is between the one with the open cases
            # at their wait and the one with them at "infinity"
            low = _quantile_rows(t0, w0, name)
            high = _quantile_rows(np.where(c0, _UNKNOWN_S, t0), w0, name)
            exact = (low == high) | ~drawn_open
            if exact.all():
                out[name] = high
                continue
        if surv is None:
            t, surv = _kaplan_meier(t0, c0, w0)
        if name == "restricted_mean" and horizon_s is not None:
            tt = np.minimum(t, horizon_s)
            steps = np.diff(tt, prepend=0.0)
            tail = surv[:, -1] * max(horizon_s - float(tt[-1]), 0.0)
            rmean = steps[0] + surv[:, :-1] @ steps[1:] + tail
            out[name] = np.where(total > 0, rmean, math.nan)
        elif exact is not None and high is not None:
            hit = surv <= 1 - _Q[name] + 1e-12
            km = np.where(hit.any(axis=1), t[hit.argmax(axis=1)], math.nan)
            out[name] = np.where(exact, high, km)
    return out


def _kaplan_meier(
    t0: NDArray[np.float64], c0: NDArray[np.bool_], w0: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Sorted times and each row's survival just after each of them.

    Tied events are taken one at a time: ``(1 - a/n)(1 - b/(n - a)) = 1 - (a + b)/n``,
    the same product as the tie at once.
    """
    order = np.lexsort((c0, t0))  # by time; events before censorings at a tie
    t, event, w = t0[order], ~c0[order], w0[:, order]
    at_risk = w.sum(axis=1, keepdims=True) - np.cumsum(w, axis=1) + w
    with np.errstate(invalid="ignore", divide="ignore"):
        hazard = np.minimum((w * event) / np.maximum(at_risk, 1e-300), 1.0)
        surv = np.exp(np.cumsum(np.log1p(-hazard), axis=1))
    return t, surv


def _quantile_rows(
    x: NDArray[np.float64], w: NDArray[np.float64], statistic: CensoredStatistic
) -> NDArray[np.float64]:
    """The linear-interpolation quantile of each row's weighted sample."""
    order = np.argsort(x, kind="stable")
    return _weighted_stat_rows(x[order], w[:, order], statistic)  # type: ignore[arg-type]


def censored_statistic(
    durations: ArrayLike,
    waited_s: ArrayLike,
    statistic: str,
    *,
    horizon_s: float | None = None,
) -> float | None:
    """``statistic`` of known ``durations`` and of open cases that have waited ``waited_s``.

    ``None`` when it is not known yet (see the module text): a mean with any case open,
    a quantile the Kaplan–Meier curve has not reached.

    Examples
    --------
    >>> x = [1.0, 2.0, 3.0, 4.0]
    >>> censored_statistic(x, [10.0], "median")  # the open case is above it anyway
    3.0
    >>> censored_statistic(x, [2.5], "median")  # Kaplan-Meier: S(3) = 3/5 * 1/2
    3.0
    >>> censored_statistic(x, [10.0], "mean") is None
    True
    >>> # the mean of min(duration, 4): (1 + 2 + 3 + 4 + 4) / 5
    >>> censored_statistic(x, [10.0], "restricted_mean", horizon_s=4.0)
    2.8
    """
    x = np.asarray(durations, dtype=np.float64).ravel()
    waits = np.asarray(waited_s, dtype=np.float64).ravel()
    t = np.concatenate([x, waits])
    c = np.concatenate([np.zeros(x.size, dtype=bool), np.ones(waits.size, dtype=bool)])
    v = float(
        censored_statistic_rows(
            t,
            c,
            np.ones((1, t.size)),
            statistic,  # type: ignore[arg-type]  # checked in censored_statistic_rows
            horizon_s=horizon_s,
        )[0]
    )
    return v if math.isfinite(v) else None


def resample_weights(
    n: int,
    units: NDArray[np.int64] | None,
    block: int,
    m: int,
    rng: np.random.Generator,
    phase: NDArray[np.int64] | None = None,
    starts: NDArray[np.int64] | None = None,
) -> NDArray[np.float64]:
    """How often each of ``n`` cases is drawn in ``m`` resamples (rows x cases).

    ``units=None``: cases with replacement; else each case's period as ``0 .. D - 1``
    in time order, drawn in circular blocks of ``block`` periods (the block bootstrap
    of :func:`~servops.improve.intervals.block_bootstrap_differences`); with ``phase``
    (each case's phase in the cycle) the block weights are scaled so each phase keeps
    its share of the cases (its ``shares="phase"``); with ``starts`` (each period's
    phase, in time order) each block starts at a period of the phase it replaces (its
    ``starts="phase"``).
    """
    if units is None:
        flat = (np.arange(m)[:, None] * n + rng.integers(0, n, (m, n))).ravel()
        counts: NDArray[np.float64] = (
            np.bincount(flat, minlength=m * n).reshape(m, n).astype(np.float64)
        )
        return counts
    from servops.improve.intervals import _block_weights

    drawn = _block_weights(units, min(block, int(units.max()) + 1), m, rng, starts)
    return drawn if phase is None else _phase_shares(drawn, phase)


def censored_differences(
    before: tuple[NDArray[np.float64], NDArray[np.bool_]],
    after: tuple[NDArray[np.float64], NDArray[np.bool_]],
    *,
    statistics: tuple[CensoredStatistic, ...],
    horizon_s: float | None = None,
    units_before: ArrayLike | None = None,
    units_after: ArrayLike | None = None,
    block: int = 1,
    cycle: int | None = None,
    starts: Literal["any", "phase"] = "any",
    shares: Literal["drawn", "phase"] = "drawn",
    level: float = 0.95,
    n_resamples: int = 2000,
    seed: Seed = None,
) -> dict[str, Interval]:
    """Bootstrap intervals of ``stat(after) - stat(before)`` of censored durations.

    ``before`` and ``after`` are ``(durations, censored)`` as
    :func:`censored_statistic_rows` takes them. With ``units_*`` (each case's period,
    e.g. arrival day; at least 2 per side) whole periods are resampled in circular
    blocks of ``block`` periods and the interval is the expanded percentile interval
    (``block-percentile``), as :func:`~servops.improve.intervals.block_bootstrap_differences`
    does; without, cases are resampled (``percentile``; BCa's jackknife is not defined
    for a Kaplan–Meier quantile here). With a ``cycle`` (the periods whole numbers, e.g.
    date ordinals and 7), ``starts="phase"`` makes each block start at a period of the
    phase it replaces and ``shares="phase"`` keeps each phase's share of the cases in
    every block resample, as they do there.

    A statistic not known on the sample has a NaN estimate. A resample where it is not
    known counts as an unbounded difference (a quantile past the follow-up could be
    anything above it): an interval end that reaches such resamples is ``±inf``.
    """
    owner = "censored_differences"
    check_block_options(cycle, starts, shares, owner)
    rng = as_rng(seed)
    sides = []
    for (t, c), units in ((before, units_before), (after, units_after)):
        u = p = ps = None
        if units is not None:
            u = np.unique(np.asarray(units), return_inverse=True)[1].astype(np.int64)
            ph = _phases(units, cycle, "units", owner)
            p = None if ph is None or shares == "drawn" else ph[u]
            ps = ph if starts == "phase" else None
        sides.append((np.asarray(t, np.float64), np.asarray(c, bool), u, p, ps))
    (tb, cb, ub, pb, sb), (ta, ca, ua, pa_, sa) = sides
    boot = {s: np.empty(n_resamples) for s in statistics}
    for start in range(0, n_resamples, _CHUNK):
        m = min(_CHUNK, n_resamples - start)
        wb = resample_weights(tb.size, ub, block, m, rng, pb, sb)
        wa = resample_weights(ta.size, ua, block, m, rng, pa_, sa)
        vb = censored_statistics_rows(tb, cb, wb, statistics, horizon_s=horizon_s)
        va = censored_statistics_rows(ta, ca, wa, statistics, horizon_s=horizon_s)
        for s in statistics:
            boot[s][start : start + m] = np.where(
                np.isnan(va[s]) | np.isnan(vb[s]), math.nan, va[s] - vb[s]
            )
    if ub is not None and ua is not None:
        blocks = min(int(ub.max()) + 1, int(ua.max()) + 1) / block
        alpha, method = expanded_alpha(level, blocks), "block-percentile"
    else:
        alpha, method = (1 - level) / 2, "percentile"
    ones_b, ones_a = np.ones((1, tb.size)), np.ones((1, ta.size))
    out: dict[str, Interval] = {}
    for s in statistics:
        theta = float(
            censored_statistic_rows(ta, ca, ones_a, s, horizon_s=horizon_s)[0]
            - censored_statistic_rows(tb, cb, ones_b, s, horizon_s=horizon_s)[0]
        )
        d = boot[s]
        low = float(np.quantile(np.where(np.isnan(d), -_FAR, d), alpha))
        high = float(np.quantile(np.where(np.isnan(d), _FAR, d), 1 - alpha))
        out[s] = Interval(
            theta,
            -math.inf if low < -_FAR / 1e100 else low,
            math.inf if high > _FAR / 1e100 else high,
            level,
            method,
        )
    return out
