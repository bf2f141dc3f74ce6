"""Before/after comparison of a KPI around a change, with the confounders named.

A case belongs to *before* when it arrived before the change, to *after* otherwise
(``arrived_at`` of :func:`servops.kpi.case_metrics`, whose per-case values are the only
definition of each KPI used here). What is reported:

* the effect: for durations the difference of mean, median and p90, for rates the
  difference of the rates, with intervals that respect the queue's dependence: a case's
  waiting carries over to the next ones (a backlog lasts days), so by default whole
  arrival days are resampled, in circular blocks of consecutive days: the
  Politis–White length for the daily means (each weekday's mean taken out) rounded up
  to whole weeks, each block starting on the weekday of the day it replaces (Politis's
  seasonal block bootstrap: a resample keeps the side's weekday make-up;
  :func:`~servops.improve.intervals.block_bootstrap_differences` with
  ``starts="phase"``, expanded percentile interval). ``dependence="week"`` resamples
  ISO weeks; ``dependence="none"`` resamples cases independently (BCa,
  :func:`~servops.improve.intervals.bootstrap_differences`; rates: the two Wilson
  intervals and Newcombe's interval of the difference), which is right only when
  cases do not share a queue. With fewer than 10 blocks on a side (fewer than 10
  weeks, by default) the interval cannot be trusted: the result says "too few
  periods to judge" and widens it to cover the case-resampling one;
* the volume change: cases per day on each side, and their ratio with the exact
  conditional interval (given the total, the after count is binomial with
  ``p = λₐTₐ / (λₐTₐ + λ_bT_b)``; the Clopper–Pearson interval of ``p`` maps to the ratio);
* the case-mix change: the shares of each mix attribute's values on both sides, with the
  chi-square test of homogeneity;
* a case-mix-adjusted difference by direct standardisation: per stratum of one attribute
  the difference of means (or rates), weighted by the stratum's share of all cases; its
  interval from a bootstrap that resamples within each side (the same blocks of days as
  the effect, or cases within each stratum with ``dependence="none"``). Strata seen on
  one side only cannot be compared and are left out (their weight is reported).

Cases still open at the end of the data (the log's last event, or ``data_end``) are
not left out of durations: the recent cases that take long are the open ones, so
dropping them makes the *after* side look faster and "finds" an improvement that is
not there. An open case's duration (lead time; first response or resolution time while
it has none) is right-censored at its wait so far (:mod:`servops.improve.censoring`,
the definitions :func:`~servops.improve.ab_test` and
:func:`~servops.improve.target_status` use). When any case is open, each side's
statistics are those identifiable under censoring:

* median and p90: exact where the open cases cannot change them, else the Kaplan–Meier
  quantile; not known while the curve has not fallen that far;
* the mean is not known while a case is open; the **restricted mean** up to the
  horizon ``τ`` both sides share (the shorter of the two sides' longest follow-up,
  usually the time from the change to the end of the data) is reported instead: the
  mean of ``min(duration, τ)``, the area under the Kaplan–Meier curve up to ``τ``.

The bootstrap resamples the same periods (cases with ``dependence="none"``, percentile
interval: BCa's jackknife is not defined for a Kaplan–Meier quantile here), computing
the censored statistics on each resample; a resample where a quantile is not reached
counts as unbounded, so an interval that depends on such resamples is "not measurable"
rather than wrong. A statistic that is not measurable has no effect and its reason in
``not_measurable`` (never a 0). ``censoring`` counts the open cases on each side. The
case-mix-adjusted difference is then one of restricted means (per stratum, the same
horizon; :func:`_adjusted_censored`). Cases with no value for another reason (closed
without a first response, no SLA policy) are counted in the notes and left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import stats

from servops._validation import as_rng, check_choice, check_interval
from servops.errors import InvalidParameterError
from servops.improve.censoring import (
    CensoredStatistic,
    censored_differences,
    censored_durations,
    censored_statistic,
    censored_statistic_rows,
    resample_weights,
    still_open,
)
from servops.improve.intervals import (
    STATISTICS,
    Interval,
    block_bootstrap_differences,
    block_length,
    bootstrap_differences,
    exact_interval,
    expanded_alpha,
    newcombe_interval,
    statistic_value,
    wilson_interval,
)
from servops.improve.intervals import _block_weights as block_weights
from servops.kpi.cases import case_metrics, resolve_config

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from numpy.typing import NDArray

    from servops._typing import PathLike, Seed
    from servops.kpi.config import KpiConfig
    from servops.log import EventLog

__all__ = [
    "DURATION_METRICS",
    "METRICS",
    "RATE_METRICS",
    "AdjustedDifference",
    "BeforeAfterResult",
    "Censoring",
    "MixShift",
    "Resampling",
    "Side",
    "VolumeChange",
    "arrival_periods",
    "before_after",
    "change_moment",
    "metric_label",
    "metric_values",
]

Metric = Literal[
    "lead_time", "first_response", "resolution_time", "sla_met", "reopened", "fcr"
]
#: Duration metrics -> their column of :func:`servops.kpi.case_metrics` (seconds).
DURATION_METRICS: dict[str, str] = {
    "lead_time": "lead_time_s",
    "first_response": "first_response_s",
    "resolution_time": "resolution_time_s",
}
#: Rate metrics (per case true/false) -> the words the summary uses.
RATE_METRICS: dict[str, str] = {
    "sla_met": "SLA attainment",
    "reopened": "reopen rate",
    "fcr": "first-contact resolution",
}
METRICS: tuple[str, ...] = (*DURATION_METRICS, *RATE_METRICS)
Dependence = Literal["day", "week", "none"]
#: Fewer blocks than this on a side: "too few periods to judge".
MIN_BLOCKS = 10
#: How day blocks weigh the weekdays (``shares`` of
#: :func:`~servops.improve.intervals.block_bootstrap_differences`): as drawn. ``phase``
#: (each resample keeps each weekday's share of the side's cases) was too narrow on
#: the twin's A/A runs (``benchmarks/RESULTS.md``, "Issue 19 session 25"); the
#: benchmark sets it to compare.
_DAY_SHARES: Literal["drawn", "phase"] = "drawn"
#: Where day blocks start (``starts`` of
#: :func:`~servops.improve.intervals.block_bootstrap_differences`): ``phase``, on the
#: weekday of the day they replace, the rule's block rounded up to whole weeks
#: (Politis's seasonal block bootstrap; the twin's A/A runs held α on all seven
#: statistics, ``benchmarks/RESULTS.md``, "Issue 19 session 26"). ``any`` (any day,
#: blocks of the rule's length; sessions 24-25) left first response conservative;
#: the benchmark sets it to compare.
_DAY_STARTS: Literal["any", "phase"] = "phase"
_MIX_DEFAULT = ("priority", "channel", "category")
_OWNER = "before_after"


def block_rule(
    dependence: str,
) -> tuple[int | None, Literal["any", "phase"], Literal["drawn", "phase"]]:
    """The cycle, block starts and phase shares periods of ``dependence`` resample with.

    Day blocks: the periods are date ordinals and the weekday cycle is not dependence
    (``cycle`` 7), blocks start as :data:`_DAY_STARTS` says (whole weeks, each on the
    weekday it replaces). Other periods: no cycle, blocks start anywhere. One rule for
    :func:`before_after` and :func:`~servops.improve.cost.cost_saving`.
    """
    if dependence != "day":
        return None, "any", "drawn"
    return 7, _DAY_STARTS, _DAY_SHARES


def metric_values(cases: pa.Table, metric: str) -> NDArray[np.float64]:
    """Per-case values of ``metric`` from a :func:`~servops.kpi.case_metrics` table.

    Durations in seconds; rates as 1.0 / 0.0; NaN where the case is not measured.
    ``sla_met`` is 1 for ``met``, 0 for ``breached`` and NaN for ``pending`` or no
    policy: the per-case form of the attainment that ``compute_kpis`` reports.

    Examples
    --------
    >>> t = pa.table({"sla_status": ["met", "breached", "pending", None]})
    >>> metric_values(t, "sla_met").tolist()
    [1.0, 0.0, nan, nan]
    """
    check_choice(metric, "metric", "metric_values", METRICS)
    if metric in DURATION_METRICS:
        col = cases.column(DURATION_METRICS[metric])
        return np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)
    if metric == "sla_met":
        status = cases.column("sla_status").to_pylist()
        lookup = {"met": 1.0, "breached": 0.0}
        return np.array([lookup.get(s, math.nan) for s in status], dtype=np.float64)
    flags = cases.column(metric).to_pylist()
    return np.array(
        [math.nan if f is None else float(f) for f in flags], dtype=np.float64
    )


@dataclass(frozen=True, slots=True)
class Side:
    """One side of the comparison (before or after the change).

    ``value`` is the headline statistic (median duration in seconds, or the rate);
    ``None`` when fewer than two cases are measured or it is not known yet. ``rate``
    is the Wilson interval of a rate metric, ``None`` for durations. ``open`` counts the
    cases still open whose duration is right-censored (not in ``measured``); ``stats``
    holds only the statistics that are known (``restricted_mean`` when cases are open).
    """

    start: datetime
    end: datetime
    cases: int
    measured: int
    cases_per_day: float
    value: float | None
    stats: dict[str, float]
    rate: Interval | None
    open: int = 0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "cases": self.cases,
            "measured": self.measured,
            "open": self.open,
            "unmeasured": self.cases - self.measured - self.open,
            "cases_per_day": self.cases_per_day,
            "value": self.value,
            "stats": self.stats,
            "rate": None if self.rate is None else self.rate.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class VolumeChange:
    """Cases per day before and after, and the ratio after / before with its interval."""

    before_per_day: float
    after_per_day: float
    ratio: Interval | None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "before_per_day": self.before_per_day,
            "after_per_day": self.after_per_day,
            "ratio": None if self.ratio is None else self.ratio.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class MixShift:
    """Shares of one attribute's values before and after; chi-square test of equality."""

    attribute: str
    before: dict[str, float]
    after: dict[str, float]
    p_value: float | None
    largest: str | None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "attribute": self.attribute,
            "before": self.before,
            "after": self.after,
            "p_value": self.p_value,
            "largest_shift": self.largest,
        }


@dataclass(frozen=True, slots=True)
class AdjustedDifference:
    """Difference standardised to the pooled mix of ``by`` (of means, or of rates)."""

    by: str
    statistic: str
    difference: Interval
    strata: tuple[str, ...]
    weight_left_out: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "by": self.by,
            "statistic": self.statistic,
            "difference": self.difference.to_dict(),
            "strata": list(self.strata),
            "weight_left_out": self.weight_left_out,
        }


@dataclass(frozen=True, slots=True)
class Resampling:
    """How the intervals were resampled.

    ``dependence`` is the period (``day`` or ``week`` of arrival) whose blocks were
    resampled, or ``none`` (cases independently); ``block`` the block length in periods
    (Politis–White), ``periods_before`` / ``periods_after`` the periods with measured
    cases on each side, ``method`` the interval (``block-percentile``, ``bca``,
    ``newcombe``) and ``enough`` whether each side has at least ``MIN_BLOCKS`` blocks.
    """

    dependence: str
    block: int | None
    periods_before: int
    periods_after: int
    method: str
    enough: bool

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "dependence": self.dependence,
            "block": self.block,
            "periods_before": self.periods_before,
            "periods_after": self.periods_after,
            "method": self.method,
            "enough": self.enough,
        }


@dataclass(frozen=True, slots=True)
class Censoring:
    """How cases still open at the end of the data were handled (durations only).

    ``at`` is the end of the data (an open case's duration is censored at
    ``at - arrival``); ``open_before`` / ``open_after`` count the censored cases on each
    side; ``horizon_s`` is the restricted mean's horizon ``τ`` (``None`` when nothing is
    open); ``method`` is ``kaplan-meier`` (open cases censored), ``none`` (nothing open)
    or ``unknown`` (the KPI config cannot tell open cases from closed ones).
    """

    at: datetime
    open_before: int
    open_after: int
    horizon_s: float | None
    method: Literal["kaplan-meier", "none", "unknown"]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "at": self.at.isoformat(),
            "open_before": self.open_before,
            "open_after": self.open_after,
            "horizon_s": self.horizon_s,
            "method": self.method,
        }


@dataclass(frozen=True, slots=True)
class BeforeAfterResult:
    """The comparison of ``metric`` before and after ``change_at``.

    ``effects`` holds the differences after - before: ``mean``, ``median``, ``p90``
    for durations (seconds; ``restricted_mean`` instead of ``mean`` while cases are
    open), ``rate`` for rates; a statistic that is not measurable is absent and
    ``not_measurable`` gives the reason. ``headline`` names the effect the summary
    states. ``resampling`` says how the intervals were resampled (``None`` when there
    is no interval); ``censoring`` how open cases were handled (durations).
    """

    metric: str
    kind: Literal["duration", "rate"]
    change_at: datetime
    segment: dict[str, str]
    before: Side
    after: Side
    effects: dict[str, Interval]
    headline: str
    volume: VolumeChange
    mix: tuple[MixShift, ...]
    adjusted: AdjustedDifference | None
    summary: str
    notes: tuple[str, ...] = field(default=())
    resampling: Resampling | None = None
    censoring: Censoring | None = None
    not_measurable: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "metric": self.metric,
            "kind": self.kind,
            "change_at": self.change_at.isoformat(),
            "segment": self.segment,
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
            "headline": self.headline,
            "effects": {k: v.to_dict() for k, v in self.effects.items()},
            "volume": self.volume.to_dict(),
            "mix": [m.to_dict() for m in self.mix],
            "adjusted": None if self.adjusted is None else self.adjusted.to_dict(),
            "summary": self.summary,
            "notes": list(self.notes),
            "resampling": None
            if self.resampling is None
            else self.resampling.to_dict(),
            "censoring": None if self.censoring is None else self.censoring.to_dict(),
            "not_measurable": self.not_measurable,
        }


def change_moment(value: datetime | date, zone: str) -> datetime:
    """A change date as an aware UTC datetime; dates and naive times read in ``zone``.

    Examples
    --------
    >>> change_moment(date(2026, 4, 1), "Europe/Paris").isoformat()
    '2026-03-31T22:00:00+00:00'
    """
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(UTC)


def segment_cases(
    cases: pa.Table, segment: Mapping[str, str] | None, attrs: Sequence[str], owner: str
) -> pa.Table:
    """The rows of a :func:`~servops.kpi.case_metrics` table in ``segment``.

    ``segment`` maps case attributes to the value kept (compared as text); ``attrs``
    are the log's attributes, which a segment must name.

    Raises
    ------
    InvalidParameterError
        ``segment`` names an attribute not in ``attrs``.
    """
    for col, value in (segment or {}).items():
        if col not in attrs:
            msg = (
                f"The 'segment' parameter of {owner} names attribute {col!r}, which the "
                f"log does not have. Attributes of this log: {sorted(attrs)}."
            )
            raise InvalidParameterError(msg)
        cases = cases.filter(pc.equal(pc.cast(cases.column(col), pa.string()), value))
    return cases


def metric_label(metric: str) -> str:
    """The metric in words.

    Examples
    --------
    >>> metric_label("lead_time"), metric_label("sla_met")
    ('lead time', 'SLA attainment')
    """
    return RATE_METRICS.get(metric, metric.replace("_", " "))


def _unit(seconds: float) -> tuple[float, str]:
    a = abs(seconds)
    if a < 7200:
        return 60.0, "min"
    if a < 172800:
        return 3600.0, "h"
    return 86400.0, "d"


def _num(x: float, *, signed: bool = False, digits: int = 1) -> str:
    s = f"{x:+.{digits}f}" if signed else f"{x:.{digits}f}"
    return s.replace("-", "\N{MINUS SIGN}")


def _verb(iv: Interval, *, up: str, down: str) -> str:
    if not iv.excludes(0.0):
        return "changed"
    return up if iv.estimate > 0 else down


def _duration_sentence(metric: str, stat: str, b: float, a: float, iv: Interval) -> str:
    scale, unit = _unit(max(abs(b), abs(a)))
    # the difference in its own unit: a 3 h change of a 2.6 d median is not "+0.1 d"
    dscale, dunit = _unit(max(abs(iv.low), abs(iv.high)))
    name = f"{stat} {metric_label(metric)}"
    verb = _verb(iv, up="rose", down="fell")
    pct = f"{round(100 * iv.level)} %"
    text = (
        f"{name} {verb} from {_num(b / scale)} {unit} to {_num(a / scale)} {unit} "
        f"({_num(iv.estimate / dscale, signed=True)} {dunit}, {pct} CI "
        f"{_num(iv.low / dscale, signed=True)} to "
        f"{_num(iv.high / dscale, signed=True)} {dunit})"
    )
    if not iv.excludes(0.0):
        text += ": no clear change"
    return text


def _rate_sentence(metric: str, b: float, a: float, iv: Interval) -> str:
    verb = _verb(iv, up="rose", down="fell")
    pct = f"{round(100 * iv.level)} %"
    text = (
        f"{metric_label(metric)} {verb} from {_num(100 * b)} % to {_num(100 * a)} % "
        f"({_num(100 * iv.estimate, signed=True)} points, {pct} CI "
        f"{_num(100 * iv.low, signed=True)} to {_num(100 * iv.high, signed=True)})"
    )
    if not iv.excludes(0.0):
        text += ": no clear change"
    return text


def _volume(
    n_b: int, days_b: float, n_a: int, days_a: float, level: float
) -> VolumeChange:
    per_b = n_b / days_b if days_b > 0 else math.nan
    per_a = n_a / days_a if days_a > 0 else math.nan
    ratio = None
    if n_b > 0 and n_a > 0 and days_b > 0 and days_a > 0:
        p = exact_interval(n_a, n_a + n_b, level=level)
        scale = days_b / days_a

        def odds(x: float) -> float:
            return math.inf if x >= 1 else x / (1 - x) * scale

        ratio = Interval(per_a / per_b, odds(p.low), odds(p.high), level, "exact")
    return VolumeChange(per_b, per_a, ratio)


def _shares(values: list[str]) -> dict[str, float]:
    n = len(values)
    keys, counts = np.unique(np.array(values, dtype=object), return_counts=True)
    return {str(k): int(c) / n for k, c in zip(keys, counts, strict=True)} if n else {}


def _mix(attribute: str, before: list[str], after: list[str]) -> MixShift:
    sb, sa = _shares(before), _shares(after)
    keys = sorted(set(sb) | set(sa))
    p_value = None
    if len(keys) > 1 and before and after:
        table = np.array(
            [[sb.get(k, 0) * len(before), sa.get(k, 0) * len(after)] for k in keys]
        )
        p_value = float(stats.chi2_contingency(np.rint(table)).pvalue)
    largest = (
        max(keys, key=lambda k: abs(sa.get(k, 0.0) - sb.get(k, 0.0))) if keys else None
    )
    return MixShift(attribute, sb, sa, p_value, largest)


def _adjusted(
    by: str,
    strata: NDArray[np.object_],
    values: NDArray[np.float64],
    after: NDArray[np.bool_],
    *,
    kind: str,
    level: float,
    n_resamples: int,
    rng: np.random.Generator,
    units: NDArray[np.int64] | None = None,
    block: int = 1,
    starts: Literal["any", "phase"] = "any",
) -> AdjustedDifference | None:
    """Direct standardisation over ``strata``; ``units`` given: block resampling.

    ``starts="phase"``: each day block starts on the weekday it replaces (the units
    date ordinals).
    """
    ok = ~np.isnan(values)
    keys = sorted({str(s) for s in strata[ok]})
    total = int(ok.sum())
    used, weights, cells = [], [], []
    for k in keys:
        in_k = ok & (strata == k)
        xb, xa = values[in_k & ~after], values[in_k & after]
        if xb.size >= 2 and xa.size >= 2:  # a single value has no resampling spread
            used.append(k)
            weights.append(int(in_k.sum()) / total)
            cells.append((xb, xa))
    if not used:
        return None
    w = np.array(weights) / sum(weights)
    est = float(
        sum(wi * (xa.mean() - xb.mean()) for wi, (xb, xa) in zip(w, cells, strict=True))
    )
    if units is None:
        boot = np.zeros(n_resamples)
        for wi, (xb, xa) in zip(w, cells, strict=True):
            mb = xb[rng.integers(0, xb.size, (n_resamples, xb.size))].mean(axis=1)
            ma = xa[rng.integers(0, xa.size, (n_resamples, xa.size))].mean(axis=1)
            boot += wi * (ma - mb)
        method = "percentile"
        alpha = (1 - level) / 2
    else:
        boot = _adjusted_blocks(
            values, strata, after, ok, used, w, units, block, n_resamples, rng, starts
        )
        method = "block-percentile"
        periods = min(np.unique(units[ok & s]).size for s in (after, ~after))
        alpha = expanded_alpha(level, periods / block)
    # a resample can miss a stratum on a side (no mean): it is left out (nanquantile)
    iv = Interval(
        est,
        float(np.nanquantile(boot, alpha)),
        float(np.nanquantile(boot, 1 - alpha)),
        level,
        method,
    )
    return AdjustedDifference(
        by,
        "mean" if kind == "duration" else "rate",
        iv,
        tuple(used),
        1.0 - float(sum(weights)),
    )


def _adjusted_censored(
    by: str,
    strata: NDArray[np.object_],
    data: tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.bool_]],
    after: NDArray[np.bool_],
    horizon_s: float,
    *,
    level: float,
    n_resamples: int,
    rng: np.random.Generator,
    units: NDArray[np.int64] | None,
    block: int,
    starts: Literal["any", "phase"] = "any",
) -> AdjustedDifference | None:
    """Direct standardisation of restricted means when cases are open.

    ``data`` is each case's duration (or wait), whether it is censored, and whether it
    is in the comparison. Per stratum with at least 2 measured cases on each side, the
    difference of restricted means up to ``horizon_s`` (the result's horizon), weighted
    by the stratum's share of the cases compared; resampled as the effect is (blocks of
    the same periods of each side, starting as ``starts`` says, or cases within each
    side).
    """
    x, censored, use = data
    keys = sorted({str(s) for s in strata[use]})
    total = int(use.sum())
    used, weights = [], []
    for k in keys:
        in_k = use & (strata == k)
        if min(int((in_k & ~censored & f).sum()) for f in (after, ~after)) >= 2:
            used.append(k)
            weights.append(int(in_k.sum()) / total)
    if not used:
        return None
    w = np.array(weights) / sum(weights)
    est = 0.0
    boot = np.zeros(n_resamples)
    for sign, side in ((-1.0, use & ~after), (1.0, use & after)):
        xs, cs = x[side], censored[side]
        masks = [strata[side] == k for k in used]
        for wi, mk in zip(w, masks, strict=True):
            one = np.ones((1, int(mk.sum())))
            rm = censored_statistic_rows(
                xs[mk], cs[mk], one, "restricted_mean", horizon_s=horizon_s
            )
            est += sign * wi * float(rm[0])
        u = (
            None
            if units is None
            else np.unique(units[side], return_inverse=True)[1].astype(np.int64)
        )
        weekdays = None if units is None or starts == "any" else _weekdays(units[side])
        for start in range(0, n_resamples, 200):
            m = min(200, n_resamples - start)
            drawn = resample_weights(xs.size, u, block, m, rng, starts=weekdays)
            for wi, mk in zip(w, masks, strict=True):
                rows = censored_statistic_rows(
                    xs[mk], cs[mk], drawn[:, mk], "restricted_mean", horizon_s=horizon_s
                )
                boot[start : start + m] += sign * wi * rows
    if units is None:
        method, alpha = "percentile", (1 - level) / 2
    else:
        method = "block-percentile"
        periods = min(np.unique(units[use & s]).size for s in (after, ~after))
        alpha = expanded_alpha(level, periods / block)
    # a resample can miss a stratum on a side (no restricted mean): left out
    iv = Interval(
        float(est),
        float(np.nanquantile(boot, alpha)),
        float(np.nanquantile(boot, 1 - alpha)),
        level,
        method,
    )
    return AdjustedDifference(
        by, "restricted_mean", iv, tuple(used), 1.0 - float(sum(weights))
    )


def _adjusted_blocks(
    values: NDArray[np.float64],
    strata: NDArray[np.object_],
    after: NDArray[np.bool_],
    ok: NDArray[np.bool_],
    used: list[str],
    w: NDArray[np.float64],
    units: NDArray[np.int64],
    block: int,
    n_resamples: int,
    rng: np.random.Generator,
    starts: Literal["any", "phase"] = "any",
) -> NDArray[np.float64]:
    """Standardised differences over block resamples of each side's periods."""
    boot = np.zeros(n_resamples)
    for sign, side in ((-1.0, ok & ~after), (1.0, ok & after)):
        x = values[side]
        u = np.unique(units[side], return_inverse=True)[1].astype(np.int64)
        b = min(block, int(u.max()) + 1)
        weekdays = None if starts == "any" else _weekdays(units[side])
        masks = [(strata[side] == k).astype(np.float64) for k in used]
        for start in range(0, n_resamples, 200):
            m = min(200, n_resamples - start)
            weights = block_weights(u, b, m, rng, weekdays)
            for wi, mask in zip(w, masks, strict=True):
                wk = weights * mask
                with np.errstate(invalid="ignore", divide="ignore"):
                    mean_k = (wk @ x) / wk.sum(axis=1)
                boot[start : start + m] += sign * wi * mean_k
    return boot


def _weekdays(days: NDArray[np.int64]) -> NDArray[np.int64]:
    """Each distinct day's weekday (date ordinals, in time order)."""
    weekdays: NDArray[np.int64] = np.unique(days) % 7
    return weekdays


def _covering(
    blocks: dict[str, Interval], cases: dict[str, Interval], level: float
) -> dict[str, Interval]:
    """Each block interval widened to cover the case-resampling one of its statistic."""
    return {
        k: Interval(
            iv.estimate,
            min(iv.low, cases[k].low),
            max(iv.high, cases[k].high),
            level,
            "block-percentile-widened",
        )
        for k, iv in blocks.items()
    }


def _widened(
    effects: dict[str, Interval],
    xb: NDArray[np.float64],
    xa: NDArray[np.float64],
    kind: str,
    level: float,
    n_resamples: int,
    rng: np.random.Generator,
) -> dict[str, Interval]:
    """Each block interval widened to also cover the case-resampling one."""
    if kind == "duration":
        cases = {
            str(k): v
            for k, v in bootstrap_differences(
                xb, xa, level=level, n_resamples=n_resamples, seed=rng
            ).items()
        }
    else:
        cases = {
            "rate": newcombe_interval(
                int(xb.sum()), xb.size, int(xa.sum()), xa.size, level=level
            )
        }
    return _covering(effects, cases, level)


def arrival_periods(
    arrived: list[datetime], dependence: str, zone: str
) -> NDArray[np.int64] | None:
    """Each case's arrival day (or ISO week) as a number, in time zone ``zone``.

    ``dependence`` ``day``: the date's ordinal (its remainder by 7 is the weekday,
    0 on Sundays); ``week``: the ISO week's count from Monday 1 January of year 1;
    ``none``: ``None`` (no periods).

    Examples
    --------
    >>> t = [datetime(2026, 3, 1, 23, tzinfo=UTC), datetime(2026, 3, 2, 9, tzinfo=UTC)]
    >>> (arrival_periods(t, "day", "UTC") % 7).tolist()  # a Sunday, then a Monday
    [0, 1]
    >>> weeks = arrival_periods(t, "week", "UTC")
    >>> int(weeks[1] - weeks[0])  # the Monday starts a new week
    1
    >>> (arrival_periods(t, "day", "Asia/Tokyo") % 7).tolist()  # both on Monday there
    [1, 1]
    """
    if dependence == "none":
        return None
    tz = ZoneInfo(zone)
    days = np.array([t.astimezone(tz).date().toordinal() for t in arrived], np.int64)
    if dependence == "week":
        # ordinal 1 is a Monday: weeks start on Mondays
        return (days - 1) // 7
    return days


def _side(
    x: NDArray[np.float64],
    n: int,
    span: tuple[datetime, datetime],
    kind: str,
    level: float,
    censored: NDArray[np.bool_] | None = None,
    horizon_s: float | None = None,
) -> Side:
    """One side: ``x`` the values of its ``n`` cases arriving within ``span``.

    With ``horizon_s`` (cases are open on a side), ``x`` holds the open cases' waits
    where ``censored`` and the statistics are the censored ones.
    """
    c = np.zeros(x.size, dtype=bool) if censored is None else censored
    measured = int((~c).sum())
    measurable = measured >= 2
    st: dict[str, float] = {}
    rate = None
    value = None
    if kind == "duration" and measurable and horizon_s is None:
        st = {s: statistic_value(x, s) for s in STATISTICS}
        value = st["median"]
    elif kind == "duration" and measurable:
        for name in ("mean", "median", "p90", "restricted_mean"):
            v = censored_statistic(x[~c], x[c], name, horizon_s=horizon_s)
            if v is not None:
                st[name] = v
        value = st.get("median")
    if kind == "rate" and x.size:
        rate = wilson_interval(int(x.sum()), int(x.size), level=level)
        value = rate.estimate if measurable else None
    days = (span[1] - span[0]).total_seconds() / 86400
    per_day = n / days if days > 0 else math.nan
    return Side(span[0], span[1], n, measured, per_day, value, st, rate, int(c.sum()))


def _open_cases(
    log: EventLog,
    cases: pa.Table,
    cfg: KpiConfig,
    values: NDArray[np.float64],
    metric: str,
    data_end: datetime | None,
) -> tuple[NDArray[np.bool_], NDArray[np.float64], datetime, bool]:
    """Which cases' ``metric`` is censored, their waits, the end of the data, known."""
    last = log.fetchone('SELECT max("timestamp") FROM events')[0]
    if data_end is not None:
        end = data_end if data_end.tzinfo is not None else data_end.replace(tzinfo=UTC)
        if last is not None and end < last:
            msg = (
                f"The 'data_end' parameter of {_OWNER} must not fall before the log's "
                f"last event ({last.isoformat()}): a case cannot be open at a time "
                f"its later events were recorded. Got {end.isoformat()} instead."
            )
            raise InvalidParameterError(msg)
    else:
        end = last
    censored = np.zeros(values.size, dtype=bool)
    waited = np.zeros(values.size)
    is_open = still_open(cases, cfg) if metric in DURATION_METRICS else None
    if is_open is not None:
        censored = censored_durations(values, is_open, metric)
        arrived = cases.column("arrived_at").to_pylist()
        waited = np.array(
            [
                max((end - a).total_seconds(), 0.0) if c else 0.0
                for a, c in zip(arrived, censored, strict=True)
            ]
        )
    return censored, waited, end, is_open is not None


def _censored_effects(
    xb: NDArray[np.float64],
    cb: NDArray[np.bool_],
    xa: NDArray[np.float64],
    ca: NDArray[np.bool_],
    horizon_s: float,
    units: tuple[NDArray[np.int64], NDArray[np.int64]] | None,
    block: int,
    level: float,
    n_resamples: int,
    rng: np.random.Generator,
    *,
    widen: bool,
    cycle: int | None = None,
    starts: Literal["any", "phase"] = "any",
    shares: Literal["drawn", "phase"] = "drawn",
) -> dict[str, Interval]:
    """Intervals of the censored statistics; ``widen``: also cover the case bootstrap.

    ``cycle``, ``starts`` and ``shares`` as
    :func:`~servops.improve.censoring.censored_differences` takes them.
    """
    stats_: tuple[CensoredStatistic, ...] = ("median", "p90", "restricted_mean")
    ivs = censored_differences(
        (xb, cb),
        (xa, ca),
        statistics=stats_,
        horizon_s=horizon_s,
        units_before=None if units is None else units[0],
        units_after=None if units is None else units[1],
        block=block,
        cycle=cycle,
        starts=starts,
        shares=shares,
        level=level,
        n_resamples=n_resamples,
        seed=rng,
    )
    if not widen:
        return ivs
    cases = censored_differences(
        (xb, cb),
        (xa, ca),
        statistics=stats_,
        horizon_s=horizon_s,
        level=level,
        n_resamples=n_resamples,
        seed=rng,
    )
    return _covering(ivs, cases, level)


def _not_measurable(
    ivs: dict[str, Interval],
    label: str,
    open_b: int,
    open_a: int,
) -> tuple[dict[str, Interval], dict[str, str]]:
    """Split censored intervals into effects and the reasons the others are missing."""
    effects: dict[str, Interval] = {}
    reasons = {
        "mean": (
            f"the mean {label} is not known while {open_b + open_a} case(s) are still "
            "open (each open case's duration counts in a mean); the restricted mean "
            "is given instead"
        )
    }
    for k, iv in ivs.items():
        what = k.replace("_", " ")
        if math.isnan(iv.estimate):
            q = "50" if k == "median" else "10"
            reasons[k] = (
                f"the {what} {label} is not known yet: with {open_b} case(s) open "
                f"before and {open_a} after the change, the Kaplan-Meier curve of a "
                f"side has not fallen to {q} %"
            )
        elif not (math.isfinite(iv.low) and math.isfinite(iv.high)):
            reasons[k] = (
                f"the interval of the {what} {label} reaches past the follow-up: in "
                "some resamples the Kaplan-Meier curve does not fall that far, so the "
                "difference could be any size"
            )
        else:
            effects[k] = iv
    return effects, reasons


def before_after(
    log: EventLog,
    change_at: datetime | date,
    metric: str,
    *,
    segment: Mapping[str, str] | None = None,
    config: KpiConfig | PathLike | None = None,
    mix: Sequence[str] | None = None,
    adjust_by: str | None = None,
    level: float = 0.95,
    n_resamples: int = 2000,
    seed: Seed = 0,
    dependence: Dependence = "day",
    data_end: datetime | None = None,
) -> BeforeAfterResult:
    """Compare ``metric`` for cases arriving before vs after ``change_at``.

    Parameters
    ----------
    log
        The event log.
    change_at
        When the change took effect; a date or naive time is read in the KPI config's
        time zone.
    metric
        ``lead_time``, ``first_response``, ``resolution_time`` (durations) or
        ``sla_met``, ``reopened``, ``fcr`` (rates), as :func:`servops.kpi.case_metrics`
        measures them.
    segment
        Only the cases whose attributes have these values, e.g. ``{"priority": "P2"}``.
    config
        A :class:`~servops.kpi.KpiConfig`, a YAML path, or ``None`` (guessed).
    mix
        Attributes whose shares are compared (default: those of priority, channel and
        category the log has).
    adjust_by
        The attribute to standardise over (default: the first of ``mix``).
    level
        Confidence level of every interval.
    n_resamples
        Bootstrap resamples.
    seed
        Random seed of the bootstraps (the same seed gives the same intervals).
    dependence
        What the bootstraps resample: ``day`` (default) blocks of consecutive arrival
        days (whole weeks, each starting on the weekday it replaces), ``week`` blocks
        of ISO weeks (block length by the Politis–White rule; percentile intervals),
        ``none`` cases independently (BCa; Newcombe for rates: only for cases that
        share no queue). On simulated desks with no change, ``none`` called 20-60 % of
        lead-time differences significant at 5 %, ``day`` kept to about the nominal
        rate (``benchmarks/RESULTS.md``). Whole-week blocks need 10 weeks a side
        for ``MIN_BLOCKS`` blocks; with fewer the result says "too few periods to
        judge" and the interval is widened.
    data_end
        The end of the data: a case still open then has waited until it, and its
        duration is censored there (default: the log's last event; a naive time is
        UTC). Give the full log's end when ``log`` is a window of it, as
        :func:`~servops.improve.evaluate_projects` does.

    Returns
    -------
    BeforeAfterResult

    Raises
    ------
    InvalidParameterError
        Unknown metric or attribute, or a change time outside the data.
    """
    check_choice(metric, "metric", _OWNER, METRICS)
    check_interval(level, "level", _OWNER, low=0, high=1)
    check_choice(dependence, "dependence", _OWNER, ("day", "week", "none"))
    cfg = resolve_config(config, log)
    moment = change_moment(change_at, cfg.timezone)
    # sorted: case_metrics has no row order, and the bootstrap draws rows by position
    cases = case_metrics(log, cfg).sort_by("case_id")
    attrs = [c for c in cases.column_names if c in log.attributes]
    segment = dict(segment or {})
    cases = segment_cases(cases, segment, attrs, _OWNER)
    mix_attrs = (
        list(mix) if mix is not None else [a for a in _MIX_DEFAULT if a in attrs]
    )
    for a in [*mix_attrs, *([adjust_by] if adjust_by else [])]:
        if a not in attrs:
            msg = (
                f"The 'mix' / 'adjust_by' parameters of {_OWNER} name attribute {a!r}, "
                f"which the log does not have. Attributes of this log: {sorted(attrs)}."
            )
            raise InvalidParameterError(msg)
    by = adjust_by or (mix_attrs[0] if mix_attrs else None)

    arrived = cases.column("arrived_at").to_pylist()
    after = np.array([t >= moment for t in arrived], dtype=bool)
    first = min(arrived) if arrived else None
    # volume windows end at the last arrival: a log's tail after it holds no arrivals
    end = max(arrived) if arrived else None
    if first is None or end is None or not first < moment <= end:
        msg = (
            f"The 'change_at' parameter of {_OWNER} must fall inside the data "
            f"(arrivals {first} to {end}"
            + (f", segment {segment}" if segment else "")
            + f"). Got {moment.isoformat()} instead."
        )
        raise InvalidParameterError(msg)
    values = metric_values(cases, metric)
    ok = ~np.isnan(values)
    kind: Literal["duration", "rate"] = (
        "duration" if metric in DURATION_METRICS else "rate"
    )
    notes: list[str] = []
    label = metric_label(metric)
    censored, waited, data_end, known = _open_cases(
        log, cases, cfg, values, metric, data_end
    )
    if kind == "duration" and not known:
        notes.append(
            "The KPI config names no close or resolution activity: open cases cannot "
            f"be told from closed ones, so every case's {label} runs to its last "
            "event (give a config that names them)."
        )
    # open cases stay in, at their wait so far (right-censored); ok: measured
    use = ok | censored
    x = np.where(censored, waited, values)
    xb, xa = x[use & ~after], x[use & after]
    cb, ca = censored[use & ~after], censored[use & after]
    n_open_b, n_open_a = int(cb.sum()), int(ca.sum())
    horizon = (
        float(min(xb.max(), xa.max()))
        if n_open_b + n_open_a and xb.size and xa.size
        else None
    )
    days_b = (moment - first).total_seconds() / 86400
    days_a = (end - moment).total_seconds() / 86400

    before_side = _side(
        xb, int((~after).sum()), (first, moment), kind, level, cb, horizon
    )
    after_side = _side(xa, int(after.sum()), (moment, end), kind, level, ca, horizon)
    two_each = before_side.measured >= 2 and after_side.measured >= 2
    reasons: dict[str, str] = {}
    rng = as_rng(seed)
    effects: dict[str, Interval] = {}
    units = arrival_periods(arrived, dependence, cfg.timezone)
    cycle, starts, shares = block_rule(dependence)
    block = 1
    resampling = None
    if units is not None and two_each:
        ub, ua = units[use & ~after], units[use & after]
        pb, pa_ = np.unique(ub).size, np.unique(ua).size
        if min(pb, pa_) < 2:
            notes.append(
                f"{label} is measured on {pb} {dependence}(s) before and {pa_} after "
                f"the change: too few periods to judge; at least 2 on each side are "
                "needed to resample periods, so cases were resampled independently, "
                "which is too narrow when cases share a queue."
            )
            units = None
        else:
            block = block_length(
                xb,
                xa,
                units_before=ub,
                units_after=ua,
                cycle=cycle,
                whole_cycles=starts == "phase",
            )
            enough = min(pb, pa_) / block >= MIN_BLOCKS
            resampling = Resampling(
                dependence, block, pb, pa_, "block-percentile", enough
            )
            if not enough:
                notes.append(
                    f"Too few periods to judge: the intervals resample blocks of "
                    f"{block} {dependence}(s) and there are {pb} {dependence}(s) with "
                    f"a measured {label} before and {pa_} after the change, fewer "
                    f"than {MIN_BLOCKS} blocks on a side. The interval is widened to "
                    "cover the one from resampling cases too (a handful of blocks "
                    "can give a narrower one), and may still be too narrow. Collect "
                    "more periods or compare with the SPC phases."
                )
    if units is None and two_each:
        resampling = Resampling(
            "none",
            None,
            0,
            0,
            "newcombe"
            if kind == "rate"
            else "percentile"
            if horizon is not None
            else "bca",
            enough=True,
        )
    if not two_each:
        notes.append(
            f"{label} is measured for {before_side.measured} case(s) before and "
            f"{after_side.measured} after the change: at least 2 on each side are "
            "needed for an interval."
        )
        sentence = f"{label}: not measurable (too few measured cases on one side)"
        headline = "median" if kind == "duration" else "rate"
    elif horizon is not None:
        widen = resampling is not None and not resampling.enough
        ivs = _censored_effects(
            xb,
            cb,
            xa,
            ca,
            horizon,
            None if units is None else (units[use & ~after], units[use & after]),
            block,
            level,
            n_resamples,
            rng,
            widen=widen,
            cycle=cycle,
            starts=starts,
            shares=shares,
        )
        if widen and resampling is not None:
            resampling = replace(resampling, method="block-percentile-widened")
        effects, reasons = _not_measurable(ivs, label, n_open_b, n_open_a)
        headline = "median" if "median" in effects else "restricted_mean"
        if headline in effects:
            sentence = _duration_sentence(
                metric,
                headline.replace("_", " "),
                before_side.stats[headline],
                after_side.stats[headline],
                effects[headline],
            )
        else:
            sentence = f"{label}: not measurable ({reasons[headline]})"
    elif kind == "duration":
        if units is None:
            boot = bootstrap_differences(
                xb, xa, level=level, n_resamples=n_resamples, seed=rng
            )
        else:
            boot = block_bootstrap_differences(
                xb,
                xa,
                units_before=units[ok & ~after],
                units_after=units[ok & after],
                block=block,
                cycle=cycle,
                starts=starts,
                shares=shares,
                level=level,
                n_resamples=n_resamples,
                seed=rng,
            )
        effects = {str(k): v for k, v in boot.items()}
        headline = "median"
        sentence = _duration_sentence(
            metric,
            "median",
            before_side.stats["median"],
            after_side.stats["median"],
            effects["median"],
        )
    elif units is None:
        effects = {
            "rate": newcombe_interval(
                int(xb.sum()), xb.size, int(xa.sum()), xa.size, level=level
            )
        }
        headline = "rate"
        sentence = _rate_sentence(metric, xb.mean(), xa.mean(), effects["rate"])
    else:
        effects = {
            "rate": block_bootstrap_differences(
                xb,
                xa,
                units_before=units[ok & ~after],
                units_after=units[ok & after],
                block=block,
                cycle=cycle,
                starts=starts,
                shares=shares,
                statistics=("mean",),
                level=level,
                n_resamples=n_resamples,
                seed=rng,
            )["mean"]
        }
        headline = "rate"
        sentence = _rate_sentence(metric, xb.mean(), xa.mean(), effects["rate"])
    if effects and resampling is not None and not resampling.enough and horizon is None:
        effects = _widened(effects, xb, xa, kind, level, n_resamples, rng)
        resampling = replace(resampling, method="block-percentile-widened")
        headline_iv = effects[headline]
        sentence = (
            _duration_sentence(
                metric,
                "median",
                before_side.stats["median"],
                after_side.stats["median"],
                headline_iv,
            )
            if kind == "duration"
            else _rate_sentence(metric, xb.mean(), xa.mean(), headline_iv)
        )
    for name, s in (("before", before_side), ("after", after_side)):
        if s.open:
            notes.append(
                f"{s.open} of {s.cases} cases {name} the change are still open at "
                f"{data_end.isoformat()}: their {label} is right-censored at their "
                "wait so far (Kaplan-Meier), not left out."
            )
        if s.cases > s.measured + s.open:
            notes.append(
                f"{s.cases - s.measured - s.open} of {s.cases} cases {name} the change "
                f"have no measured {label} ("
                + (
                    "closed without one, or no SLA policy"
                    if known and kind == "duration"
                    else "not closed, resolved or responded to yet, or no SLA policy"
                )
                + "); they are left out of the comparison."
            )

    volume = _volume(before_side.cases, days_b, after_side.cases, days_a, level)
    shifts = tuple(
        _mix(
            a,
            [
                str(v)
                for v, f in zip(cases.column(a).to_pylist(), after, strict=True)
                if not f
            ],
            [
                str(v)
                for v, f in zip(cases.column(a).to_pylist(), after, strict=True)
                if f
            ],
        )
        for a in mix_attrs
    )
    adjusted = None
    strata = (
        np.array([str(v) for v in cases.column(by).to_pylist()], dtype=object)
        if by is not None
        else None
    )
    if by is not None and strata is not None and effects and horizon is not None:
        adjusted = _adjusted_censored(
            by,
            strata,
            (x, censored, use),
            after,
            horizon,
            level=level,
            n_resamples=n_resamples,
            rng=rng,
            units=units,
            block=block,
            starts=starts,
        )
    elif by is not None and strata is not None and effects:
        adjusted = _adjusted(
            by,
            strata,
            values,
            after,
            kind=kind,
            level=level,
            n_resamples=n_resamples,
            rng=rng,
            units=units,
            block=block,
            starts=starts,
        )
    parts = [sentence[0].upper() + sentence[1:] + "."]
    if horizon is not None:
        hscale, hunit = _unit(horizon)
        parts.append(
            f"{n_open_b + n_open_a} case(s) were still open at the end of the data "
            f"({n_open_b} before, {n_open_a} after the change): their {label} counts "
            "as censored at their wait so far (Kaplan-Meier), not left out; the mean "
            f"is not known yet, so the restricted mean up to {_num(horizon / hscale)} "
            f"{hunit} is given."
        )
    if resampling is not None and not resampling.enough:
        parts.append(
            f"Too few periods to judge ({resampling.periods_before} and "
            f"{resampling.periods_after} {dependence}s, blocks of {resampling.block})."
        )
    parts.append(
        f"{before_side.cases} cases before ({_num(volume.before_per_day)} a day), "
        f"{after_side.cases} after ({_num(volume.after_per_day)} a day"
        + (
            f", ×{volume.ratio.estimate:.2f}, {round(100 * level)} % CI "
            f"{volume.ratio.low:.2f} to {volume.ratio.high:.2f})."
            if volume.ratio is not None
            else ")."
        )
    )
    for m in shifts:
        if m.p_value is not None and m.p_value < 1 - level and m.largest is not None:
            k = m.largest
            parts.append(
                f"The case mix changed: {m.attribute} {k} was "
                f"{_num(100 * m.before.get(k, 0.0))} % of cases before and "
                f"{_num(100 * m.after.get(k, 0.0))} % after (p = {m.p_value:.3g})."
            )
    if adjusted is not None:
        iv = adjusted.difference
        stat = adjusted.statistic
        what = f"{stat.replace('_', ' ')} {label}" if kind == "duration" else label
        crude = effects[stat].estimate
        if kind == "duration":
            scale, unit = _unit(max(abs(iv.low), abs(iv.high)))
            num = (
                f"{_num(iv.estimate / scale, signed=True)} {unit} "
                f"({round(100 * level)} % CI {_num(iv.low / scale, signed=True)} to "
                f"{_num(iv.high / scale, signed=True)} {unit}; unadjusted "
                f"{_num(crude / scale, signed=True)} {unit})"
            )
        else:
            num = (
                f"{_num(100 * iv.estimate, signed=True)} points ({round(100 * level)} % "
                f"CI {_num(100 * iv.low, signed=True)} to "
                f"{_num(100 * iv.high, signed=True)}; unadjusted "
                f"{_num(100 * crude, signed=True)})"
            )
        parts.append(f"At the same {by} mix on both sides, {what} changed by {num}.")
    return BeforeAfterResult(
        metric=metric,
        kind=kind,
        change_at=moment,
        segment=segment,
        before=before_side,
        after=after_side,
        effects=effects,
        headline=headline,
        volume=volume,
        mix=shifts,
        adjusted=adjusted,
        summary=" ".join(parts),
        notes=tuple(notes),
        resampling=resampling if effects else None,
        censoring=None
        if kind == "rate"
        else Censoring(
            data_end,
            n_open_b,
            n_open_a,
            horizon,
            "unknown"
            if not known
            else "kaplan-meier"
            if horizon is not None
            else "none",
        ),
        not_measurable=reasons,
    )
