"""Plan a before/after comparison: the days a side its day-block interval needs.

:func:`~servops.improve.sample_size_proportions` counts cases for a randomised test
judged case by case. :func:`~servops.improve.before_after` is judged on days: by
default it resamples circular blocks of ``b`` consecutive arrival days, ``b`` the
Politis–White rule's length read from the data rounded up to whole weeks
(``block_length(cycle=7, whole_cycles=True)``), each block starting on the weekday
it replaces (the seasonal block bootstrap), and its interval is the expanded
percentile over ``K = D / b`` blocks (``D`` days with a measured case on the smaller
side); with fewer than ``MIN_BLOCKS`` blocks it is widened to cover the
case-resampling interval too. A plan for it therefore counts days. With ``m``
measured cases a day, per-case standard deviations ``σ_b`` and ``σ_a`` (``σ² = p(1 - p)``
for rates), the effect ``Δ`` and ``n = D m`` cases a side:

* **design effect** ``deff``: from the baseline's days, ``s_u² / (m σ²)`` with
  ``s_u² = Σ_d (y_d - μ m_d)² / (D - 1)`` (``y_d`` the day's sum, ``m_d`` its measured
  cases, ``μ`` the baseline mean): the variance of the ratio estimator over days
  against the binomial (or i.i.d.) one, 1 when days add no variation of their own;
  times ``(1 + φ) / (1 - φ)`` when the day-to-day residuals (each weekday's mean taken
  out) have lag-1 autocorrelation ``φ > 0``;
* ``se = sqrt(deff (σ_b² + σ_a²) / n)``, and ``se_c = sqrt((σ_b² + σ_a²) / n)`` for
  cases resampled independently;
* for a block length ``b``: the half-width ``h = c_K sqrt(1 - b / D) se`` with
  ``c_K = sqrt(K / (K - 1)) t_{1-α/2, K-1}`` (Hesterberg's expanded quantile), cut at
  ``Φ⁻¹(1 - 1 / (R + 1))`` for ``R`` resamples (a quantile beyond the most extreme
  resample is that resample); ``1 - b / D`` is the circular block bootstrap's
  variance of a mean over ``D`` independent days against the true one (with
  ``b = 1``, ``c_K sqrt(1 - 1 / D)`` is Student's ``t_{D-1}``; with whole-week blocks
  starting on their weekday a resample draws ``K`` of the ``K`` weeks with
  replacement, whose variance is ``1 - 1 / K`` of the true one, the same); and
  ``h = max(h, z_{1-α/2} se_c)`` when ``K < MIN_BLOCKS`` (the widened interval);
* its power ``Φ((|Δ| - h) / se) + Φ((-|Δ| - h) / se)``.

The block length the rule reads is itself random: on independent days it is 1 to 3
in most runs of a few weeks but up to 9 on two weeks a side, so whole weeks are one
week in most draws and two in a few (more with a day-to-day correlation). The plan
draws it: ``draws`` series of ``2 D``
daily means with the baseline's weekday make-up (a day's variance ``∝ 1 / m_d``) and
lag-1 correlation ``φ``, each read by :func:`~servops.improve.intervals.block_length`
as ``before_after`` reads it; the power is the mean over the draws. The days a side
are the fewest, at least ``MIN_BLOCKS``, that reach the target power and leave at
most ``max_widened`` (default a half) of the drawn block lengths with fewer than
``MIN_BLOCKS`` blocks, i.e. ``MIN_BLOCKS`` blocks of the median block length: 70
days a side with one-week blocks. When the blocks, not the power, set the days, the
power there exceeds the target.

On the demo desk's twin (``benchmarks/sim_power_study.py``, ``benchmarks/RESULTS.md``
"Issue 19 session 26") a cut of the reopen rate from 14.0 % by 2.1 points is planned
at 85 days a side (power 0.80): 100 simulated comparisons found it in 73 (the 99 %
band 70-90; the runs' mean estimate was 1.9 points). A 4.9-point cut is planned at
the 70-day floor (power 1.00) and was found in every run
(``tests/unit/demo/test_planted_improvement.py``). Below ``MIN_BLOCKS`` blocks the
power is that of the widened interval, about the case-by-case power (the twin's
4.9-point cut at the case-by-case plan's 11 days: 0.78), and the comparison says
"too few periods to judge".

In the limit of many days, no day variation and a fixed ``b = 1`` the plan's cases
tend to :func:`~servops.improve.sample_size_proportions`' ``n`` (unpooled rather than
pooled variance: within about one per cent at these rates).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

import numpy as np
from scipy import stats

from servops._validation import as_rng, check_choice, check_interval
from servops.errors import InvalidParameterError
from servops.improve.abtest import sample_size_means, sample_size_proportions
from servops.improve.beforeafter import (
    METRICS,
    MIN_BLOCKS,
    RATE_METRICS,
    arrival_periods,
    change_moment,
    metric_values,
    segment_cases,
)
from servops.improve.intervals import block_length, expanded_alpha, phase_means
from servops.kpi.cases import case_metrics, resolve_config

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime

    from numpy.typing import NDArray

    from servops._typing import PathLike, Seed
    from servops.kpi.config import KpiConfig
    from servops.log import EventLog

__all__ = [
    "BeforeAfterPlan",
    "DayBaseline",
    "day_baseline",
    "plan_before_after",
]

_MONDAY = date(2024, 1, 1).toordinal()  # a Monday: the drawn days start on one


@dataclass(frozen=True, slots=True)
class DayBaseline:
    """What a before/after plan needs to know about the days before a change.

    Attributes
    ----------
    kind
        ``rate`` (per case 0/1) or ``mean`` (e.g. a duration in seconds).
    mean
        The baseline rate or mean per case.
    sd
        The per-case standard deviation (``sqrt(p (1 - p))`` for a rate).
    cases_per_day
        Measured cases per day with any.
    design_effect
        Variance of the mean over days against the i.i.d. one (module text), without
        the day-to-day correlation.
    day_correlation
        Lag-1 autocorrelation of the daily residuals, each weekday's mean taken out
        (0 to 0.9); read as 0 below ``2 sqrt(log₁₀ D / D)``, the bound under which
        Politis–White reads an autocorrelation as none.
    weekday_shares
        Mean measured cases on each weekday, Monday first, as shares of their sum;
        ``None``: every day alike.
    days
        The days the baseline was read from (0 when given by hand).
    """

    kind: Literal["rate", "mean"]
    mean: float
    sd: float
    cases_per_day: float
    design_effect: float = 1.0
    day_correlation: float = 0.0
    weekday_shares: tuple[float, ...] | None = None
    days: int = 0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        d = asdict(self)
        d["weekday_shares"] = (
            None if self.weekday_shares is None else list(self.weekday_shares)
        )
        return d


@dataclass(frozen=True, slots=True)
class BeforeAfterPlan:
    """Days a side for :func:`~servops.improve.before_after`'s default to find ``effect``.

    Attributes
    ----------
    days
        Days with a measured case on each side.
    cases
        Measured cases a side those days hold (``days`` times cases per day).
    block
        The block length (days) the rule reads most often at ``days`` (or the one
        given).
    blocks
        ``days / block``.
    p_widened
        Share of the drawn block lengths that leave fewer than ``MIN_BLOCKS`` blocks
        a side (the interval is then widened).
    power
        Expected power at ``days`` (the mean over the drawn block lengths); it exceeds
        ``target_power`` when ``binding`` is ``min_blocks``.
    target_power, alpha, effect
        The plan's inputs.
    design_effect
        The variance factor used, the day-to-day correlation included.
    binding
        ``power`` (the fewest days that reach the target), ``min_blocks`` (the
        days are those the blocks need, ``MIN_BLOCKS`` blocks of the usual block
        length, and the target is met with those or fewer) or ``given`` (``days``
        was given; ``power`` is the power there).
    case_by_case
        Cases a side a randomised test judged case by case needs for the same
        effect (:func:`~servops.improve.sample_size_proportions` or
        :func:`~servops.improve.sample_size_means`).
    """

    days: int
    cases: int
    block: int
    blocks: float
    p_widened: float
    power: float
    target_power: float
    alpha: float
    effect: float
    design_effect: float
    binding: Literal["power", "min_blocks", "given"]
    case_by_case: int

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return asdict(self)


def day_baseline(
    log: EventLog,
    metric: str,
    *,
    until: datetime | date | None = None,
    config: KpiConfig | PathLike | None = None,
    segment: Mapping[str, str] | None = None,
) -> DayBaseline:
    """Read a :class:`DayBaseline` from the cases of ``log`` arriving before ``until``.

    Parameters
    ----------
    log
        The event log of the baseline period.
    metric
        A metric of :func:`~servops.improve.before_after` (``reopened``, ``lead_time``,
        ...); durations are planned on their mean.
    until
        Only cases arriving before this (a date or naive time in the config's time
        zone); ``None``: all.
    config
        A :class:`~servops.kpi.KpiConfig`, a YAML path, or ``None`` (guessed).
    segment
        Only the cases with these attribute values, as
        :func:`~servops.improve.before_after` takes them (``{"channel": "email"}``).

    Returns
    -------
    DayBaseline

    Raises
    ------
    InvalidParameterError
        Unknown metric, a segment attribute the log does not have, or fewer than 3
        days with a measured case.
    """
    owner = "day_baseline"
    check_choice(metric, "metric", owner, METRICS)
    cfg = resolve_config(config, log)
    cases = segment_cases(case_metrics(log, cfg), segment, list(log.attributes), owner)
    arrived = cases.column("arrived_at").to_pylist()
    x = metric_values(cases, metric)
    keep = ~np.isnan(x)
    if until is not None:
        end = change_moment(until, cfg.timezone)
        keep &= np.array([t < end for t in arrived], dtype=bool)
    days = arrival_periods(arrived, "day", cfg.timezone)
    assert days is not None  # "day" always has periods
    x, days = x[keep], days[keep]
    ordinals, u = np.unique(days, return_inverse=True)
    if ordinals.size < 3:
        msg = (
            f"The 'log' parameter of {owner} must hold at least 3 days with a "
            f"measured {metric}"
            + ("" if until is None else f" before {until}")
            + f". Got {ordinals.size} instead."
        )
        raise InvalidParameterError(msg)
    m = np.bincount(u).astype(np.float64)
    y = np.bincount(u, weights=x)
    mu = float(y.sum() / m.sum())
    kind: Literal["rate", "mean"] = "rate" if metric in RATE_METRICS else "mean"
    var = mu * (1 - mu) if kind == "rate" else float(np.var(x, ddof=1))
    m_bar = float(m.mean())
    resid = y - mu * m
    deff = float(resid @ resid) / (ordinals.size - 1) / (m_bar * var) if var else 1.0
    # the rule reads the series with each weekday's mean taken out
    std = resid / np.sqrt(m)
    phase = ordinals % 7
    left = std - phase_means(std, phase, 7)[phase]
    denom = float(left @ left)
    phi = float(left[1:] @ left[:-1]) / denom if denom > 0 else 0.0
    # below Politis–White's own bound for a correlation that is there, it is noise
    # (about 1 / sqrt(D) on D independent days), and would inflate the plan
    if phi < 2 * math.sqrt(math.log10(ordinals.size) / ordinals.size):
        phi = 0.0
    on_day = phase_means(m, (ordinals - _MONDAY) % 7, 7)
    return DayBaseline(
        kind,
        mu,
        math.sqrt(var),
        m_bar,
        deff,
        min(max(phi, 0.0), 0.9),
        tuple(float(s) for s in on_day / on_day.sum()),
        int(ordinals.size),
    )


def _drawn_blocks(
    days: int, base: DayBaseline, draws: int, seed: int
) -> NDArray[np.int64]:
    """Block lengths the rule reads on ``draws`` simulated series of ``days`` a side."""
    shares = (
        np.full(7, 1 / 7)
        if base.weekday_shares is None
        else np.array(base.weekday_shares)
    )
    # the days that have cases, in calendar order from a Monday, as date ordinals
    open_days = np.flatnonzero(shares > 0)
    weeks = -(-2 * days // open_days.size) + 1
    ordinals = (_MONDAY + np.arange(weeks)[:, None] * 7 + open_days).ravel()[: 2 * days]
    scale = 1 / np.sqrt(shares[(ordinals - _MONDAY) % 7] * open_days.size)
    rng = np.random.default_rng(seed)
    phi = base.day_correlation
    e = rng.normal(size=(draws, 2 * days))
    for t in range(1, 2 * days):
        e[:, t] = phi * e[:, t - 1] + math.sqrt(1 - phi * phi) * e[:, t]
    x = e * scale
    ub, ua = ordinals[:days], ordinals[days:]
    return np.array(
        [
            block_length(
                row[:days],
                row[days:],
                units_before=ub,
                units_after=ua,
                cycle=7,
                whole_cycles=True,
            )
            for row in x
        ],
        dtype=np.int64,
    )


def _power(
    days: int,
    blocks: NDArray[np.int64],
    base: DayBaseline,
    sd_after: float,
    effect: float,
    deff: float,
    alpha: float,
    n_resamples: int,
) -> tuple[float, float]:
    """Mean power over the block lengths, and the share widened (module text)."""
    n = days * base.cases_per_day
    se_c = math.sqrt((base.sd**2 + sd_after**2) / n)
    se = math.sqrt(deff) * se_c
    z = float(stats.norm.isf(alpha / 2))
    cap = float(stats.norm.isf(1 / (n_resamples + 1)))
    total = widened = 0.0
    lengths, counts = np.unique(blocks, return_counts=True)
    for b, count in zip(lengths.tolist(), counts.tolist(), strict=True):
        k = days / b
        # the expanded quantile, but no further out than the extreme of the resamples
        c = min(float(stats.norm.isf(expanded_alpha(1 - alpha, k))), cap)
        h = c * math.sqrt(max(1 - b / days, 0.0)) * se
        if k < MIN_BLOCKS:
            h = max(h, z * se_c)
            widened += count
        p = float(
            stats.norm.cdf((abs(effect) - h) / se)
            + stats.norm.cdf((-abs(effect) - h) / se)
        )
        total += count * p
    return total / blocks.size, widened / blocks.size


def _fewest(enough: Callable[[int], bool], max_days: int, owner: str) -> int:
    """The fewest days from ``MIN_BLOCKS`` on that are ``enough``.

    Doubling, then bisection: the power and the widened share move with the days but
    not exactly monotonically (the drawn block lengths), so this is the first such
    day the bisection meets, at or near the fewest.
    """
    lo = MIN_BLOCKS
    if enough(lo):
        return lo
    hi = 2 * lo
    while not enough(hi):
        lo, hi = hi, 2 * hi
        if lo > max_days:
            msg = (
                f"The 'max_days' parameter of {owner} ({max_days}) is too few: the "
                "plan is not met within it. A larger effect, more cases a day or a "
                "larger max_days is needed."
            )
            raise InvalidParameterError(msg)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if enough(mid) else (mid, hi)
    return hi


def plan_before_after(
    baseline: DayBaseline,
    effect: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    days: int | None = None,
    block: int | None = None,
    max_widened: float = 0.5,
    n_resamples: int = 2000,
    draws: int = 200,
    seed: Seed = 0,
    max_days: int = 3650,
) -> BeforeAfterPlan:
    """Days a side for :func:`~servops.improve.before_after`'s default to find ``effect``.

    Parameters
    ----------
    baseline
        The days before the change (:func:`day_baseline`, or by hand).
    effect
        The change of the rate or mean to detect, after minus before (e.g. ``-0.05``
        for five points off a reopen rate).
    alpha
        Two-sided level of the interval (``1 - level`` of ``before_after``).
    power
        The chance of finding the effect that the plan aims for.
    days
        Days a side to evaluate instead of searching: the power there.
    block
        A fixed block length (days) instead of drawing the rule's (module text).
    max_widened
        The largest share of drawn block lengths that may leave fewer than
        ``MIN_BLOCKS`` blocks a side (a widened interval, "too few periods to
        judge"): with the default the days hold ``MIN_BLOCKS`` blocks of the median
        block length the rule reads.
    n_resamples
        The bootstrap resamples of the comparison (``before_after``'s default): an
        expanded quantile beyond the most extreme resample is cut there.
    draws
        Simulated series on which the block rule is read.
    seed
        Random seed of those series (:func:`servops._validation.as_rng`).
    max_days
        Give up beyond this many days a side.

    Returns
    -------
    BeforeAfterPlan

    Raises
    ------
    InvalidParameterError
        A parameter out of range, an effect of 0 or one that takes a rate outside
        (0, 1), or the target not reached within ``max_days``.

    Examples
    --------
    A 14 % rate cut by 5 points, 60 cases a day, independent days and 1-day blocks:
    11 days give ``n = 660`` a side, ``se = sqrt((0.14 · 0.86 + 0.09 · 0.91) / 660)
    = 0.0175`` and ``c_K = t_{0.975, 10} = 2.228``: power ``Φ(0.05 / 0.0175 - 2.228)
    = 0.73``; 13 days reach 0.8.

    >>> base = DayBaseline("rate", 0.14, math.sqrt(0.14 * 0.86), 60.0)
    >>> round(plan_before_after(base, -0.05, days=11, block=1).power, 2)
    0.73
    >>> plan_before_after(base, -0.05, block=1).days
    13
    """
    owner = "plan_before_after"
    check_interval(alpha, "alpha", owner, low=0, high=1)
    check_interval(power, "power", owner, low=0, high=1)
    check_interval(max_widened, "max_widened", owner, low=0, high=1, closed="both")
    check_interval(draws, "draws", owner, low=1, closed="left")
    check_interval(n_resamples, "n_resamples", owner, low=100, closed="left")
    check_interval(baseline.cases_per_day, "baseline.cases_per_day", owner, low=0)
    check_interval(baseline.sd, "baseline.sd", owner, low=0)
    check_interval(baseline.design_effect, "baseline.design_effect", owner, low=0)
    check_interval(
        baseline.day_correlation,
        "baseline.day_correlation",
        owner,
        low=0,
        high=1,
        closed="left",
    )
    if block is not None:
        check_interval(block, "block", owner, low=1, closed="left")
    if days is not None:
        check_interval(days, "days", owner, low=2, closed="left")
    if effect == 0 or not math.isfinite(effect):
        msg = (
            f"The 'effect' parameter of {owner} must be a finite difference other "
            f"than 0: no number of days finds no change. Got {effect!r} instead."
        )
        raise InvalidParameterError(msg)
    if baseline.kind == "rate":
        after = baseline.mean + effect
        if not 0 < after < 1:
            msg = (
                f"The 'effect' parameter of {owner} must keep the rate inside (0, 1): "
                f"{baseline.mean:g} + {effect:g} = {after:g}. Give the change in "
                "proportion points (e.g. -0.05)."
            )
            raise InvalidParameterError(msg)
        sd_after = math.sqrt(after * (1 - after))
        n_cases = sample_size_proportions(
            baseline.mean, after, alpha=alpha, power=power
        ).n_control
    else:
        sd_after = baseline.sd
        n_cases = sample_size_means(
            effect, baseline.sd, alpha=alpha, power=power
        ).n_control
    phi = baseline.day_correlation
    deff = baseline.design_effect * (1 + phi) / (1 - phi)
    draw_seed = int(as_rng(seed).integers(2**62))

    seen: dict[int, tuple[float, float, NDArray[np.int64]]] = {}

    def at(d: int) -> tuple[float, float, NDArray[np.int64]]:
        if d in seen:
            return seen[d]
        bs = (
            np.full(draws, block, dtype=np.int64)
            if block is not None
            else _drawn_blocks(d, baseline, draws, draw_seed)
        )
        p, w = _power(d, bs, baseline, sd_after, effect, deff, alpha, n_resamples)
        seen[d] = (p, w, bs)
        return seen[d]

    binding: Literal["power", "min_blocks", "given"] = "given"
    if days is None:
        d_power = _fewest(lambda d: at(d)[0] >= power, max_days, owner)
        d_blocks = _fewest(lambda d: at(d)[1] <= max_widened, max_days, owner)
        days = max(d_power, d_blocks)
        # the power met at MIN_BLOCKS days already: the floor, not the power, binds
        binding = (
            "min_blocks" if d_blocks > d_power or d_power == MIN_BLOCKS else "power"
        )
    p, widened, bs = at(days)
    b = int(np.bincount(bs).argmax())
    return BeforeAfterPlan(
        days=days,
        cases=math.ceil(days * baseline.cases_per_day - 1e-9),
        block=b,
        blocks=days / b,
        p_widened=widened,
        power=p,
        target_power=power,
        alpha=alpha,
        effect=effect,
        design_effect=deff,
        binding=binding,
        case_by_case=n_cases,
    )
