"""KPI series of an event log, cut by day, week or month, ready for control charts.

The per-case metrics come from :func:`servops.kpi.case_metrics` (its definitions of
lead, first-response and resolution time, reopen, first-contact resolution and SLA
breach).
Each case counts in the period of the moment its metric is known:

===============  =================  ==============  ==============================
kpi              case metric        period of       per period (default chart)
===============  =================  ==============  ==============================
lead_time        lead_time_s        closed_at       mean hours (I-MR)
resolution_time  resolution_time_s  resolved_at     mean hours (I-MR)
first_response   first_response_s   first_response  mean hours (I-MR)
handovers        handovers          closed_at       mean per case (I-MR)
reopen_rate      reopened           closed_at       share of cases (p)
fcr_rate         fcr                resolved_at     share of cases (p)
sla_breach_rate  sla_breached       closed_at       share of cases (p)
arrivals         —                  arrived_at      cases (c); empty periods count 0
===============  =================  ==============  ==============================

Periods (hour, day, week, month, quarter) come from :mod:`servops.log.periods`, cut in
the KPI config's time zone (the log's by default). A period the log covers only partly
(it starts or ends within it: :func:`~servops.log.periods.log_censored`) is
*censored*: it is flagged in the series and left out of the control chart, its limits
and its alerts. X̄-R / X̄-S charts take the cases of a period as one subgroup (periods
with fewer than 2 cases are left out). Durations and counts cannot be negative: their
lower control limits are clipped at 0 (and the chart's notes say so).

Examples
--------
>>> s = kpi_series(tiny_log, "lead_time", by="day")
>>> s.periods, [round(float(v), 2) for v in s.values], s.sizes.tolist()
(('2024-01-08', '2024-01-09'), [3.5, 1.25], [2.0, 2.0])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from servops._spc_names import KPI_NAMES, KpiName
from servops._validation import check_choice, check_interval
from servops.errors import InvalidParameterError
from servops.log.engine import connect, epoch_s
from servops.log.periods import (
    PERIODS,
    Period,
    bucket_sql,
    key_starts,
    log_censored,
    period_grid,
    period_label,
)
from servops.spc.charts import ChartKind, ChartResult, ControlChart

if TYPE_CHECKING:
    import pyarrow as pa
    from numpy.typing import NDArray

    from servops._typing import PathLike
    from servops.kpi import KpiConfig
    from servops.log import EventLog
    from servops.spc.rules import Rules

__all__ = [
    "KPI_NAMES",
    "KpiChart",
    "KpiName",
    "KpiSeries",
    "Period",
    "chart_kpi",
    "kpi_series",
]


# kpi -> (case-metric column, kind, period anchor column)
_SPECS: dict[str, tuple[str | None, str, str]] = {
    "lead_time": ("lead_time_s", "duration", "closed_at"),
    "resolution_time": ("resolution_time_s", "duration", "resolved_at"),
    "first_response": ("first_response_s", "duration", "first_response_at"),
    "handovers": ("handovers", "measure", "closed_at"),
    "reopen_rate": ("reopened", "rate", "closed_at"),
    "fcr_rate": ("fcr", "rate", "resolved_at"),
    "sla_breach_rate": ("sla_breached", "rate", "closed_at"),
    "arrivals": (None, "count", "arrived_at"),
}
_ALIASES = {
    "lead_time_s": "lead_time",
    "resolution_time_s": "resolution_time",
    "first_response_s": "first_response",
    "first_response_time": "first_response",
    "reopened": "reopen_rate",
    "reopen": "reopen_rate",
    "fcr": "fcr_rate",
    "sla_breached": "sla_breach_rate",
    "sla_breach": "sla_breach_rate",
    "cases": "arrivals",
    "volume": "arrivals",
}
#: What a KPI needs from the KPI config (said when a log gives it no value at all).
_NEEDS = {
    "first_response": " (it needs the config's first_response activities)",
    "resolution_time": " (it needs the config's resolved activities)",
    "fcr_rate": " (it needs the config's resolved activities)",
    "reopen_rate": " (it needs the config's reopened and closed activities)",
    "sla_breach_rate": " (it needs an SLA policy: an 'sla' list in the config)",
}
_DEFAULT_CHART = {"duration": "imr", "measure": "imr", "rate": "p", "count": "c"}
_FITS = {
    "duration": ("imr", "xbar_r", "xbar_s", "ewma", "cusum"),
    "measure": ("imr", "xbar_r", "xbar_s", "ewma", "cusum", "u"),
    "rate": ("p", "np", "imr", "ewma", "cusum"),
    "count": ("c", "imr", "ewma", "cusum"),
}


@dataclass(frozen=True, slots=True)
class KpiSeries:
    """One KPI per period.

    Attributes
    ----------
    values
        Per period: mean (hours for durations), share of cases (rates) or count.
    sizes
        Cases per period.
    counts
        Rates: cases flagged per period; measures: the period total; counts: the count.
    case_values, case_periods
        Per case (durations, measures): the value and the index of its period.
    censored
        Per period: the log covers it only partly (it starts or ends within it).
    timezone
        The zone the periods are cut in.
    """

    kpi: str
    by: str
    kind: str
    unit: str
    periods: tuple[str, ...]
    values: NDArray[np.float64]
    sizes: NDArray[np.float64]
    counts: NDArray[np.float64]
    case_values: NDArray[np.float64]
    case_periods: NDArray[np.int64]
    censored: NDArray[np.bool_]
    timezone: str = "UTC"

    @property
    def default_chart(self) -> str:
        """The chart that suits this KPI: I-MR, p or c."""
        return _DEFAULT_CHART[self.kind]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (per period)."""
        return {
            "kpi": self.kpi,
            "by": self.by,
            "kind": self.kind,
            "unit": self.unit,
            "periods": list(self.periods),
            "values": self.values.tolist(),
            "sizes": self.sizes.tolist(),
            "counts": self.counts.tolist(),
            "censored": self.censored.tolist(),
            "timezone": self.timezone,
        }


def _normalise(kpi: str) -> str:
    name = _ALIASES.get(kpi, kpi)
    if name not in _SPECS:
        msg = (
            f"Unknown KPI {kpi!r}. Known KPIs: {sorted(_SPECS)} (also "
            f"{sorted(_ALIASES)})."
        )
        raise InvalidParameterError(msg)
    return name


def _metrics(
    log: EventLog, config: KpiConfig | PathLike | None
) -> tuple[pa.Table, str]:
    from servops.kpi import case_metrics
    from servops.kpi.cases import resolve_config

    cfg = resolve_config(config, log)
    return case_metrics(log, cfg), cfg.timezone


def _zone(log: EventLog, config: KpiConfig | PathLike | None) -> str:
    """The KPI config's zone when one is given, else the log's."""
    if config is not None:
        from servops.kpi.cases import resolve_config

        return resolve_config(config, log).timezone
    return log.meta.timezone or "UTC"


def kpi_series(
    log: EventLog,
    kpi: str,
    *,
    by: Period = "day",
    config: KpiConfig | PathLike | None = None,
    metrics: pa.Table | None = None,
    timezone: str | None = None,
) -> KpiSeries:
    """Compute a KPI of ``log`` per period.

    Parameters
    ----------
    log
        The event log.
    kpi
        One of :data:`KPI_NAMES` (see the module table).
    by
        ``hour``, ``day``, ``week`` (starting Monday), ``month`` or ``quarter``.
    config
        KPI config (object or YAML path) for :func:`servops.kpi.case_metrics`; default
        guessed from the activity names.
    metrics
        Precomputed ``case_metrics`` table (saves recomputing it for several KPIs).
    timezone
        Zone the periods are cut in (default: the KPI config's).

    Returns
    -------
    KpiSeries
    """
    name = _normalise(kpi)
    check_choice(by, "by", "kpi_series", PERIODS)
    if metrics is None:
        metrics, tz = _metrics(log, config)
    else:
        tz = _zone(log, config)
    tz = timezone or tz or "UTC"
    column, kind, anchor = _SPECS[name]
    if column is not None and column not in metrics.column_names:
        msg = (
            f"KPI {name!r} needs the case metric {column!r}, which the metrics table "
            f"lacks. Available: {sorted(metrics.column_names)}"
        )
        raise InvalidParameterError(msg)
    con = connect()
    try:
        con.register("m", metrics)
        lo, hi = con.execute(f"SELECT min({anchor}), max({anchor}) FROM m").fetchall()[
            0
        ]
        years = (
            (lo.year, hi.year) if lo is not None and hi is not None else (1970, 1970)
        )
        if column is None:
            value = "1.0"
        elif kind == "duration":
            value = f"{column} / 3600.0"
        else:
            value = f"CAST({column} AS DOUBLE)"
        where = f"{anchor} IS NOT NULL" + (
            f" AND {column} IS NOT NULL" if column is not None else ""
        )
        key = bucket_sql("__e", by, tz, *years)
        rows = con.execute(
            f"SELECT {key} AS p, v FROM (SELECT {epoch_s(anchor)} AS __e, {value} AS v "
            f"FROM m WHERE {where}) ORDER BY p, v"
        ).fetchall()
    finally:
        con.close()
    keys = sorted({int(r[0]) for r in rows})
    starts = key_starts(keys, by)
    if name == "arrivals" and starts:
        starts = period_grid(starts[0], starts[-1], by)
    index = {t: i for i, t in enumerate(starts)}
    by_key = dict(zip(keys, key_starts(keys, by), strict=True))
    periods = tuple(period_label(t, by) for t in starts)
    case_periods = np.array([index[by_key[int(r[0])]] for r in rows], dtype=np.int64)
    case_values = np.array([float(r[1]) for r in rows], dtype=float)
    m = len(starts)
    sizes = np.bincount(case_periods, minlength=m).astype(float)
    totals = np.bincount(case_periods, weights=case_values, minlength=m)
    if kind == "count":
        values = sizes.copy()
        counts = sizes.copy()
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            values = totals / sizes
        counts = totals
    unit = {"duration": "h", "rate": "share", "count": "cases", "measure": "per case"}
    censored = np.array(log_censored(log, starts, by, tz), dtype=bool)
    return KpiSeries(
        kpi=name,
        by=by,
        kind=kind,
        unit=unit[kind],
        periods=periods,
        values=values,
        sizes=sizes,
        counts=counts,
        case_values=case_values,
        case_periods=case_periods,
        censored=censored,
        timezone=tz,
    )


@dataclass(frozen=True, slots=True)
class KpiChart:
    """A KPI series and its control chart (phase I, and phase II after a baseline)."""

    series: KpiSeries
    chart: str
    phase1: ChartResult
    phase2: ChartResult | None = None
    notes: tuple[str, ...] = ()
    #: Periods left out because the log covers them only partly.
    censored: tuple[str, ...] = ()
    #: Charted periods with only 1–2 cases (their values are noise).
    small: tuple[str, ...] = ()
    #: Whether a lower control limit below 0 was clipped to 0.
    lcl_clipped: bool = False

    @property
    def latest(self) -> ChartResult:
        """The phase II chart when there is one, else the phase I chart."""
        return self.phase2 if self.phase2 is not None else self.phase1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kpi": self.series.kpi,
            "by": self.series.by,
            "unit": self.series.unit,
            "chart": self.chart,
            "phase1": self.phase1.to_dict(),
            "phase2": self.phase2.to_dict() if self.phase2 is not None else None,
            "notes": list(self.notes),
            "censored": list(self.censored),
            "small_periods": list(self.small),
            "lcl_clipped": self.lcl_clipped,
        }


def _chart_data(
    s: KpiSeries, chart: str, sel: NDArray[np.bool_]
) -> tuple[Any, dict[str, Any], list[str]]:
    """Pick data, fit keywords and labels for the periods selected by ``sel``."""
    idx = np.flatnonzero(sel)
    labels = [s.periods[i] for i in idx]
    if chart in ("imr", "ewma", "cusum"):
        return s.values[idx], {}, labels
    if chart in ("p", "np", "u"):
        return s.counts[idx], {"sizes": s.sizes[idx]}, labels
    if chart == "c":
        return s.counts[idx], {}, labels
    groups = [s.case_values[s.case_periods == i] for i in idx]
    return groups, {}, labels


def chart_kpi(
    log: EventLog,
    kpi: str,
    *,
    by: Period = "day",
    chart: ChartKind | None = None,
    baseline: int | None = None,
    config: KpiConfig | PathLike | None = None,
    metrics: pa.Table | None = None,
    rules: Rules | None = None,
    sigma: float = 3.0,
    drop_out_of_control: bool = False,
) -> KpiChart:
    """Chart one KPI per period.

    Parameters
    ----------
    log, kpi, by, config, metrics
        As for :func:`kpi_series`.
    chart
        Chart kind; default I-MR for times and measures, p for rates, c for arrivals.
    baseline
        Fit the limits on the first ``baseline`` periods (phase I) and monitor the rest
        (phase II). Default: all periods are the baseline.
    rules, sigma, drop_out_of_control
        Passed to :class:`ControlChart`.

    Returns
    -------
    KpiChart

    Examples
    --------
    >>> kc = chart_kpi(tiny_log, "lead_time", by="day")
    >>> kc.chart, kc.phase1.primary.points.tolist()
    ('imr', [3.5, 1.25])
    """
    s = kpi_series(log, kpi, by=by, config=config, metrics=metrics)
    check_interval(sigma, "sigma", "chart_kpi", low=0)
    kind = chart or s.default_chart
    if kind not in _FITS[s.kind]:
        msg = (
            f"A {kind} chart does not fit KPI {s.kpi!r} ({s.kind}). Use one of "
            f"{list(_FITS[s.kind])}."
        )
        raise InvalidParameterError(msg)
    notes: list[str] = []
    usable = (
        np.isfinite(s.values) & (s.sizes > 0)
        if s.kind != "count"
        else np.ones(len(s.periods), dtype=bool)
    )
    cut = usable & s.censored
    censored = tuple(s.periods[i] for i in np.flatnonzero(cut))
    if censored:
        notes.append(
            f"{len(censored)} {by}(s) the log covers only partly left out of the chart, "
            f"its limits and alerts (censored: {', '.join(censored)})"
        )
    usable = usable & ~s.censored
    if kind in ("xbar_r", "xbar_s"):
        small = usable & (s.sizes < 2)
        if small.any():
            notes.append(
                f"{int(small.sum())} period(s) with fewer than 2 cases left out "
                "of the X̄ chart"
            )
        usable = usable & ~small
    n_usable = int(usable.sum())
    few = (
        usable & (s.sizes > 0) & (s.sizes <= 2) if s.kind != "count" else usable & False
    )
    few_cases = tuple(s.periods[i] for i in np.flatnonzero(few))
    if few_cases:
        shown = ", ".join(few_cases[:8]) + (" …" if len(few_cases) > 8 else "")
        notes.append(
            f"{len(few_cases)} {by}(s) with only 1–2 cases ({shown}): their values are "
            f"noise; a longer period (--by) pools more cases"
        )
    if n_usable < 2:
        shorter = "Use a shorter period (--by day) or a longer log."
        if n_usable + len(censored) == 0 and not (s.sizes > 0).any():
            needs = _NEEDS.get(s.kpi, "")
            hint = (
                f"No case of this log has a value for it{needs}: check the KPI config "
                "(`servops kpi LOG` notes what it guessed; give yours with --config)."
            )
        elif censored:
            hint = (
                f"{len(censored)} {by}(s) the log covers only partly are left out "
                f"(censored: {', '.join(censored)}). "
                + (shorter if by not in ("day", "hour") else "The log is too short.")
            )
        elif by not in ("day", "hour"):
            hint = shorter
        else:
            hint = "The log is too short for a chart of this KPI."
        msg = (
            f"KPI {s.kpi!r} by {by} has {n_usable} usable period(s); a control chart "
            f"needs at least 2. {hint}"
        )
        raise InvalidParameterError(msg)
    bounded = s.kind in ("duration", "count", "measure")
    cc = ControlChart(
        kind,  # type: ignore[arg-type]
        sigma=sigma,
        rules=rules,
        drop_out_of_control=drop_out_of_control,
        lower_bound=0.0 if bounded else None,
    )
    pos = np.flatnonzero(usable)
    if baseline is not None:
        if isinstance(baseline, bool) or not 2 <= baseline < n_usable:
            msg = (
                f"The 'baseline' parameter of chart_kpi must be an int in the range "
                f"[2, {n_usable - 1}] (usable periods: {n_usable}). Got {baseline!r} "
                "instead."
            )
            raise InvalidParameterError(msg)
        first = np.zeros(len(s.periods), dtype=bool)
        first[pos[:baseline]] = True
        rest = usable & ~first
    else:
        first, rest = usable, np.zeros(len(s.periods), dtype=bool)
    data, kw, labels = _chart_data(s, kind, first)
    cc.fit(data, labels=labels, **kw)
    phase2 = None
    if rest.any():
        data, kw, labels = _chart_data(s, kind, rest)
        phase2 = cc.monitor(data, labels=labels, **kw)
    primary = cc.result_.primary
    clipped = bool(
        bounded
        and kind not in ("c", "u", "cusum")
        and np.any(primary.center - sigma * primary.sigma < 0)
    )
    if clipped:
        what = {"duration": "a time", "count": "a count", "measure": "a count"}[s.kind]
        notes.append(
            f"the lower control limit ({sigma:g}σ below the center) is under 0; "
            f"clipped at 0 {s.unit}, since {what} cannot be negative (only the upper "
            "limit can signal)"
        )
    return KpiChart(
        series=s,
        chart=kind,
        phase1=cc.result_,
        phase2=phase2,
        notes=tuple(notes),
        censored=censored,
        small=few_cases,
        lcl_clipped=clipped,
    )
