"""Service KPIs, SLA monitoring with business calendars, and root causes of breaches."""

from __future__ import annotations

from servops.kpi.calendar import BusinessCalendar
from servops.kpi.cases import case_metrics
from servops.kpi.causes import RootCauses, root_causes
from servops.kpi.config import (
    FcrRule,
    KpiConfig,
    Pause,
    SlaPolicy,
    StateMode,
    load_config,
)
from servops.kpi.kpis import compute_kpis
from servops.kpi.scorecards import ScorecardResult, scorecard
from servops.kpi.sla import SlaReport, sla_report

__all__ = [
    "BusinessCalendar",
    "FcrRule",
    "KpiConfig",
    "Pause",
    "RootCauses",
    "ScorecardResult",
    "SlaPolicy",
    "SlaReport",
    "StateMode",
    "case_metrics",
    "compute_kpis",
    "load_config",
    "root_causes",
    "scorecard",
    "sla_report",
]
