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
    "bootstrap_differences",
    "exact_interval",
    "newcombe_interval",
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
