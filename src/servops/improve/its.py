r"""Interrupted time series: segmented regression with Newey–West standard errors.

A KPI per period ``y_t`` (weekly, or daily with day-of-week effects) is fitted by
ordinary least squares to

.. math::

    y_t = β_0 + β_1 t + β_2 D_t + β_3 (t - t_0) D_t + \sum_{d} γ_d S_{d,t} + ε_t

where ``t`` counts periods from the first, ``t_0`` is the first period after the change,
``D_t = 1`` from ``t_0`` on, and ``S_{d,t}`` are day-of-week dummies for daily series
(the first weekday the series has is the reference, Monday when it has Mondays). ``β_2`` is the **level change** at the change and ``β_3``
the **change of trend** (per period). Consecutive periods are autocorrelated, so the
covariance of the estimates is Newey–West's (HAC, Bartlett kernel):

.. math::

    \hat V = \frac{n}{n-k} (X'X)^{-1} \Big[\sum_t u_t^2 x_t x_t' + \sum_{l=1}^{L}
    \big(1 - \tfrac{l}{L+1}\big) \sum_{t>l} u_t u_{t-l} (x_t x_{t-l}' + x_{t-l} x_t')
    \Big] (X'X)^{-1}

with ``L = ⌊4 (n/100)^{2/9}⌋`` lags by default (Newey & West 1994). Estimates and
standard errors are statsmodels' ``OLS(...).fit(cov_type="HAC", cov_kwds={"maxlags": L,
"use_correction": True}, use_t=True)``; the tests check parity to 1e-8, and with
``inference="t"`` the intervals and p-values are statsmodels' too.

**Why the default is not Student's t.** Newey–West standard errors of a step and a
ramp regressor are too small in series of ITS length: on white noise, 52 weekly points
with the change half-way, the t test of the level change rejects 11 % of the time at
α = 5 % (15 % with AR(1) noise of ρ = 0.3; ``benchmarks/RESULTS.md``). The default
``inference="bootstrap"`` keeps the HAC statistic but takes its critical values from
its null distribution for this design: ``n_boot`` series of AR(1) noise with the
residuals' lag-1 autocorrelation (clipped to [0, 0.95]) and variance, fitted the same
way (a parametric bootstrap-t). That brings the false-positive rate to 4–7 % for
ρ ≤ 0.3; strongly autocorrelated short series (ρ = 0.6) still reject about 9 %. References: Wagner et al., "Segmented
regression analysis of interrupted time series studies in medication use research",
*J. Clin. Pharm. Ther.* 27 (2002); Newey & West, *Econometrica* 55 (1987).

Examples
--------
>>> r = interrupted_time_series([1.0, 2, 3, 4, 2, 3, 4, 5], change_index=4, maxlags=0)
>>> round(r.level_change.estimate, 6), abs(round(r.slope_change.estimate, 6))
(-3.0, 0.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import numpy as np
from scipy import signal, stats

from servops._validation import as_rng, check_choice, check_interval
from servops.errors import InvalidParameterError
from servops.improve.beforeafter import DURATION_METRICS, metric_label
from servops.improve.intervals import Interval

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import timedelta

    from numpy.typing import ArrayLike, NDArray

    from servops._typing import PathLike, Seed
    from servops.improve.phases import MetricSeries
    from servops.kpi.config import KpiConfig
    from servops.log import EventLog

__all__ = [
    "Inference",
    "ItsResult",
    "interrupted_time_series",
    "metric_its",
    "newey_west_lags",
]

_OWNER = "interrupted_time_series"
Inference = Literal["bootstrap", "t"]
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def newey_west_lags(n: int) -> int:
    """Newey–West's rule of thumb for the lags: ``⌊4 (n/100)^(2/9)⌋``.

    Examples
    --------
    >>> newey_west_lags(26), newey_west_lags(100), newey_west_lags(365)
    (2, 4, 5)
    """
    return int(4 * (n / 100) ** (2 / 9))  # floor: the value is positive


@dataclass(frozen=True, slots=True)
class ItsResult:
    """A segmented regression of a KPI series around a change.

    Attributes
    ----------
    names, params, se
        Coefficient names (``intercept``, ``trend``, ``level_change``,
        ``trend_change``, then ``dow_Tue`` … for daily series), estimates and HAC
        standard errors.
    level_change, slope_change
        ``β_2`` and ``β_3`` with their intervals (``slope_change`` per period).
    effect_at_end
        ``β_2 + β_3 (t_last - t_0)``: after minus the pre-change trend, at the last
        period.
    p_level, p_slope
        Two-sided p-values of ``β_2 = 0`` and ``β_3 = 0``.
    lags
        Newey–West lags used.
    """

    names: tuple[str, ...]
    params: NDArray[np.float64]
    se: NDArray[np.float64]
    cov: NDArray[np.float64]
    n: int
    df: int
    lags: int
    level: float
    change_index: int
    level_change: Interval
    slope_change: Interval
    effect_at_end: Interval
    p_level: float
    p_slope: float
    residual_autocorrelation: float | None
    fitted: NDArray[np.float64]
    counterfactual: NDArray[np.float64]
    summary: str
    unit: str = ""
    period: str = "period"
    labels: tuple[str, ...] = ()
    metric: str | None = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "metric": self.metric,
            "period": self.period,
            "unit": self.unit,
            "n": self.n,
            "df": self.df,
            "lags": self.lags,
            "level": self.level,
            "change_index": self.change_index,
            "coefficients": {
                name: {"estimate": float(p), "se": float(s)}
                for name, p, s in zip(self.names, self.params, self.se, strict=True)
            },
            "level_change": self.level_change.to_dict(),
            "slope_change": self.slope_change.to_dict(),
            "effect_at_end": self.effect_at_end.to_dict(),
            "p_level": self.p_level,
            "p_slope": self.p_slope,
            "residual_autocorrelation": self.residual_autocorrelation,
            "labels": list(self.labels),
            "fitted": self.fitted.tolist(),
            "counterfactual": self.counterfactual.tolist(),
            "summary": self.summary,
            "notes": list(self.notes),
        }


def _hac(
    x: NDArray[np.float64], u: NDArray[np.float64], lags: int
) -> NDArray[np.float64]:
    """Newey–West covariance with the n/(n-k) factor; ``u`` one row per series."""
    n, k = x.shape
    xu = u[:, :, None] * x[None, :, :]
    s = np.einsum("bni,bnj->bij", xu, xu)
    for lag in range(1, lags + 1):
        w = 1.0 - lag / (lags + 1)
        g = np.einsum("bni,bnj->bij", xu[:, lag:], xu[:, :-lag])
        s += w * (g + np.transpose(g, (0, 2, 1)))
    bread = np.linalg.inv(x.T @ x)
    return np.asarray(bread @ s @ bread * (n / (n - k)), dtype=np.float64)


def _null_t(
    x: NDArray[np.float64],
    u: NDArray[np.float64],
    lags: int,
    contrasts: NDArray[np.float64],
    n_boot: int,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """|t| of each contrast on ``n_boot`` series of AR(1) noise fitted to ``u``.

    The noise has the residuals' lag-1 autocorrelation (clipped to [0, 0.95]) and their
    variance; every coefficient is 0, so the t statistics follow their null
    distribution for this design, lag choice and autocorrelation.
    """
    n, k = x.shape
    ss = float(u @ u)
    rho = float(u[1:] @ u[:-1]) / ss if ss > 0 else 0.0
    rho = min(max(rho, 0.0), 0.95)
    sd = math.sqrt(ss / (n - k) * (1 - rho * rho))
    e = rng.normal(size=(n_boot, n)) * sd
    e[:, 0] /= math.sqrt(1 - rho * rho)  # the stationary start
    y = np.asarray(signal.lfilter([1.0], [1.0, -rho], e, axis=1), dtype=np.float64)
    beta = y @ np.linalg.pinv(x).T
    cov = _hac(x, y - beta @ x.T, lags)
    est = beta @ contrasts.T
    var = np.einsum("ci,bij,cj->bc", contrasts, cov, contrasts)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.abs(est) / np.sqrt(np.maximum(var, 0.0)), dtype=np.float64)


def _fmt(x: float, unit: str) -> str:
    if unit == "share":
        return f"{100 * abs(x):.1f} points"
    return f"{abs(x):.3g} {unit}".rstrip()


def _ci(iv: Interval, unit: str) -> str:
    pct = f"{round(100 * iv.level)} %"
    if unit == "share":
        lo, hi = 100 * iv.low, 100 * iv.high
        body = f"{lo:+.1f} to {hi:+.1f} points"
    else:
        body = f"{iv.low:+.3g} to {iv.high:+.3g} {unit}".rstrip()
    return f"{pct} CI {body}".replace("-", "\N{MINUS SIGN}")


def _sentence(level_iv: Interval, slope_iv: Interval, unit: str, period: str) -> str:
    if level_iv.excludes(0.0):
        verb = "rose" if level_iv.estimate > 0 else "dropped"
        first = (
            f"level {verb} by {_fmt(level_iv.estimate, unit)} ({_ci(level_iv, unit)}) "
            "at the change"
        )
    else:
        first = (
            f"no clear change of level at the change "
            f"({'+' if level_iv.estimate >= 0 else '-'}"
            f"{_fmt(level_iv.estimate, unit)}, {_ci(level_iv, unit)})"
        ).replace("-", "\N{MINUS SIGN}")
    if slope_iv.excludes(0.0):
        verb = "up" if slope_iv.estimate > 0 else "down"
        second = (
            f"the trend turned {verb} by {_fmt(slope_iv.estimate, unit)} per {period} "
            f"({_ci(slope_iv, unit)})"
        )
    else:
        second = "no change in trend"
    return f"{first}; {second}"


def interrupted_time_series(
    values: ArrayLike,
    change_index: int,
    *,
    times: ArrayLike | None = None,
    day_of_week: ArrayLike | None = None,
    maxlags: int | None = None,
    level: float = 0.95,
    unit: str = "",
    period: str = "period",
    labels: Sequence[str] | None = None,
    inference: Inference = "bootstrap",
    n_boot: int = 999,
    seed: Seed = 0,
) -> ItsResult:
    """Segmented regression of ``values`` with a level and trend change.

    Parameters
    ----------
    values
        The KPI per period, in time order.
    change_index
        Index of the first period after the change.
    times
        Time of each period in periods (default ``0, 1, …``; gaps allowed, e.g. days
        without cases left out).
    day_of_week
        Monday = 0 … Sunday = 6 per period, for daily series: day-of-week dummies
        for every day present but the first (days that never occur get none).
    maxlags
        Newey–West lags (default :func:`newey_west_lags`).
    level
        Confidence level of the intervals.
    inference
        ``bootstrap`` (default): critical values and p-values of the HAC t
        statistics from ``n_boot`` series of AR(1) noise with the residuals'
        autocorrelation and variance (see the module notes); ``t``: Student's t with
        ``n - k`` degrees of freedom, as statsmodels reports.
    n_boot, seed
        Bootstrap series and their random seed.
    unit, period, labels
        For the summary and the JSON: the values' unit (``share`` for rates, shown in
        points), the period's name, a label per period.

    Raises
    ------
    InvalidParameterError
        Fewer than 3 periods on a side, or too few periods for the coefficients.
    """
    check_interval(level, "level", _OWNER, low=0, high=1)
    check_choice(inference, "inference", _OWNER, ("bootstrap", "t"))
    check_interval(n_boot, "n_boot", _OWNER, low=99, closed="left")
    y = np.asarray(values, dtype=float)
    n = y.size
    if np.isnan(y).any():
        msg = (
            f"{_OWNER}: {int(np.isnan(y).sum())} value(s) are NaN; leave periods "
            "without a value out (give their times with 'times')."
        )
        raise InvalidParameterError(msg)
    if not 3 <= change_index <= n - 3:
        msg = (
            f"The 'change_index' parameter of {_OWNER} must leave at least 3 periods "
            f"on each side (3 to {n - 3} for {n} periods). Got {change_index} instead."
        )
        raise InvalidParameterError(msg)
    t = np.arange(n, dtype=float) if times is None else np.asarray(times, dtype=float)
    if t.shape != y.shape or np.any(np.diff(t) <= 0):
        msg = f"{_OWNER}: 'times' must increase and have one value per period."
        raise InvalidParameterError(msg)
    t = t - t[0]
    t0 = t[change_index]
    d = (np.arange(n) >= change_index).astype(float)
    cols = [np.ones(n), t, d, (t - t0) * d]
    names = ["intercept", "trend", "level_change", "trend_change"]
    if day_of_week is not None:
        dow = np.asarray(day_of_week, dtype=int)
        # the first day of the week the series has is the reference (a series
        # without Mondays, e.g. of closures, would else be collinear)
        present = sorted(set(dow.tolist()))
        for k in present[1:]:
            col = (dow == k).astype(float)
            # a day's dummy that the other columns already span (e.g. a day seen
            # only once, or only on one side of the change) is left out: it would
            # make the design singular and says nothing about the change
            if np.linalg.matrix_rank(np.column_stack([*cols, col])) > len(cols):
                cols.append(col)
                names.append(f"dow_{_DAYS[k]}")
    x = np.column_stack(cols)
    k = x.shape[1]
    if n - k < 2:
        msg = (
            f"{_OWNER}: {n} periods for {k} coefficients; at least {k + 2} are needed."
        )
        raise InvalidParameterError(msg)
    lags = newey_west_lags(n) if maxlags is None else int(maxlags)
    if lags < 0 or lags >= n:
        msg = f"The 'maxlags' parameter of {_OWNER} must be in [0, {n - 1}]. Got {maxlags}."
        raise InvalidParameterError(msg)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    u = y - x @ beta
    cov = _hac(x, u[None, :], lags)[0]
    # Newey-West is positive semi-definite: a variance below 0 is round-off of 0
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    df = n - k
    contrasts = np.zeros((3, k))
    contrasts[0, 2] = 1.0  # level change
    contrasts[1, 3] = 1.0  # trend change
    contrasts[2, 2], contrasts[2, 3] = 1.0, t[-1] - t0  # effect at the last period
    if inference == "t":
        quant = np.full(3, float(stats.t.ppf(1 - (1 - level) / 2, df)))
        null = None
        method = "newey-west t"
    else:
        null = _null_t(x, u, lags, contrasts, n_boot, as_rng(seed))
        quant = np.array([float(np.quantile(c[np.isfinite(c)], level)) for c in null.T])
        method = "newey-west, AR(1) bootstrap-t"
    out: list[tuple[Interval, float]] = []
    for j, c in enumerate(contrasts):
        est = float(c @ beta)
        sd = float(math.sqrt(max(float(c @ cov @ c), 0.0)))
        tval = abs(est) / sd if sd > 0 else math.inf
        if null is None:
            p = float(2 * stats.t.sf(tval, df))
        else:
            col = null[:, j]
            p = float((1 + np.sum(col >= tval)) / (1 + col.size))
        iv = Interval(est, est - quant[j] * sd, est + quant[j] * sd, level, method)
        out.append((iv, p))
    (level_iv, p_level), (slope_iv, p_slope), (end_iv, _) = out
    fitted = x @ beta
    xc = x.copy()
    xc[:, 2:4] = 0.0
    counterfactual = xc @ beta
    rho = None
    if n > 2 and float(np.sum(u**2)) > 0:
        rho = float(np.sum(u[1:] * u[:-1]) / np.sum(u**2))
    summary = _sentence(level_iv, slope_iv, unit, period)
    return ItsResult(
        names=tuple(names),
        params=np.asarray(beta, dtype=float),
        se=se,
        cov=cov,
        n=n,
        df=df,
        lags=lags,
        level=level,
        change_index=change_index,
        level_change=level_iv,
        slope_change=slope_iv,
        effect_at_end=end_iv,
        p_level=p_level,
        p_slope=p_slope,
        residual_autocorrelation=rho,
        fitted=fitted,
        counterfactual=counterfactual,
        summary=summary[0].upper() + summary[1:] + ".",
        unit=unit,
        period=period,
        labels=tuple(labels) if labels is not None else tuple(str(i) for i in range(n)),
    )


def metric_its(
    log: EventLog,
    metric: str,
    change_at: datetime,
    *,
    by: Literal["day", "week"] = "week",
    segment: Mapping[str, str] | None = None,
    config: KpiConfig | PathLike | None = None,
    window: timedelta | None = None,
    maxlags: int | None = None,
    level: float = 0.95,
    inference: Inference = "bootstrap",
    n_boot: int = 999,
    seed: Seed = 0,
    series: MetricSeries | None = None,
) -> ItsResult:
    """Interrupted time series of a project metric around ``change_at`` on ``log``.

    The series is :func:`servops.improve.phases.metric_series` (that of
    ``servops spc``: mean hours per period for durations, the share of cases for
    rates); daily series get day-of-week dummies. Parameters as for
    :func:`interrupted_time_series` and :func:`~servops.improve.phases.metric_series`;
    ``series`` (from ``metric_series`` with the same arguments) saves computing it
    again.

    Raises
    ------
    InvalidParameterError
        Fewer than 3 periods with cases on a side of the change.
    """
    from servops.improve.phases import metric_series

    if change_at.tzinfo is None:
        change_at = change_at.replace(tzinfo=UTC)
    ms = series or metric_series(
        log, metric, change_at, by=by, segment=segment, config=config, window=window
    )
    ms.require_sides(3, "interrupted time series")
    step = 86400.0 if by == "day" else 7 * 86400.0
    first = ms.starts[0]
    times = np.array([round((s - first).total_seconds() / step) for s in ms.starts])
    r = interrupted_time_series(
        ms.values,
        ms.change_index,
        times=times,
        day_of_week=[s.weekday() for s in ms.starts] if by == "day" else None,
        maxlags=maxlags,
        level=level,
        inference=inference,
        n_boot=n_boot,
        seed=seed,
        unit=ms.unit if metric in DURATION_METRICS else "share",
        period=by,
        labels=ms.labels,
    )
    label = metric_label(metric)
    what = f"{label[0].upper() + label[1:]} per {by}: "
    return replace(
        r,
        metric=metric,
        summary=what + r.summary[0].lower() + r.summary[1:],
        notes=ms.notes,
    )
