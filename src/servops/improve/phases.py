"""SPC phase comparison: control limits before and after a change, and a sustained shift.

A change splits a KPI series into two phases. Each phase gets its own phase I limits
(:class:`servops.spc.ControlChart`, the one implementation of the charts); the points
after the change are also charted against the *before* limits (phase II), where

* **a sustained shift** is Nelson's test 2 — ``K`` (9) points in a row on one side of
  the before centre line — among the after points;
* test 1 flags after points beyond the before limits.

The size of the shift is the difference of the centre lines, after - before, also in
units of the before σ (the σ of the plotted statistic: for an I-MR chart MR̄/d2). For a
p chart the centre lines are p̄ = Σd/Σn of each phase.

:func:`metric_phases` builds the series from a log with :func:`servops.spc.kpi_series`
(a case counts in the period its metric becomes known: lead time in the period the
case closed), so periods, censoring and values are those of ``servops spc``. A period
that holds the change moment (it started before and ends after it) belongs to neither
phase and is left out; periods the log covers only partly are left out as in
``servops spc``.

Examples
--------
>>> r = phase_comparison([5.0, 6, 5, 6, 5, 6, 3, 2, 3, 2, 3, 2, 3, 2, 3], 6)
>>> r.before_center, r.after_center, r.shift_at
(5.5, 2.5555555555555554, 14)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

import numpy as np

from servops._validation import check_choice
from servops.errors import InvalidParameterError
from servops.improve.beforeafter import DURATION_METRICS, METRICS, metric_label
from servops.log.periods import period_end
from servops.spc.charts import ChartPart, ChartResult, ControlChart
from servops.spc.rules import Rules

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import pyarrow as pa
    from numpy.typing import ArrayLike

    from servops._typing import PathLike
    from servops.kpi.config import KpiConfig
    from servops.log import EventLog

__all__ = [
    "SERIES_KPI",
    "MetricSeries",
    "PhaseComparison",
    "metric_phases",
    "metric_series",
    "phase_comparison",
]

#: Project metric -> the :func:`servops.spc.kpi_series` KPI that charts it. ``sla_met``
#: is charted as 1 - ``sla_breach_rate`` (met share of the cases with a verdict).
SERIES_KPI: dict[str, str] = {
    "lead_time": "lead_time",
    "first_response": "first_response",
    "resolution_time": "resolution_time",
    "sla_met": "sla_breach_rate",
    "reopened": "reopen_rate",
    "fcr": "fcr_rate",
}
_OWNER = "phase_comparison"


@dataclass(frozen=True, slots=True)
class PhaseComparison:
    """Two phases of a control chart around a change.

    Attributes
    ----------
    before, after
        Phase I charts of the points before and after the change (own limits).
    after_vs_before
        The after points charted against the before limits (phase II), tests 1 and 2.
    chart
        Both phases as one chart part for drawing: every point with its own phase's
        centre line and limits, and the shift signals (indices into all points).
    shift, shift_sigma
        After centre - before centre, in the series' unit and in before-σ.
    shift_at
        Index (into all points) where the sustained-shift signal first fires; ``None``
        when it does not.
    """

    kind: str
    unit: str
    labels: tuple[str, ...]
    change_index: int
    before: ChartResult
    after: ChartResult
    after_vs_before: ChartResult
    chart: ChartPart
    before_center: float
    after_center: float
    before_sigma: float
    shift: float
    shift_sigma: float | None
    run_length: int
    shift_at: int | None
    beyond_limits: tuple[int, ...]
    summary: str
    metric: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def sustained_shift(self) -> bool:
        """Whether ``run_length`` after points in a row fell on one side of the before centre."""
        return self.shift_at is not None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (the two phases' limits, the shift and its signal)."""

        def lim(r: ChartResult) -> dict[str, float]:
            p = r.primary
            return {
                "lcl": float(p.lcl[0]),
                "center": float(p.center[0]),
                "ucl": float(p.ucl[0]),
            }

        return {
            "metric": self.metric,
            "kind": self.kind,
            "unit": self.unit,
            "labels": list(self.labels),
            "change_index": self.change_index,
            "before": {**lim(self.before), "points": self.change_index},
            "after": {
                **lim(self.after),
                "points": len(self.labels) - self.change_index,
            },
            "before_center": self.before_center,
            "after_center": self.after_center,
            "before_sigma": self.before_sigma,
            "shift": self.shift,
            "shift_sigma": self.shift_sigma,
            "run_length": self.run_length,
            "sustained_shift": self.sustained_shift,
            "shift_at": None if self.shift_at is None else self.labels[self.shift_at],
            "beyond_before_limits": [self.labels[i] for i in self.beyond_limits],
            "chart": self.chart.to_dict(list(self.labels)),
            "summary": self.summary,
            "notes": list(self.notes),
        }


def _num(x: float) -> str:
    return f"{x:.3g}".replace("-", "\N{MINUS SIGN}")


def phase_comparison(
    values: ArrayLike,
    change_index: int,
    *,
    kind: Literal["imr", "p"] = "imr",
    sizes: ArrayLike | None = None,
    labels: Sequence[str] | None = None,
    run_length: int = 9,
    lower_bound: float | None = None,
    unit: str = "",
) -> PhaseComparison:
    """Compare the control limits of a series before and after ``change_index``.

    Parameters
    ----------
    values
        The plotted statistic per period (``imr``) or the count of flagged cases per
        period (``p``, with ``sizes``).
    change_index
        Index of the first point after the change; each phase needs 2 points.
    kind
        ``imr`` (individuals, e.g. mean hours per period) or ``p`` (shares).
    sizes
        Cases per period (``p`` charts).
    labels
        A label per point (default ``0, 1, …``).
    run_length
        K of test 2: points in a row on one side of the before centre line.
    lower_bound
        Least value of the statistic (0 for durations): lower limits are clipped to it.
    unit
        The series' unit, for the summary.

    Returns
    -------
    PhaseComparison
    """
    check_choice(kind, "kind", _OWNER, ("imr", "p"))
    x = np.asarray(values, dtype=float)
    n = x.size
    if not 2 <= change_index <= n - 2:
        msg = (
            f"The 'change_index' parameter of {_OWNER} must leave at least 2 points "
            f"on each side (2 to {n - 2} for {n} points). Got {change_index} instead."
        )
        raise InvalidParameterError(msg)
    if isinstance(run_length, bool) or run_length < 2:
        msg = (
            f"The 'run_length' parameter of {_OWNER} must be an int >= 2. "
            f"Got {run_length!r} instead."
        )
        raise InvalidParameterError(msg)
    lab = (
        tuple(str(v) for v in labels)
        if labels is not None
        else tuple(str(i) for i in range(n))
    )
    if len(lab) != n:
        msg = f"{_OWNER}: {len(lab)} labels for {n} points."
        raise InvalidParameterError(msg)
    sz = None if sizes is None else np.asarray(sizes, dtype=float)
    cut = change_index
    rules = Rules(tests=(1, 2), k={2: run_length})
    bound = lower_bound if kind == "imr" else None
    chart_b = ControlChart(kind, rules=rules, lower_bound=bound).fit(
        x[:cut], sizes=None if sz is None else sz[:cut], labels=lab[:cut]
    )
    chart_a = ControlChart(kind, rules=rules, lower_bound=bound).fit(
        x[cut:], sizes=None if sz is None else sz[cut:], labels=lab[cut:]
    )
    vs = chart_b.monitor(
        x[cut:], sizes=None if sz is None else sz[cut:], labels=lab[cut:]
    )
    b, a, v = chart_b.result_.primary, chart_a.result_.primary, vs.primary
    shift_hits = [s.index for s in v.signals if s.test == 2]
    beyond = tuple(sorted({cut + s.index for s in v.signals if s.test == 1}))
    shift_at = cut + shift_hits[0] if shift_hits else None
    c_b, c_a = float(chart_b.center_), float(chart_a.center_)
    sig_b = float(b.sigma[0]) if kind == "p" else float(chart_b.sigma_)
    shift = c_a - c_b
    shift_sigma = shift / sig_b if sig_b > 0 and math.isfinite(sig_b) else None
    signals = tuple(
        replace(s, index=cut + s.index) for s in v.signals if s.test in (1, 2)
    )
    chart = ChartPart(
        name=b.name,
        points=np.concatenate([b.points, a.points]),
        center=np.concatenate([b.center, a.center]),
        lcl=np.concatenate([b.lcl, a.lcl]),
        ucl=np.concatenate([b.ucl, a.ucl]),
        sigma=np.concatenate([b.sigma, a.sigma]),
        signals=signals,
        rules=rules,
    )
    u = f" {unit}" if unit else ""
    if kind == "p":
        what = (
            f"The share moved from {100 * c_b:.1f} % to {100 * c_a:.1f} % "
            f"({100 * shift:+.1f} points".replace("-", "\N{MINUS SIGN}")
        )
    else:
        what = (
            f"The centre line moved from {_num(c_b)}{u} to {_num(c_a)}{u} "
            f"({'+' if shift >= 0 else ''}{_num(shift)}{u}"
        )
    if shift_sigma is not None:
        what += f", {_num(shift_sigma)} σ of before"
    what += ")."
    if shift_at is not None:
        sig = (
            f"A sustained shift: {run_length} points in a row on one side of the "
            f"before centre line, first at {lab[shift_at]}."
        )
    else:
        sig = (
            f"No sustained shift ({run_length} points in a row on one side of the "
            "before centre line did not occur after the change)."
        )
    if beyond:
        sig += f" {len(beyond)} point(s) after the change beyond the before limits."
    summary = f"{what} {sig}"
    return PhaseComparison(
        kind=kind,
        unit=unit,
        labels=lab,
        change_index=cut,
        before=chart_b.result_,
        after=chart_a.result_,
        after_vs_before=vs,
        chart=chart,
        before_center=c_b,
        after_center=c_a,
        before_sigma=sig_b,
        shift=shift,
        shift_sigma=shift_sigma,
        run_length=run_length,
        shift_at=shift_at,
        beyond_limits=beyond,
        summary=summary,
    )


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """A project metric per period, split at a change (see :func:`metric_series`)."""

    metric: str
    by: str
    kind: Literal["imr", "p"]
    unit: str
    labels: tuple[str, ...]
    starts: tuple[datetime, ...]
    values: np.ndarray
    sizes: np.ndarray
    counts: np.ndarray
    change_index: int
    notes: tuple[str, ...]

    def require_sides(self, least: int, analysis: str) -> None:
        """Raise unless at least ``least`` periods lie on each side of the change.

        Raises
        ------
        InvalidParameterError
            Fewer periods with cases before or after the change.
        """
        before, after = self.change_index, len(self.labels) - self.change_index
        if before < least or after < least:
            msg = (
                f"{analysis} of {metric_label(self.metric)} needs at least {least} "
                f"whole {self.by}s with cases on each side of the change; got {before} "
                f"before and {after} after. Hint: use by='day' or a longer log."
            )
            raise InvalidParameterError(msg)


def _segment_cases(
    cases: pa.Table, segment: Mapping[str, str], attrs: Sequence[str]
) -> pa.Table:
    import pyarrow as pa
    import pyarrow.compute as pc

    for col, value in segment.items():
        if col not in cases.column_names or col not in attrs:
            msg = (
                f"segment names attribute {col!r}, which the log does not have. "
                f"Attributes of this log: {sorted(attrs)}."
            )
            raise InvalidParameterError(msg)
        cases = cases.filter(pc.equal(pc.cast(cases.column(col), pa.string()), value))
    return cases


def metric_series(
    log: EventLog,
    metric: str,
    change_at: datetime,
    *,
    by: Literal["day", "week"] = "week",
    segment: Mapping[str, str] | None = None,
    config: KpiConfig | PathLike | None = None,
    window: timedelta | None = None,
) -> MetricSeries:
    """``metric`` per period from :func:`servops.spc.kpi_series`, split at ``change_at``.

    Periods the log covers only partly and the period holding ``change_at`` are left
    out (said in ``notes``); with ``window`` only periods starting within ``window``
    of the change are kept.
    """
    from servops.kpi.cases import case_metrics, resolve_config
    from servops.spc.series import kpi_series

    check_choice(metric, "metric", "metric_series", METRICS)
    check_choice(by, "by", "metric_series", ("day", "week"))
    cfg = resolve_config(config, log)
    cases = _segment_cases(case_metrics(log, cfg), segment or {}, list(log.attributes))
    s = kpi_series(log, SERIES_KPI[metric], by=by, config=cfg, metrics=cases)
    zone = ZoneInfo(s.timezone)
    # day and week labels are the periods' first local days (weeks: their Monday)
    starts = [datetime.fromisoformat(p).replace(tzinfo=zone) for p in s.periods]
    notes: list[str] = []
    keep: list[int] = []
    straddle = None
    for i, st in enumerate(starts):
        end = period_end(st, by)
        if s.censored[i]:
            continue
        if st < change_at < end:
            straddle = s.periods[i]
            continue
        if window is not None and not (change_at - window <= st < change_at + window):
            continue
        if s.sizes[i] <= 0:
            continue
        keep.append(i)
    if straddle is not None:
        notes.append(
            f"the {by} {straddle} holds the change moment: it belongs to neither phase."
        )
    n_cens = int(np.sum(s.censored))
    if n_cens:
        notes.append(f"{n_cens} {by}(s) the log covers only partly are left out.")
    idx = np.array(keep, dtype=np.int64)
    values = s.values[idx]
    counts = s.counts[idx]
    sizes = s.sizes[idx]
    if metric == "sla_met":
        counts = sizes - counts
        values = 1.0 - values
    kind: Literal["imr", "p"] = "p" if s.kind == "rate" else "imr"
    kept_starts = tuple(starts[i] for i in keep)
    change_index = sum(1 for st in kept_starts if st < change_at)
    return MetricSeries(
        metric=metric,
        by=by,
        kind=kind,
        unit=s.unit,
        labels=tuple(s.periods[i] for i in keep),
        starts=kept_starts,
        values=values,
        sizes=sizes,
        counts=counts,
        change_index=change_index,
        notes=tuple(notes),
    )


def metric_phases(
    log: EventLog,
    metric: str,
    change_at: datetime,
    *,
    by: Literal["day", "week"] = "week",
    segment: Mapping[str, str] | None = None,
    config: KpiConfig | PathLike | None = None,
    window: timedelta | None = None,
    run_length: int = 9,
    series: MetricSeries | None = None,
) -> PhaseComparison:
    """Phase comparison of a project metric around ``change_at`` on ``log``.

    Durations are charted as the mean hours per period (I-MR), rates as the share per
    period (p chart), as ``servops spc`` charts them. ``series`` (from
    :func:`metric_series` with the same arguments) saves computing it again.

    Raises
    ------
    InvalidParameterError
        Fewer than 2 periods on a side of the change.
    """
    if change_at.tzinfo is None:
        change_at = change_at.replace(tzinfo=UTC)
    ms = series or metric_series(
        log, metric, change_at, by=by, segment=segment, config=config, window=window
    )
    ms.require_sides(2, "phase comparison")
    r = phase_comparison(
        ms.counts if ms.kind == "p" else ms.values,
        ms.change_index,
        kind=ms.kind,
        sizes=ms.sizes if ms.kind == "p" else None,
        labels=ms.labels,
        run_length=run_length,
        lower_bound=0.0 if metric in DURATION_METRICS else None,
        unit=ms.unit if ms.kind == "imr" else "",
    )
    label = metric_label(metric)
    head = f"{label[0].upper() + label[1:]} per {by}: "
    body = r.summary[0].lower() + r.summary[1:]
    return replace(r, metric=metric, summary=head + body, notes=(*ms.notes, *r.notes))
