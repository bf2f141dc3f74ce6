"""Confidence intervals for rates, differences of rates, and differences of durations.

Formulas (``z`` is the normal quantile ``1 - (1 - level) / 2``, ``p = x / n``):

* **Wilson** score interval (Wilson 1927): centre ``(p + z²/2n) / (1 + z²/n)``,
  half-width ``z / (1 + z²/n) · sqrt(p(1 - p)/n + z²/4n²)``.
* **Exact** (Clopper–Pearson 1934): ``Beta(α/2; x, n - x + 1)`` to
  ``Beta(1 - α/2; x + 1, n - x)``, with 0 and 1 at ``x = 0`` and ``x = n``.
* **Difference of two proportions** ``p₂ - p₁``: Newcombe's hybrid score interval
  (Newcombe 1998, method 10) from the two Wilson intervals ``(l₁, u₁)``, ``(l₂, u₂)``:
  ``d - sqrt((p₂ - l₂)² + (u₁ - p₁)²)`` to ``d + sqrt((u₂ - p₂)² + (p₁ - l₁)²)``.
* **Bootstrap** of ``stat(after) - stat(before)`` for two independent samples, each
  resampled with replacement: the percentile interval, or BCa (Efron 1987) whose
  acceleration comes from the jackknife of both samples, as ``scipy.stats.bootstrap``
  computes it for several samples.
* **Block bootstrap** of the same difference when values are dependent in time (a
  queue's backlog carries over from one case to the next): each value carries the
  index of its period (e.g. arrival day); within each sample the periods are
  resampled as circular blocks of ``b`` consecutive periods (Politis & Romano 1992),
  every value of a drawn period coming along. ``b`` is the Politis–White (2004)
  automatic block length of the circular block bootstrap, with the correction of
  Patton, Politis & White (2009), for the mean of the per-period series (each sample's
  own mean taken out), rounded up, at least 1 (``b = 1`` is the cluster bootstrap by
  period).
* **Seasonal periods** (``cycle``, e.g. 7 when the periods are days and a service desk
  has busy Mondays and empty weekends): a fixed cycle is not dependence, so ``b`` is
  read from the per-period means with each phase's mean (each weekday's, over both
  samples) also taken out — Politis–White on the seasonally adjusted series. Read
  with the cycle, a desk's daily means asked for blocks of 8–28 days on six weeks a
  side (1.5–5 blocks, an interval that misbehaves); without it, 2–9.
  ``starts="phase"`` also makes each block start at a period of the phase it
  replaces (the generalized seasonal block bootstrap of Dudek, Leśkow, Paparoditis
  & Politis 2014, J. Time Ser. Anal. 35(2); with ``b`` a multiple of the cycle,
  Politis's 2001 seasonal block bootstrap, ``block_length(whole_cycles=True)``), so
  a resample keeps its weekday make-up. With the rule's short blocks (2–3 days) it
  is too narrow: with about six of each weekday a side the stratified resample's
  variance is ``(n_h - 1) / n_h`` short, the backlog's week-scale dependence is
  lost, and on simulated desks it rejected true A/A nulls up to five times as often
  as α (``benchmarks/RESULTS.md``, "Issue 19 session 24"). Blocks that start
  anywhere let the weekday make-up vary, which left first response conservative
  (0 of 120 A/A runs). Whole-week blocks starting on their weekday (the seasonal
  block bootstrap proper) keep both the make-up and the week-scale dependence: all
  seven statistics of the twin's 120 A/A runs within the band of α ("Issue 19
  session 26"); :func:`~servops.improve.before_after` uses them by default.
  ``shares="phase"`` keeps blocks starting anywhere but weights each resample's cases
  so every phase has its share of the sample's cases (post-stratification: phase
  ``h``'s weights times ``s_h / S_h``, the sample's share over the resample's), so
  the make-up adds no spread while the blocks carry the dependence. Not the default
  either: on the twin's A/A runs it was as narrow as same-phase starts (a first-response
  mean called significant in 8 of 40 runs), because the two sides' own weekday shares
  differ by chance and that difference is in the estimate ("Issue 19 session 25";
  weighting both sides to their pooled shares, estimate included, fixed first
  response but left the lead-time median far too narrow).
* The block bootstrap's interval is Hesterberg's (2015) *expanded* percentile
  interval: with ``K`` the blocks on the smaller side (its periods / ``b``), the ends
  are the ``α'/2`` and ``1 - α'/2`` quantiles where ``z_{1-α'/2} = sqrt(K / (K - 1))
  t_{1-α/2, K-1}``; the plain percentile interval is too narrow when only a dozen
  independent blocks carry the information, as on a few weeks of a queue (BCa's
  jackknife acceleration assumes independent values).

Quantiles are NumPy's default (linear interpolation), the same as DuckDB's
``quantile_cont`` that :func:`servops.kpi.compute_kpis` reports, so a bootstrap median
is centred on the median the KPI tables show.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from scipy import special, stats

from servops._validation import as_rng, check_choice, check_interval
from servops.errors import InvalidParameterError

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

    from servops._typing import Seed

__all__ = [
    "STATISTICS",
    "Interval",
    "Statistic",
    "block_bootstrap_differences",
    "block_length",
    "bootstrap_differences",
    "check_block_options",
    "exact_interval",
    "expanded_alpha",
    "newcombe_interval",
    "optimal_block_length",
    "phase_means",
    "statistic_value",
    "wilson_interval",
]

Statistic = Literal["mean", "median", "p90"]
#: The statistics of durations that :func:`bootstrap_differences` compares.
STATISTICS: tuple[Statistic, ...] = ("mean", "median", "p90")
_Q = {"median": 0.5, "p90": 0.9}
_CHUNK = 200  # bootstrap rows per block: bounds memory to _CHUNK * n floats


@dataclass(frozen=True, slots=True)
class Interval:
    """An estimate with its confidence interval.

    Attributes
    ----------
    estimate
        The point estimate (a rate, a difference, ...).
    low, high
        The interval's ends.
    level
        Its confidence level, e.g. 0.95.
    method
        How it was computed: ``wilson``, ``exact``, ``newcombe``, ``percentile``,
        ``bca``.
    """

    estimate: float
    low: float
    high: float
    level: float
    method: str

    def to_dict(self) -> dict[str, float | str]:
        """The interval as JSON-ready types."""
        return asdict(self)

    def excludes(self, value: float = 0.0) -> bool:
        """Whether ``value`` lies outside the interval (a significant difference)."""
        return not self.low <= value <= self.high


def _z(level: float) -> float:
    return float(stats.norm.ppf(1 - (1 - level) / 2))


def _check_counts(successes: int, n: int, owner: str) -> None:
    check_interval(n, "n", owner, low=1, closed="left")
    check_interval(successes, "successes", owner, low=0, high=n, closed="both")
    if int(successes) != successes or int(n) != n:
        msg = (
            f"The 'successes' and 'n' parameters of {owner} must be whole numbers. "
            f"Got {successes!r} and {n!r} instead."
        )
        raise InvalidParameterError(msg)


def wilson_interval(successes: int, n: int, *, level: float = 0.95) -> Interval:
    """Wilson score interval of a rate ``successes / n``.

    Examples
    --------
    >>> iv = wilson_interval(8, 10)
    >>> round(iv.estimate, 3), round(iv.low, 4), round(iv.high, 4)
    (0.8, 0.4902, 0.9433)
    """
    _check_counts(successes, n, "wilson_interval")
    check_interval(level, "level", "wilson_interval", low=0, high=1)
    z = _z(level)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # at x = 0 and x = n the end is exactly 0 or 1; rounding would leave 1e-17
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(p, low, high, level, "wilson")


def exact_interval(successes: int, n: int, *, level: float = 0.95) -> Interval:
    """Exact (Clopper–Pearson) interval of a rate ``successes / n``.

    Examples
    --------
    >>> iv = exact_interval(0, 10)
    >>> iv.low, round(iv.high, 4)  # 1 - 0.025 ** (1 / 10)
    (0.0, 0.3085)
    """
    _check_counts(successes, n, "exact_interval")
    check_interval(level, "level", "exact_interval", low=0, high=1)
    a = 1 - level
    x = int(successes)
    low = 0.0 if x == 0 else float(stats.beta.ppf(a / 2, x, n - x + 1))
    high = 1.0 if x == n else float(stats.beta.ppf(1 - a / 2, x + 1, n - x))
    return Interval(x / n, low, high, level, "exact")


def newcombe_interval(
    successes_before: int,
    n_before: int,
    successes_after: int,
    n_after: int,
    *,
    level: float = 0.95,
) -> Interval:
    """Newcombe's hybrid score interval of ``p_after - p_before``.

    Examples
    --------
    Newcombe (1998), table II, example (a): 56/70 vs 48/80.

    >>> iv = newcombe_interval(48, 80, 56, 70)
    >>> round(iv.estimate, 4), round(iv.low, 4), round(iv.high, 4)
    (0.2, 0.0524, 0.3339)
    """
    b = wilson_interval(successes_before, n_before, level=level)
    a = wilson_interval(successes_after, n_after, level=level)
    d = a.estimate - b.estimate
    low = d - math.hypot(a.estimate - a.low, b.high - b.estimate)
    high = d + math.hypot(a.high - a.estimate, b.estimate - b.low)
    return Interval(d, low, high, level, "newcombe")


def statistic_value(values: ArrayLike, statistic: Statistic) -> float:
    """``statistic`` of ``values``: mean, median or p90 (linear interpolation).

    Examples
    --------
    >>> round(statistic_value([1.0, 2.0, 3.0, 10.0], "p90"), 6)
    7.9
    """
    x = np.asarray(values, dtype=np.float64)
    if statistic == "mean":
        return float(x.mean())
    return float(np.quantile(x, _Q[statistic]))


def _stat_rows(x: NDArray[np.float64], statistic: Statistic) -> NDArray[np.float64]:
    """``statistic`` of each row of a 2-D array."""
    out: NDArray[np.float64] = (
        x.mean(axis=1) if statistic == "mean" else np.quantile(x, _Q[statistic], axis=1)
    )
    return out


def _loo(x: NDArray[np.float64], statistic: Statistic) -> NDArray[np.float64]:
    """The statistic of each leave-one-out sample (as a multiset; order is free).

    Quantiles come from the sorted values: without the ``i``-th smallest, order
    statistic ``k`` is ``x[k]`` below ``i`` and ``x[k + 1]`` from ``i`` on; no n² work.
    """
    n = x.size
    if statistic == "mean":
        means: NDArray[np.float64] = (x.sum() - x) / (n - 1)
        return means
    s = np.sort(x)
    h = _Q[statistic] * (n - 2)
    k = math.floor(h)
    frac = h - k
    i = np.arange(n)
    lo = np.where(k < i, s[k], s[min(k + 1, n - 1)])
    k2 = min(k + 1, n - 2)
    hi = np.where(k2 < i, s[k2], s[min(k2 + 1, n - 1)])
    out: NDArray[np.float64] = lo + frac * (hi - lo)
    return out


def _acceleration(
    samples: tuple[NDArray[np.float64], NDArray[np.float64]], statistic: Statistic
) -> float:
    """BCa acceleration from the jackknife of both samples (scipy's multi-sample form)."""
    nums = dens = 0.0
    for x in samples:
        theta = _loo(x, statistic)
        u = (x.size - 1) * (theta.mean() - theta)
        nums += float((u**3).sum()) / x.size**3
        dens += float((u**2).sum()) / x.size**2
    return 0.0 if dens == 0 else nums / (6 * dens**1.5)


def _bca_ends(
    boot: NDArray[np.float64], theta: float, accel: float, level: float
) -> tuple[float, float]:
    alpha = (1 - level) / 2
    below = float(np.mean(boot < theta))
    if below in (0.0, 1.0):  # every resample on one side: no bias correction possible
        return float(np.quantile(boot, alpha)), float(np.quantile(boot, 1 - alpha))
    z0 = float(special.ndtri(below))
    ends = []
    for a in (alpha, 1 - alpha):
        za = float(special.ndtri(a))
        adj = float(special.ndtr(z0 + (z0 + za) / (1 - accel * (z0 + za))))
        ends.append(float(np.quantile(boot, adj)))
    return ends[0], ends[1]


def bootstrap_differences(
    before: ArrayLike,
    after: ArrayLike,
    *,
    statistics: tuple[Statistic, ...] = STATISTICS,
    method: Literal["percentile", "bca"] = "bca",
    level: float = 0.95,
    n_resamples: int = 2000,
    seed: Seed = None,
) -> dict[Statistic, Interval]:
    """Bootstrap intervals of ``stat(after) - stat(before)`` for each statistic.

    The two samples are resampled independently; every statistic is computed on the
    same resamples.

    Parameters
    ----------
    before, after
        The two samples (e.g. lead times in seconds); at least two values each, no NaN.
    statistics
        Which of ``mean``, ``median``, ``p90``.
    method
        ``bca`` (bias-corrected and accelerated) or ``percentile``.
    level
        Confidence level.
    n_resamples
        Bootstrap resamples.
    seed
        Random seed (:func:`servops._validation.as_rng`).

    Returns
    -------
    dict
        Statistic name -> :class:`Interval` of the difference.

    Examples
    --------
    >>> d = bootstrap_differences([5.0, 6, 7, 8, 9], [3.0, 4, 5, 6, 7], seed=1)
    >>> d["mean"].estimate, d["mean"].low < -2 < d["mean"].high
    (-2.0, True)
    """
    owner = "bootstrap_differences"
    check_choice(method, "method", owner, ("percentile", "bca"))
    check_interval(level, "level", owner, low=0, high=1)
    check_interval(n_resamples, "n_resamples", owner, low=100, closed="left")
    for s in statistics:
        check_choice(s, "statistics", owner, STATISTICS)
    xs = []
    for name, v in (("before", before), ("after", after)):
        x = np.asarray(v, dtype=np.float64).ravel()
        if x.size < 2 or not np.isfinite(x).all():
            msg = (
                f"The {name!r} sample of {owner} must hold at least 2 finite values. "
                f"Got {x.size} values"
                + ("" if np.isfinite(x).all() else " with NaN or infinity")
                + " instead."
            )
            raise InvalidParameterError(msg)
        xs.append(x)
    b, a = xs
    rng = as_rng(seed)
    boot = {s: np.empty(n_resamples) for s in statistics}
    for start in range(0, n_resamples, _CHUNK):
        m = min(_CHUNK, n_resamples - start)
        rb = b[rng.integers(0, b.size, (m, b.size))]
        ra = a[rng.integers(0, a.size, (m, a.size))]
        for s in statistics:
            boot[s][start : start + m] = _stat_rows(ra, s) - _stat_rows(rb, s)
    out: dict[Statistic, Interval] = {}
    alpha = (1 - level) / 2
    for s in statistics:
        theta = statistic_value(a, s) - statistic_value(b, s)
        if method == "bca":
            low, high = _bca_ends(boot[s], theta, _acceleration((b, a), s), level)
        else:
            low = float(np.quantile(boot[s], alpha))
            high = float(np.quantile(boot[s], 1 - alpha))
        out[s] = Interval(theta, low, high, level, method)
    return out


def optimal_block_length(series: ArrayLike) -> float:
    """Politis–White automatic block length of the circular block bootstrap.

    For the mean of a stationary ``series`` (Politis & White 2004, corrected by Patton,
    Politis & White 2009): with ``R(k)`` the autocovariances and ``M = 2 m̂`` (``m̂``
    the first lag after which ``K = max(5, ⌊log₁₀ n⌋)`` autocorrelations in a row are
    below ``2 sqrt(log₁₀ n / n)``), the flat-top window ``λ(t) = 1`` for ``t ≤ ½``,
    ``2(1 - t)`` up to 1, ``G = Σ_{|k|≤M} λ(k/M) |k| R(k)``,
    ``g = Σ_{|k|≤M} λ(k/M) R(k)`` and ``b = (2G² / (4/3 g²))^{1/3} n^{1/3}``, at most
    ``min(3 sqrt(n), n / 3)``.

    Examples
    --------
    White noise needs no blocks; a slowly moving series needs long ones.

    >>> rng = np.random.default_rng(0)
    >>> round(optimal_block_length(rng.normal(size=400)), 1) < 2
    True
    >>> ar = np.zeros(400)
    >>> for t in range(1, 400):
    ...     ar[t] = 0.8 * ar[t - 1] + rng.normal()
    >>> optimal_block_length(ar) > 5
    True
    """
    x = np.asarray(series, dtype=np.float64).ravel()
    n = x.size
    if n < 3 or not np.isfinite(x).all():
        msg = (
            "The 'series' parameter of optimal_block_length must hold at least 3 "
            f"finite values. Got {n} values instead."
        )
        raise InvalidParameterError(msg)
    e = x - x.mean()
    b_max = math.ceil(min(3 * math.sqrt(n), n / 3))
    kn = max(5, int(math.log10(n)))
    m_max = min(math.ceil(math.sqrt(n)) + kn, n - 1)
    cv = 2 * math.sqrt(math.log10(n) / n)
    acv = np.zeros(m_max + 1)
    acorr = np.zeros(m_max + 1)
    var = float(e @ e)
    opt_m = None
    for k in range(m_max + 1):
        cross = float(e[k:] @ e[: n - k])
        acv[k] = cross / n
        acorr[k] = abs(cross) / var if var > 0 else 0.0
        if opt_m is None and k >= kn and (acorr[k - kn + 1 : k + 1] < cv).all():
            opt_m = k - kn
    m = min(2 * max(opt_m, 1), m_max) if opt_m is not None else m_max
    g = 0.0
    lr = acv[0]
    for k in range(1, m + 1):
        lam = 1.0 if k / m <= 0.5 else 2 * (1 - k / m)
        g += 2 * lam * k * acv[k]
        lr += 2 * lam * acv[k]
    if lr <= 0 or g == 0:
        return 1.0
    d_cb = 4 / 3 * lr**2
    return float(min((2 * g**2 / d_cb) ** (1 / 3) * n ** (1 / 3), b_max))


def _units(units: ArrayLike, n: int, name: str, owner: str) -> NDArray[np.int64]:
    """Each value's period as ``0 .. D - 1`` in time order (empty periods skipped)."""
    u = np.asarray(units).ravel()
    if u.size != n:
        msg = (
            f"The {name!r} parameter of {owner} must give one period per value. Got "
            f"{u.size} periods for {n} values instead."
        )
        raise InvalidParameterError(msg)
    inverse: NDArray[np.int64] = np.unique(u, return_inverse=True)[1].astype(np.int64)
    return inverse


def _phases(
    units: ArrayLike, cycle: int | None, name: str, owner: str
) -> NDArray[np.int64] | None:
    """Each period's phase in the cycle, ``unit % cycle``, in time order (as ``_units``).

    ``None`` without a cycle. With one, the periods must be whole numbers counted in
    the cycle's steps (e.g. date ordinals for a weekly cycle of days).
    """
    if cycle is None:
        return None
    periods = np.unique(np.asarray(units).ravel())
    whole = periods.dtype.kind in "iu" or (
        periods.dtype.kind == "f" and bool(np.all(periods == np.round(periods)))
    )
    if not whole:
        msg = (
            f"The {name!r} parameter of {owner} must hold whole numbers when 'cycle' "
            f"is given (the phase is the period modulo the cycle). Got periods of "
            f"type {periods.dtype} instead."
        )
        raise InvalidParameterError(msg)
    phases: NDArray[np.int64] = np.mod(periods.astype(np.int64), cycle)
    return phases


def _check_cycle(cycle: object, owner: str) -> None:
    if cycle is not None and (
        isinstance(cycle, bool) or not isinstance(cycle, int | np.integer) or cycle < 2
    ):
        msg = (
            f"The 'cycle' parameter of {owner} must be a whole number of periods of "
            f"at least 2, or None. Got {cycle!r} instead."
        )
        raise InvalidParameterError(msg)


def phase_means(
    values: NDArray[np.float64], phase: NDArray[np.int64], cycle: int
) -> NDArray[np.float64]:
    """The mean of ``values`` in each phase ``0 .. cycle - 1`` (0 for a phase with none).

    >>> phase_means(np.array([1.0, 3.0, 5.0]), np.array([0, 0, 2]), 3)
    array([2., 0., 5.])
    """
    means: NDArray[np.float64] = np.bincount(
        phase, weights=values, minlength=cycle
    ) / np.maximum(np.bincount(phase, minlength=cycle), 1)
    return means


def _period_means(x: NDArray[np.float64], u: NDArray[np.int64]) -> NDArray[np.float64]:
    means: NDArray[np.float64] = np.bincount(u, weights=x) / np.bincount(u)
    return means


def block_length(
    before: ArrayLike,
    after: ArrayLike,
    *,
    units_before: ArrayLike,
    units_after: ArrayLike,
    cycle: int | None = None,
    whole_cycles: bool = False,
) -> int:
    """The block length (in periods) :func:`block_bootstrap_differences` uses.

    :func:`optimal_block_length` of the per-period means of both samples, each with its
    own mean taken out and the two series joined, rounded up; 1 when there are fewer
    than 3 periods. With a ``cycle`` (e.g. 7 for days, the periods being date
    ordinals), the mean of each phase (each weekday) over the joined series is taken
    out too: a weekday cycle is the calendar, not dependence, and read as dependence
    it asks for blocks of weeks (Politis–White applied to the seasonally adjusted
    series, as the seasonal block bootstraps of the module text do).

    Parameters
    ----------
    before, after
        The two samples.
    units_before, units_after
        The period of each value.
    cycle
        Periods per seasonal cycle, or ``None`` for no cycle; the periods must then be
        whole numbers whose remainder by ``cycle`` is their phase.
    whole_cycles
        Round the length up to a multiple of ``cycle`` (needs one): the blocks of
        Politis's seasonal block bootstrap (``starts="phase"``; module text).

    Returns
    -------
    int
        The block length in periods, at least 1 (at least ``cycle`` with
        ``whole_cycles``).

    Examples
    --------
    Ten values a day for 30 days on each side; a day's level moves slowly (AR(1) with
    coefficient 0.9 from one day to the next), so days come in blocks of several.

    >>> rng = np.random.default_rng(0)
    >>> level = np.zeros(60)
    >>> for t in range(1, 60):
    ...     level[t] = 0.9 * level[t - 1] + rng.normal()
    >>> day = np.repeat(np.arange(60), 10)
    >>> x = level[day] + rng.normal(size=600)
    >>> block_length(x[:300], x[300:], units_before=day[:300], units_after=day[300:])
    8

    A weekday cycle and independent days: read as it is, the cycle asks for blocks of
    17 days; with ``cycle=7`` what is left is independent noise, for which the rule
    gives 1 to 3 at this length.

    >>> x = np.tile([9.0, 6, 5, 5, 7, 1, 0], 9)[day] + rng.normal(size=600)
    >>> block_length(x[:300], x[300:], units_before=day[:300], units_after=day[300:])
    17
    >>> block_length(
    ...     x[:300], x[300:], units_before=day[:300], units_after=day[300:], cycle=7
    ... )
    3
    >>> block_length(
    ...     x[:300],
    ...     x[300:],
    ...     units_before=day[:300],
    ...     units_after=day[300:],
    ...     cycle=7,
    ...     whole_cycles=True,
    ... )
    7
    """
    owner = "block_length"
    _check_cycle(cycle, owner)
    if whole_cycles and cycle is None:
        msg = (
            f"The 'whole_cycles' parameter of {owner} can be True only with a "
            "'cycle'. Got whole_cycles=True and cycle=None instead."
        )
        raise InvalidParameterError(msg)
    parts = []
    phases = []
    for name, v, units in (
        ("before", before, units_before),
        ("after", after, units_after),
    ):
        x = np.asarray(v, dtype=np.float64).ravel()
        m = _period_means(x, _units(units, x.size, f"units_{name}", owner))
        parts.append(m - m.mean())
        phases.append(_phases(units, cycle, f"units_{name}", owner))
    series = np.concatenate(parts)
    b = 1
    if series.size >= 3 and cycle is not None:
        phase = np.concatenate([p for p in phases if p is not None])
        left = series - phase_means(series, phase, cycle)[phase]
        # the cycle was all there was: what is left is rounding, whose autocorrelation
        # the scale-free rule would read as dependence
        if float(left @ left) > 1e-20 * float(series @ series):
            b = max(1, math.ceil(optimal_block_length(left)))
    elif series.size >= 3:
        b = max(1, math.ceil(optimal_block_length(series)))
    if whole_cycles and cycle is not None:
        return cycle * -(-b // cycle)
    return b


def _block_weights(
    u: NDArray[np.int64],
    b: int,
    m: int,
    rng: np.random.Generator,
    phase: NDArray[np.int64] | None = None,
) -> NDArray[np.float64]:
    """How often each value appears in ``m`` circular block resamples of its periods.

    ``ceil(D / b)`` blocks of ``b`` consecutive periods (wrapping round) are drawn and
    cut to ``D`` periods; a value counts as often as its period was drawn. With
    ``phase`` (each period's phase in its cycle), the block filling positions ``i b``
    onwards starts at a period drawn from those of position ``i b``'s phase (the
    generalized seasonal block bootstrap); periods follow on consecutively from there,
    so a block keeps the phases in step unless it wraps round the end.
    """
    d = int(u.max()) + 1
    k = -(-d // b)
    if phase is None:
        starts = rng.integers(0, d, (m, k))
    else:
        want = phase[np.arange(k) * b]
        by_phase = np.argsort(phase, kind="stable")
        seen = np.bincount(phase)
        first = np.concatenate([[0], np.cumsum(seen)[:-1]])
        pick = (rng.random((m, k)) * seen[want]).astype(np.int64)
        starts = by_phase[first[want] + pick]
    drawn = ((starts[:, :, None] + np.arange(b)) % d).reshape(m, k * b)[:, :d]
    counts = np.zeros((m, d))
    np.add.at(counts, (np.repeat(np.arange(m), d), drawn.ravel()), 1.0)
    weights: NDArray[np.float64] = counts[:, u]
    return weights


def _phase_shares(
    weights: NDArray[np.float64],
    phase: NDArray[np.int64],
    target: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Block resample weights scaled so each phase keeps its share of the cases.

    ``weights`` (rows x values) from :func:`_block_weights`, ``phase`` each value's
    phase. In each row the weights of phase ``h`` are multiplied by ``s_h / S_h``,
    ``s_h`` the phase's share of the values (or ``target[h]``, shares summing to 1),
    ``S_h`` its share of the row's weight (post-stratification): every row keeps its
    total, and its phase shares are the sample's. A phase a row did not draw has no
    weight to scale: the shares of the phases it did draw are then the sample's shares
    among those. With one phase (or a row already in the sample's shares) the weights
    are unchanged.
    """
    k = int(phase.max()) + 1
    onehot = np.zeros((phase.size, k))
    onehot[np.arange(phase.size), phase] = 1.0
    if target is None:
        target = onehot.sum(axis=0)  # values per phase
    else:
        target = np.asarray(target, dtype=np.float64)[:k]
    drawn = weights @ onehot  # rows x phases
    seen = drawn > 0
    want = np.where(seen, target, 0.0)
    total = weights.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(
            seen, want / want.sum(axis=1, keepdims=True) * total / drawn, 1.0
        )
    scaled: NDArray[np.float64] = weights * factor[:, phase]
    return scaled


def _weighted_stat_rows(
    x: NDArray[np.float64], w: NDArray[np.float64], statistic: Statistic
) -> NDArray[np.float64]:
    """``statistic`` of each row's resample: ``x[j]`` repeated ``w[r, j]`` times.

    ``x`` must be sorted. Quantiles interpolate linearly between order statistics of
    the repeated sample, as ``np.quantile`` of the expanded sample would; a fractional
    weight (:func:`_phase_shares`) counts as that much of a repeat.
    """
    total = w.sum(axis=1)
    if statistic == "mean":
        means: NDArray[np.float64] = (w @ x) / total
        return means
    h = (total - 1) * _Q[statistic]
    lo = np.floor(h)
    hi = np.minimum(lo + 1, total - 1)
    cum = np.cumsum(w, axis=1)
    j_lo = (cum <= lo[:, None]).sum(axis=1)
    j_hi = (cum <= hi[:, None]).sum(axis=1)
    out: NDArray[np.float64] = x[j_lo] + (h - lo) * (x[j_hi] - x[j_lo])
    return out


def check_block_options(cycle: object, starts: str, shares: str, owner: str) -> None:
    """Check ``cycle``, ``starts`` and ``shares`` of a block resampling of ``owner``.

    ``starts`` is ``any`` or ``phase``, ``shares`` ``drawn`` or ``phase``; a ``phase``
    needs a ``cycle``.
    """
    _check_cycle(cycle, owner)
    check_choice(starts, "starts", owner, ("any", "phase"))
    check_choice(shares, "shares", owner, ("drawn", "phase"))
    for name, value in (("starts", starts), ("shares", shares)):
        if value == "phase" and cycle is None:
            msg = (
                f"The {name!r} parameter of {owner} can be 'phase' only with a "
                f"'cycle'. Got {name}='phase' and cycle=None instead."
            )
            raise InvalidParameterError(msg)


def block_bootstrap_differences(
    before: ArrayLike,
    after: ArrayLike,
    *,
    units_before: ArrayLike,
    units_after: ArrayLike,
    block: int | None = None,
    cycle: int | None = None,
    starts: Literal["any", "phase"] = "any",
    shares: Literal["drawn", "phase"] = "drawn",
    statistics: tuple[Statistic, ...] = STATISTICS,
    level: float = 0.95,
    n_resamples: int = 2000,
    seed: Seed = None,
) -> dict[Statistic, Interval]:
    """Block-bootstrap percentile intervals of ``stat(after) - stat(before)``.

    Like :func:`bootstrap_differences`, but values are dependent in time: each carries
    its period (``units_*``, e.g. the arrival day as an integer; the order of the
    periods is time order), and whole periods are resampled in circular blocks of
    ``block`` consecutive periods within each sample; with ``starts="phase"``, each
    block starts at a period of the phase it replaces; with ``shares="phase"``, each
    resample's cases are weighted so that each phase keeps its share of the cases
    (module text).

    Parameters
    ----------
    before, after
        The two samples; at least two values each, no NaN.
    units_before, units_after
        The period of each value (integers or anything sortable in time order); at
        least 2 periods per sample.
    block
        Block length in periods; ``None``: :func:`block_length` (Politis–White, with
        the same ``cycle``).
    cycle
        Periods per seasonal cycle (7 when the periods are date ordinals and the
        weekdays differ), or ``None``; used by the block length and by
        ``starts="phase"``.
    starts
        ``any`` (blocks start at any period) or ``phase`` (at a period of the phase
        they replace; needs ``cycle``). ``phase`` with blocks of a few days proved
        too narrow on simulated desks with six weeks a side; with whole cycles
        (``block_length(whole_cycles=True)``) it held α (module text).
    shares
        ``drawn`` (each phase weighs as often as its periods were drawn) or ``phase``
        (each resample's weights scaled so every phase's share of the cases is the
        sample's: post-stratification by phase; needs ``cycle``).
    statistics
        Which of ``mean``, ``median``, ``p90``.
    level
        Confidence level.
    n_resamples
        Bootstrap resamples.
    seed
        Random seed (:func:`servops._validation.as_rng`).

    Returns
    -------
    dict
        Statistic name -> :class:`Interval` of the difference (method
        ``block-percentile``: the expanded percentile interval over the blocks).

    Examples
    --------
    >>> d = block_bootstrap_differences(
    ...     [5.0, 6, 7, 8, 9, 7],
    ...     [3.0, 4, 5, 6, 7, 5],
    ...     units_before=[0, 0, 1, 1, 2, 2],
    ...     units_after=[3, 3, 4, 4, 5, 5],
    ...     seed=1,
    ... )
    >>> d["mean"].estimate, d["mean"].method
    (-2.0, 'block-percentile')
    """
    owner = "block_bootstrap_differences"
    check_interval(level, "level", owner, low=0, high=1)
    check_interval(n_resamples, "n_resamples", owner, low=100, closed="left")
    if block is not None:
        check_interval(block, "block", owner, low=1, closed="left")
    check_block_options(cycle, starts, shares, owner)
    for s in statistics:
        check_choice(s, "statistics", owner, STATISTICS)
    sides = []
    phases = []
    for name, v, units in (
        ("before", before, units_before),
        ("after", after, units_after),
    ):
        x = np.asarray(v, dtype=np.float64).ravel()
        if x.size < 2 or not np.isfinite(x).all():
            msg = (
                f"The {name!r} sample of {owner} must hold at least 2 finite values. "
                f"Got {x.size} values"
                + ("" if np.isfinite(x).all() else " with NaN or infinity")
                + " instead."
            )
            raise InvalidParameterError(msg)
        u = _units(units, x.size, f"units_{name}", owner)
        if u.max() < 1:
            msg = (
                f"The 'units_{name}' parameter of {owner} must hold at least 2 periods "
                "(one period cannot be resampled in blocks). Got 1 period instead."
            )
            raise InvalidParameterError(msg)
        order = np.argsort(x, kind="stable")
        sides.append((x[order], u[order]))
        phases.append(_phases(units, cycle, f"units_{name}", owner))
    (xb, ub), (xa, ua) = sides
    starts_b, starts_a = phases if starts == "phase" else (None, None)
    balance = [
        None if shares == "drawn" or p is None else p[u]
        for p, u in zip(phases, (ub, ua), strict=True)
    ]
    b = (
        block
        if block is not None
        else block_length(
            before,
            after,
            units_before=units_before,
            units_after=units_after,
            cycle=cycle,
        )
    )
    rng = as_rng(seed)
    boot = {s: np.empty(n_resamples) for s in statistics}
    for start in range(0, n_resamples, _CHUNK):
        m = min(_CHUNK, n_resamples - start)
        wb = _block_weights(ub, min(b, int(ub.max()) + 1), m, rng, starts_b)
        wa = _block_weights(ua, min(b, int(ua.max()) + 1), m, rng, starts_a)
        if balance[0] is not None and balance[1] is not None:
            wb, wa = _phase_shares(wb, balance[0]), _phase_shares(wa, balance[1])
        for s in statistics:
            boot[s][start : start + m] = _weighted_stat_rows(
                xa, wa, s
            ) - _weighted_stat_rows(xb, wb, s)
    alpha = expanded_alpha(level, min(ub.max() + 1, ua.max() + 1) / b)
    out: dict[Statistic, Interval] = {}
    for s in statistics:
        theta = statistic_value(xa, s) - statistic_value(xb, s)
        low = float(np.quantile(boot[s], alpha))
        high = float(np.quantile(boot[s], 1 - alpha))
        out[s] = Interval(theta, low, high, level, "block-percentile")
    return out


def expanded_alpha(level: float, blocks: float) -> float:
    """Tail probability of Hesterberg's expanded percentile interval over ``blocks``.

    ``z = sqrt(K / (K - 1)) t_{1-α/2, K-1}`` with ``K`` the independent units (here
    blocks, at least 2); returns ``1 - Φ(z)``, the quantile to cut at each end.

    Examples
    --------
    >>> round(expanded_alpha(0.95, 12), 4)  # 1.96 widened to 2.30
    0.0108
    >>> round(expanded_alpha(0.95, 1e6), 4)  # many blocks: the plain percentile
    0.025
    """
    k = max(float(blocks), 2.0)
    z = math.sqrt(k / (k - 1)) * float(stats.t.ppf(1 - (1 - level) / 2, k - 1))
    return float(stats.norm.sf(z))
