"""The names the control-chart command lists: chart kinds, KPI series, alert defaults.

Defined here, in a module that imports nothing heavy, so that ``servops spc`` and
``servops alerts`` can show them in their option help without loading numpy, DuckDB or
pyarrow at start-up. :mod:`servops.spc.charts`, :mod:`servops.spc.series` and
:mod:`servops.spc.alerts` take them from here (and re-export them).
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "CHART_KINDS",
    "DEFAULT_ALERT_KPIS",
    "KPI_NAMES",
    "ChartKind",
    "KpiName",
]

ChartKind = Literal["imr", "xbar_r", "xbar_s", "p", "np", "c", "u", "ewma", "cusum"]
CHART_KINDS: tuple[str, ...] = get_args(ChartKind)

KpiName = Literal[
    "lead_time",
    "resolution_time",
    "first_response",
    "handovers",
    "reopen_rate",
    "fcr_rate",
    "sla_breach_rate",
    "arrivals",
]
KPI_NAMES: tuple[str, ...] = get_args(KpiName)

#: KPIs :func:`servops.spc.log_alerts` watches by default (those the log cannot give are
#: skipped). Arrivals are left out: daily arrivals follow the week (quiet weekends) and
#: would fill a c chart with signals that are seasonality, not special causes; ask for
#: them by name.
DEFAULT_ALERT_KPIS: tuple[str, ...] = (
    "lead_time",
    "resolution_time",
    "first_response",
    "reopen_rate",
    "sla_breach_rate",
)
