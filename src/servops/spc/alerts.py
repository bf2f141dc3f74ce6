"""Alerts: control-chart signals turned into records a person or a pager can read.

One :class:`Alert` per signal: which KPI, which period, which test, the plotted value
and a sentence saying it, e.g. ``lead_time 2024-03-04: 9.1 h — test 1: 1 point more
than 3 standard deviations from center line (UCL 7.2 h)``. :func:`log_alerts` lists
them newest first (optionally only those since a date); :func:`alert_summary` counts
them by KPI and by test. Periods the log covers only partly (censored, see
:mod:`servops.log.periods`) are not charted, so they raise no alerts.

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
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from servops._spc_names import DEFAULT_ALERT_KPIS
from servops.errors import InvalidParameterError
from servops.log.periods import Period, period_label, period_start
from servops.spc.series import KpiChart, chart_kpi

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
    "AlertSummary",
    "alert_summary",
    "chart_alerts",
    "kpi_chart_alerts",
    "log_alerts",
]


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
    unit: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kpi": self.kpi,
            "period": self.period,
            "test": self.test,
            "value": self.value,
            "unit": self.unit,
            "message": self.message,
            "chart": self.chart,
            "index": self.index,
            "phase": self.phase,
            "direction": self.direction,
        }


@dataclass(frozen=True, slots=True)
class AlertSummary:
    """How many alerts, by KPI and by test, and the newest one."""

    total: int
    by_kpi: dict[str, int]
    by_test: dict[int, int]
    newest: Alert | None
    since: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "total": self.total,
            "by_kpi": dict(self.by_kpi),
            "by_test": {str(k): v for k, v in self.by_test.items()},
            "newest": None if self.newest is None else self.newest.to_dict(),
            "since": self.since,
        }

    def text(self) -> str:
        """One line for people, e.g. ``12 alerts: lead_time 8, … newest: …``."""
        if not self.total:
            return "No alerts" + (f" since {self.since}" if self.since else "") + "."
        kpis = ", ".join(f"{k} {n}" for k, n in self.by_kpi.items())
        tests = ", ".join(f"test {t}: {n}" for t, n in self.by_test.items())
        newest = f"; newest: {self.newest.message}" if self.newest else ""
        since = f" since {self.since}" if self.since else ""
        return f"{self.total} alert(s){since} — {kpis} ({tests}){newest}"


def alert_summary(alerts: Sequence[Alert], *, since: str | None = None) -> AlertSummary:
    """Count ``alerts`` by KPI and by test (most first) and pick the newest.

    Examples
    --------
    >>> a = Alert("lead_time", "2024-03-04", 1, 9.0, "m1", "individuals", 3, "I", "up")
    >>> b = Alert(
    ...     "lead_time", "2024-03-11", 2, 2.0, "m2", "individuals", 4, "I", "down"
    ... )
    >>> s = alert_summary([a, b])
    >>> s.total, s.by_kpi, s.by_test, s.newest.period
    (2, {'lead_time': 2}, {1: 1, 2: 1}, '2024-03-11')
    """
    kpis = Counter(a.kpi for a in alerts)
    tests = Counter(a.test for a in alerts)
    newest = max(alerts, key=lambda a: (a.period, -a.test), default=None)
    return AlertSummary(
        total=len(alerts),
        by_kpi=dict(sorted(kpis.items(), key=lambda kv: (-kv[1], kv[0]))),
        by_test=dict(sorted(tests.items(), key=lambda kv: (-kv[1], kv[0]))),
        newest=newest,
        since=since,
    )


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
                    unit=unit,
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
    since: date | datetime | str | None = None,
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
        Period: ``hour``, ``day``, ``week``, ``month`` or ``quarter``.
    baseline
        Periods for the phase I limits; alerts then come from the later periods only.
    config, metrics
        KPI config, or a precomputed ``case_metrics`` table.
    rules
        Tests to run (default Minitab's eight; tests 1–4 on attribute charts).
    since
        Only alerts of the period holding this date (``2024-03-01``) and later ones;
        the charts' limits still come from the whole log (or the baseline).

    Returns
    -------
    list of Alert
        Newest period first, then by KPI, chart and test. Censored periods (cut by
        the log's start or end) are not charted and raise none.

    Examples
    --------
    >>> log_alerts(tiny_log, kpis=["lead_time"])
    []
    """
    from servops.spc.series import _metrics

    cutoff = (
        None
        if since is None
        else period_label(period_start(_as_datetime(since), by), by)
    )
    explicit = kpis is not None
    names = list(kpis) if kpis is not None else list(DEFAULT_ALERT_KPIS)
    if metrics is None:
        metrics, _tz = _metrics(log, config)
    out: list[Alert] = []
    for name in names:
        try:
            kc = chart_kpi(
                log,
                name,
                by=by,
                baseline=baseline,
                config=config,
                metrics=metrics,
                rules=rules,
            )
        except InvalidParameterError:
            if explicit:
                raise
            continue  # this log cannot give this KPI (too few periods or no data)
        out.extend(
            a for a in kpi_chart_alerts(kc) if cutoff is None or a.period >= cutoff
        )
    out.sort(key=lambda a: (a.kpi, a.chart, a.test))
    out.sort(key=lambda a: a.period, reverse=True)
    return out


def _as_datetime(value: date | datetime | str) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        return datetime.fromisoformat(str(value).strip()).replace(tzinfo=None)
    except ValueError:
        msg = (
            "The 'since' parameter of log_alerts must be a date such as 2024-03-01 "
            f"(or 2024-03-01 09:00). Got {value!r} instead."
        )
        raise InvalidParameterError(msg) from None
