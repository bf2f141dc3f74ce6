"""Alerts: control-chart signals turned into records a person or a pager can read.

One :class:`Alert` per signal: which KPI, which period, which test, the plotted value
and a sentence saying it, e.g. ``lead_time 2024-03-04: 9.1 h — test 1: 1 point more
than 3 standard deviations from center line (UCL 7.2 h)``.

Examples
--------
>>> from servops.spc.charts import ControlChart
>>> r = (
...     ControlChart("imr")
...     .fit(
...         [1.0, 1.2, 0.9, 1.1, 1.0, 1.1, 0.9, 1.0, 6.0],
...         labels=[f"d{i}" for i in range(9)],
...     )
...     .result_
... )
>>> [(a.period, a.test, a.chart) for a in chart_alerts(r, kpi="x")]
[('d8', 1, 'individuals'), ('d8', 1, 'moving_range')]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from servops.spc.series import KpiChart, Period, chart_kpi

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import pyarrow as pa

    from servops._typing import PathLike
    from servops.kpi import KpiConfig
    from servops.log import EventLog
    from servops.spc.charts import ChartResult
    from servops.spc.rules import Rules

__all__ = [
    "DEFAULT_ALERT_KPIS",
    "Alert",
    "chart_alerts",
    "kpi_chart_alerts",
    "log_alerts",
]

#: KPIs :func:`log_alerts` watches by default (those the log cannot give are skipped).
#: Arrivals are left out: daily arrivals follow the week (quiet weekends) and would fill
#: a c chart with signals that are seasonality, not special causes; ask for them by name.
DEFAULT_ALERT_KPIS: tuple[str, ...] = (
    "lead_time",
    "resolution_time",
    "first_response",
    "reopen_rate",
    "sla_breach_rate",
)


@dataclass(frozen=True, slots=True)
class Alert:
    """One signal of one chart, as a record."""

    kpi: str
    period: str
    test: int
    value: float
    message: str
    chart: str
    index: int
    phase: str
    direction: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kpi": self.kpi,
            "period": self.period,
            "test": self.test,
            "value": self.value,
            "message": self.message,
            "chart": self.chart,
            "index": self.index,
            "phase": self.phase,
            "direction": self.direction,
        }


def _fmt(v: float) -> str:
    if not math.isfinite(v):
        return "–"
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def chart_alerts(
    result: ChartResult,
    *,
    kpi: str,
    unit: str = "",
    charts: Sequence[str] | None = None,
) -> list[Alert]:
    """Turn the signals of a chart result into alerts, by period.

    Parameters
    ----------
    result
        A phase I or phase II chart.
    kpi
        Name to put in the records.
    unit
        Unit of the plotted value for the message (``h``, ``share``…).
    charts
        Only these parts (e.g. ``["individuals"]``); default all.
    """
    out: list[Alert] = []
    u = f" {unit}" if unit and unit not in ("share",) else ""
    for part in result.parts:
        if charts is not None and part.name not in charts:
            continue
        for s in part.signals:
            period = result.labels[s.index] if result.labels else str(s.index)
            c = float(part.center[s.index])
            direction = "up" if s.value > c else ("down" if s.value < c else "level")
            limit = ""
            if s.test == 1:
                lim = part.ucl[s.index] if direction == "up" else part.lcl[s.index]
                limit = (
                    f" ({'UCL' if direction == 'up' else 'LCL'} {_fmt(float(lim))}{u})"
                )
            where = (
                ""
                if part is result.primary
                else f" ({part.name.replace('_', ' ')} chart)"
            )
            msg = (
                f"{kpi} {period}: {_fmt(s.value)}{u}{where} — test {s.test}: "
                f"{s.description}{limit}"
            )
            out.append(
                Alert(
                    kpi=kpi,
                    period=period,
                    test=s.test,
                    value=s.value,
                    message=msg,
                    chart=part.name,
                    index=s.index,
                    phase=result.phase,
                    direction=direction,
                )
            )
    out.sort(key=lambda a: (a.index, a.chart != result.primary.name, a.test))
    return out


def kpi_chart_alerts(kc: KpiChart) -> list[Alert]:
    """Alerts of a :class:`~servops.spc.series.KpiChart` (its phase II part if any)."""
    return chart_alerts(kc.latest, kpi=kc.series.kpi, unit=kc.series.unit)


def log_alerts(
    log: EventLog,
    *,
    kpis: Iterable[str] | None = None,
    by: Period = "day",
    baseline: int | None = None,
    config: KpiConfig | PathLike | None = None,
    metrics: pa.Table | None = None,
    rules: Rules | None = None,
) -> list[Alert]:
    """Alerts from the control charts of a log's KPI series.

    Each KPI gets its default chart (I-MR for times, p for rates, c for arrivals;
    see :mod:`servops.spc.series`). KPIs the log cannot give (no first-response
    activity, no SLA policy…) are skipped when ``kpis`` is not given.

    Parameters
    ----------
    log
        The event log.
    kpis
        KPI names; default :data:`DEFAULT_ALERT_KPIS`.
    by
        Period: ``day``, ``week`` or ``month``.
    baseline
        Periods for the phase I limits; alerts then come from the later periods only.
    config, metrics
        KPI config, or a precomputed ``case_metrics`` table.
    rules
        Tests to run (default Minitab's eight; tests 1–4 on attribute charts).

    Returns
    -------
    list of Alert
        Sorted by period, then KPI.

    Examples
    --------
    >>> log_alerts(tiny_log, kpis=["lead_time"])
    []
    """
    from servops.errors import InvalidParameterError
    from servops.spc.series import _metrics

    explicit = kpis is not None
    names = list(kpis) if kpis is not None else list(DEFAULT_ALERT_KPIS)
    if metrics is None:
        metrics, _tz = _metrics(log, config)
    out: list[Alert] = []
    for name in names:
        try:
            kc = chart_kpi(
                log, name, by=by, baseline=baseline, metrics=metrics, rules=rules
            )
        except InvalidParameterError:
            if explicit:
                raise
            continue  # this log cannot give this KPI (too few periods or no data)
        out.extend(kpi_chart_alerts(kc))
    out.sort(key=lambda a: (a.period, a.kpi, a.chart, a.test))
    return out
