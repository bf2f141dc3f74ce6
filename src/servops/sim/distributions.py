"""Duration distributions: parameters in seconds, batch samplers, fitting from data.

Every distribution is written in YAML as a mapping with a ``dist`` key, in the model's
``time_unit`` (converted to seconds on load)::

    {dist: fixed, value: 30}
    {dist: exponential, mean: 60}
    {dist: lognormal, mean: 300, sd: 200}
    {dist: gamma, mean: 300, sd: 200}
    {dist: normal, mean: 300, sd: 60}  # truncated to [min, max], min 0 by default
    {dist: uniform, min: 10, max: 50}
    {dist: empirical, quantiles: [0, 12, 30, ...]}  # equally spaced probabilities 0..1
    {dist: empirical, values: [12, 30, 31, ...]}  # resampled with equal weights

Lognormal and gamma are given by mean and standard deviation because people know those;
with ``m`` the mean and ``s`` the sd, lognormal uses ``σ² = ln(1 + s²/m²)``,
``μ = ln m − σ²/2``, and gamma uses shape ``k = m²/s²`` and scale ``θ = s²/m``.

The kernel draws from a distribution through :meth:`Distribution.stream`: an iterator
over batches of 4,096 draws made by NumPy, so the event loop pays one ``next()`` per
draw and never calls NumPy for a single number.

:func:`fit_distribution` picks the family with the smallest Kolmogorov–Smirnov distance
among exponential, lognormal and gamma (maximum-likelihood fits), and falls back to the
empirical quantiles when no family fits within ``ks_max`` (or when most values are ties,
such as zero waits).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from servops.errors import ConfigError

__all__ = ["DIST_KINDS", "Distribution", "fit_distribution"]

DistKind = Literal[
    "fixed", "exponential", "lognormal", "gamma", "normal", "uniform", "empirical"
]
DIST_KINDS: tuple[str, ...] = (
    "fixed",
    "exponential",
    "lognormal",
    "gamma",
    "normal",
    "uniform",
    "empirical",
)
_BATCH = 4096
_KEYS: dict[str, tuple[set[str], set[str]]] = {
    # kind: (required keys, optional keys), besides "dist"
    "fixed": ({"value"}, set()),
    "exponential": ({"mean"}, set()),
    "lognormal": ({"mean", "sd"}, set()),
    "gamma": ({"mean", "sd"}, set()),
    "normal": ({"mean", "sd"}, {"min", "max"}),
    "uniform": ({"min", "max"}, set()),
    "empirical": (set(), {"quantiles", "values"}),
}


@dataclass(frozen=True, slots=True)
class Distribution:
    """A distribution of non-negative durations, in seconds.

    Build one with the class methods (:meth:`fixed`, :meth:`exponential`…) or from YAML
    with :meth:`from_dict`.

    Examples
    --------
    >>> d = Distribution.exponential(60.0)
    >>> d.mean_s
    60.0
    >>> d.to_dict(unit_s=60.0)
    {'dist': 'exponential', 'mean': 1.0}
    >>> rng = np.random.default_rng(1)
    >>> x = list(itertools.islice(Distribution.fixed(5.0).stream(rng), 3))
    >>> x
    [5.0, 5.0, 5.0]
    """

    kind: DistKind
    mean: float = 0.0
    sd: float = 0.0
    low: float = 0.0
    high: float = math.inf
    points: tuple[float, ...] = ()
    #: ``points`` are quantiles at equally spaced probabilities (True) or raw values.
    quantiles: bool = True

    # -- constructors -------------------------------------------------------------------
    @classmethod
    def fixed(cls, value_s: float) -> Distribution:
        """Always ``value_s`` seconds."""
        return cls("fixed", mean=float(value_s))

    @classmethod
    def exponential(cls, mean_s: float) -> Distribution:
        """Exponential with mean ``mean_s`` seconds."""
        return cls("exponential", mean=float(mean_s), sd=float(mean_s))

    @classmethod
    def lognormal(cls, mean_s: float, sd_s: float) -> Distribution:
        """Lognormal with the given mean and standard deviation (seconds)."""
        return cls("lognormal", mean=float(mean_s), sd=float(sd_s))

    @classmethod
    def gamma(cls, mean_s: float, sd_s: float) -> Distribution:
        """Gamma with the given mean and standard deviation (seconds)."""
        return cls("gamma", mean=float(mean_s), sd=float(sd_s))

    @classmethod
    def normal(
        cls, mean_s: float, sd_s: float, *, low: float = 0.0, high: float = math.inf
    ) -> Distribution:
        """Normal truncated to ``[low, high]`` (by redrawing out-of-range values)."""
        return cls("normal", mean=float(mean_s), sd=float(sd_s), low=low, high=high)

    @classmethod
    def uniform(cls, low_s: float, high_s: float) -> Distribution:
        """Uniform on ``[low_s, high_s]``."""
        return cls(
            "uniform", mean=(low_s + high_s) / 2, low=float(low_s), high=float(high_s)
        )

    @classmethod
    def empirical(
        cls, points_s: tuple[float, ...] | list[float], *, quantiles: bool = True
    ) -> Distribution:
        """Resample data: quantiles at equally spaced probabilities, or raw values."""
        pts = tuple(float(x) for x in points_s)
        arr = np.asarray(pts)
        if quantiles:
            mean = (
                float(np.trapezoid(arr, np.linspace(0, 1, len(arr))))
                if len(arr) > 1
                else float(arr[0])
            )
        else:
            mean = float(arr.mean())
        return cls("empirical", mean=mean, points=pts, quantiles=quantiles)

    # -- facts --------------------------------------------------------------------------
    @property
    def mean_s(self) -> float:
        """The mean in seconds (for the truncated normal, of the untruncated normal)."""
        return self.mean

    def scaled(self, factor: float) -> Distribution:
        """The same shape with every duration multiplied by ``factor``."""
        return replace(
            self,
            mean=self.mean * factor,
            sd=self.sd * factor,
            low=self.low * factor,
            high=self.high * factor,
            points=tuple(p * factor for p in self.points),
        )

    # -- sampling -----------------------------------------------------------------------
    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws, in seconds, as a float array."""
        k = self.kind
        if k == "fixed":
            return np.full(n, self.mean)
        if k == "exponential":
            return rng.exponential(self.mean, n)
        if k == "lognormal":
            if self.sd == 0:
                return np.full(n, self.mean)
            s2 = math.log1p((self.sd / self.mean) ** 2)
            return rng.lognormal(math.log(self.mean) - s2 / 2, math.sqrt(s2), n)
        if k == "gamma":
            if self.sd == 0:
                return np.full(n, self.mean)
            shape = (self.mean / self.sd) ** 2
            return rng.gamma(shape, self.sd**2 / self.mean, n)
        if k == "normal":
            out = rng.normal(self.mean, self.sd, n)
            bad = (out < self.low) | (out > self.high)
            tries = 0
            while bad.any():
                out[bad] = rng.normal(self.mean, self.sd, int(bad.sum()))
                bad = (out < self.low) | (out > self.high)
                tries += 1
                if tries > 100:  # nearly all mass outside: clip rather than spin
                    np.clip(out, self.low, self.high, out=out)
                    break
            return out
        if k == "uniform":
            return rng.uniform(self.low, self.high, n)
        pts = np.asarray(self.points)
        if self.quantiles:
            return np.asarray(
                np.interp(rng.random(n), np.linspace(0.0, 1.0, len(pts)), pts),
                dtype=float,
            )
        return pts[rng.integers(0, len(pts), n)]

    def stream(self, rng: np.random.Generator, batch: int = _BATCH) -> Iterator[float]:
        """An endless iterator of draws (seconds), made ``batch`` at a time by NumPy."""
        if self.kind == "fixed":
            return itertools.repeat(self.mean)
        return itertools.chain.from_iterable(
            iter(lambda: self.sample(rng, batch).tolist(), None)
        )

    def drawn_total(
        self, rng: np.random.Generator, n: int, batch: int = _BATCH
    ) -> float:
        """The sum of the first ``n`` draws that ``stream(rng, batch)`` yields.

        ``rng`` must be in the state the stream started from (a fresh generator with
        the same seed): the draws are made again, a batch at a time, in constant
        memory. The simulation kernel uses this for busy time, so its loop need not
        add up every duration it draws.

        Examples
        --------
        >>> d = Distribution.gamma(10.0, 4.0)
        >>> xs = list(itertools.islice(d.stream(np.random.default_rng(3), 8), 20))
        >>> math.isclose(d.drawn_total(np.random.default_rng(3), 20, 8), sum(xs))
        True
        """
        if n <= 0:
            return 0.0
        if self.kind == "fixed":
            return self.mean * n
        parts = []
        while n > 0:
            parts.append(float(self.sample(rng, batch)[:n].sum()))
            n -= batch
        return math.fsum(parts)

    # -- YAML ---------------------------------------------------------------------------
    def to_dict(self, *, unit_s: float = 1.0) -> dict[str, Any]:
        """YAML form, durations in units of ``unit_s`` seconds."""

        def u(x: float) -> float:
            return _round(x / unit_s)

        k = self.kind
        if k == "fixed":
            return {"dist": k, "value": u(self.mean)}
        if k == "exponential":
            return {"dist": k, "mean": u(self.mean)}
        if k in ("lognormal", "gamma"):
            return {"dist": k, "mean": u(self.mean), "sd": u(self.sd)}
        if k == "normal":
            d: dict[str, Any] = {"dist": k, "mean": u(self.mean), "sd": u(self.sd)}
            if self.low != 0.0:
                d["min"] = u(self.low)
            if math.isfinite(self.high):
                d["max"] = u(self.high)
            return d
        if k == "uniform":
            return {"dist": k, "min": u(self.low), "max": u(self.high)}
        key = "quantiles" if self.quantiles else "values"
        return {"dist": k, key: [u(p) for p in self.points]}

    @classmethod
    def from_dict(cls, d: object, *, where: str, unit_s: float = 1.0) -> Distribution:
        """Read the YAML form; ``where`` names the key for error messages.

        Examples
        --------
        >>> Distribution.from_dict({"dist": "gamma", "mean": 2, "sd": 1}, where="x",
        ...                        unit_s=60).mean_s
        120.0
        >>> Distribution.from_dict({"dist": "weibull"}, where="activities.A.duration")
        Traceback (most recent call last):
        ...
        servops.errors.ConfigError: activities.A.duration.dist: unknown distribution \
'weibull'. Use one of: fixed, exponential, lognormal, gamma, normal, uniform, empirical.
        """
        if isinstance(d, int | float) and not isinstance(d, bool):
            d = {"dist": "fixed", "value": d}
        if not isinstance(d, Mapping):
            msg = (
                f"{where}: a distribution must be a mapping such as "
                f"{{dist: exponential, mean: 5}}; got {d!r}."
            )
            raise ConfigError(msg)
        kind = d.get("dist")
        if kind not in _KEYS:
            msg = (
                f"{where}.dist: unknown distribution {kind!r}. Use one of: "
                f"{', '.join(DIST_KINDS)}."
            )
            raise ConfigError(msg)
        required, optional = _KEYS[kind]
        extra = set(d) - required - optional - {"dist"}
        if extra:
            msg = (
                f"{where}: unknown key(s) {sorted(extra)} for a {kind} distribution; "
                f"it takes {sorted(required | optional)}."
            )
            raise ConfigError(msg)
        missing = required - set(d)
        if missing:
            msg = f"{where}: a {kind} distribution needs {sorted(missing)}; got {dict(d)}."
            raise ConfigError(msg)

        def num(key: str, *, positive: bool = False) -> float:
            v = d[key]
            if (
                isinstance(v, bool)
                or not isinstance(v, int | float)
                or math.isnan(v)
                or (v < 0 or (positive and v == 0))
            ):
                rule = "a positive number" if positive else "a number >= 0"
                msg = f"{where}.{key} must be {rule}; got {v!r}."
                raise ConfigError(msg)
            return float(v) * unit_s

        if kind == "fixed":
            return cls.fixed(num("value"))
        if kind == "exponential":
            return cls.exponential(num("mean", positive=True))
        if kind in ("lognormal", "gamma"):
            m, s = num("mean", positive=True), num("sd")
            return cls.lognormal(m, s) if kind == "lognormal" else cls.gamma(m, s)
        if kind == "normal":
            lo = num("min") if "min" in d else 0.0
            hi = num("max") if "max" in d else math.inf
            if hi <= lo:
                msg = f"{where}: max must exceed min; got min={d.get('min')}, max={d['max']}."
                raise ConfigError(msg)
            return cls.normal(num("mean"), num("sd", positive=True), low=lo, high=hi)
        if kind == "uniform":
            lo, hi = num("min"), num("max")
            if hi < lo:
                msg = (
                    f"{where}: max must be >= min; got min={d['min']}, max={d['max']}."
                )
                raise ConfigError(msg)
            return cls.uniform(lo, hi)
        has_q, has_v = "quantiles" in d, "values" in d
        if has_q == has_v:
            msg = (
                f"{where}: an empirical distribution needs exactly one of 'quantiles' "
                f"or 'values'; got keys {sorted(d)}."
            )
            raise ConfigError(msg)
        key = "quantiles" if has_q else "values"
        pts = d[key]
        if (
            not isinstance(pts, list)
            or not pts
            or not all(
                isinstance(x, int | float) and not isinstance(x, bool) and x >= 0
                for x in pts
            )
        ):
            msg = (
                f"{where}.{key} must be a non-empty list of numbers >= 0; got {pts!r}."
            )
            raise ConfigError(msg)
        if has_q and any(b < a for a, b in itertools.pairwise(pts)):
            msg = f"{where}.quantiles must be non-decreasing; got {pts!r}."
            raise ConfigError(msg)
        return cls.empirical([float(x) * unit_s for x in pts], quantiles=has_q)


def _round(x: float) -> float:
    """Six significant digits keep YAML readable without visible loss."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    return float(f"{x:.6g}")


def _mean_matched(q: np.ndarray, mean: float) -> list[float]:
    """Quantile points whose piecewise-linear distribution has the data's mean.

    Between stored quantiles draws are uniform, so the top segment spreads its share
    (1 / (points − 1)) evenly up to the sample maximum: one outlier of 62 hours among
    work of minutes made the demo's "First response" twice as long as it was. The top
    point is lowered (never below the one before) until the means agree.

    Examples
    --------
    >>> [round(v, 6) for v in _mean_matched(np.array([0.0, 1.0, 2.0, 100.0]), 2.0)]
    [0.0, 1.0, 2.0, 6.0]
    """
    pts = [float(v) for v in q]
    if len(pts) < 2:
        return pts
    dp = 1.0 / (len(pts) - 1)
    below = sum((a + b) / 2 * dp for a, b in itertools.pairwise(pts[:-1]))
    top = 2 * (mean - below) / dp - pts[-2]
    if pts[-2] <= top < pts[-1]:
        pts[-1] = top
    elif top < pts[-2]:
        pts[-1] = pts[-2]
    return pts


def fit_distribution(
    values: np.ndarray,
    *,
    families: tuple[str, ...] = ("exponential", "lognormal", "gamma"),
    ks_max: float = 0.08,
    n_quantiles: int = 41,
    mean_tol: float = 0.1,
) -> Distribution:
    """The best-fitting family by Kolmogorov–Smirnov distance, or empirical quantiles.

    Parameters
    ----------
    values
        Observed durations in seconds (negative values are clipped to 0).
    families
        Candidate families, fitted by maximum likelihood (scipy).
    ks_max
        The largest KS distance accepted for a family; above it the empirical
        quantiles are kept.
    n_quantiles
        How many quantiles the empirical fallback stores.
    mean_tol
        A family whose mean differs from the data's by more than this share is
        rejected, however well it fits the shape.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> fit_distribution(rng.lognormal(3.0, 0.5, 5000)).kind
    'lognormal'
    >>> fit_distribution(np.zeros(10)).kind
    'fixed'
    """
    from scipy import stats

    x = np.clip(np.asarray(values, dtype=float), 0.0, None)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return Distribution.fixed(0.0)
    if np.ptp(x) == 0:
        return Distribution.fixed(float(x[0]))
    m = float(x.mean())
    qs = tuple(_mean_matched(np.quantile(x, np.linspace(0, 1, n_quantiles)), m))
    empirical = Distribution.empirical(qs)
    pos = x[x > 0]
    # Many ties (zero waits, whole-minute stamps) break every continuous family.
    if len(pos) < 20 or len(pos) < 0.9 * len(x):
        return empirical
    best: tuple[float, Distribution] | None = None
    for fam in families:
        if fam == "exponential":
            cand = Distribution.exponential(m)
            ks = stats.kstest(x, "expon", args=(0, m)).statistic
        elif fam == "lognormal":
            logs = np.log(pos)
            mu, sig = float(logs.mean()), float(logs.std())
            cand = Distribution.lognormal(
                math.exp(mu + sig**2 / 2),
                math.exp(mu + sig**2 / 2) * math.sqrt(math.expm1(sig**2)),
            )
            ks = stats.kstest(x, "lognorm", args=(sig, 0, math.exp(mu))).statistic
        elif fam == "gamma":
            try:
                a, _, scale = stats.gamma.fit(pos, floc=0)
            except (ValueError, RuntimeError):
                continue
            cand = Distribution.gamma(a * scale, math.sqrt(a) * scale)
            ks = stats.kstest(x, "gamma", args=(a, 0, scale)).statistic
        else:
            msg = f"fit_distribution: unknown family {fam!r}; use {families}."
            raise ConfigError(msg)
        # A family that fits the body but not the mean (a lognormal with a huge
        # sigma) would distort every total built from it: keep the mean honest.
        if not (math.isfinite(cand.mean) and abs(cand.mean - m) <= mean_tol * m):
            continue
        if best is None or ks < best[0]:
            best = (float(ks), cand)
    if best is None or best[0] > ks_max:
        return empirical
    return best[1]
