"""Statistical process control: control charts, tests, capability, Pareto, alerts.

Control charts with the Nelson/Minitab tests for special causes, process capability
and the sigma level, Pareto analysis, and alerts on the KPI series of event logs.

>>> import servops as so
>>> chart = so.spc.ControlChart("xbar_r").fit([[5, 6, 7], [6, 7, 8], [5, 7, 9]])
>>> round(chart.limits_["xbar"][2], 3)
9.396
"""

from __future__ import annotations

from servops.spc.alerts import (
    DEFAULT_ALERT_KPIS,
    Alert,
    AlertSummary,
    alert_summary,
    chart_alerts,
    kpi_chart_alerts,
    log_alerts,
)
from servops.spc.capability import CapabilityResult, capability, dpmo, sigma_level
from servops.spc.charts import (
    ChartKind,
    ChartPart,
    ChartResult,
    ControlChart,
    as_subgroups,
    control_limits,
)
from servops.spc.constants import ChartConstants, c4, chart_constants, d2, d3
from servops.spc.pareto import ParetoResult, ParetoRow, log_pareto, pareto
from servops.spc.rules import DEFAULT_K, Rules, Signal, run_tests
from servops.spc.series import KPI_NAMES, KpiChart, KpiSeries, chart_kpi, kpi_series

__all__ = [
    "DEFAULT_ALERT_KPIS",
    "DEFAULT_K",
    "KPI_NAMES",
    "Alert",
    "AlertSummary",
    "CapabilityResult",
    "ChartConstants",
    "ChartKind",
    "ChartPart",
    "ChartResult",
    "ControlChart",
    "KpiChart",
    "KpiSeries",
    "ParetoResult",
    "ParetoRow",
    "Rules",
    "Signal",
    "alert_summary",
    "as_subgroups",
    "c4",
    "capability",
    "chart_alerts",
    "chart_constants",
    "chart_kpi",
    "control_limits",
    "d2",
    "d3",
    "dpmo",
    "kpi_chart_alerts",
    "kpi_series",
    "log_alerts",
    "log_pareto",
    "pareto",
    "run_tests",
    "sigma_level",
]
