"""Evidence that a change worked: targets, projects, before/after, SPC phases, ITS, A/B, cost."""

from __future__ import annotations

from servops.improve.abtest import (
    AbTestResult,
    SampleSize,
    ab_test,
    fixed_horizon_test,
    power_proportions,
    sample_size_means,
    sample_size_proportions,
    sequential_test,
)
from servops.improve.beforeafter import BeforeAfterResult, before_after
from servops.improve.cost import (
    CostModel,
    CostSaving,
    case_costs,
    cost_saving,
    load_cost_model,
)
from servops.improve.diagnosis import CurrentState, Diagnosis, Problem, diagnose
from servops.improve.intervals import (
    Interval,
    block_bootstrap_differences,
    bootstrap_differences,
    exact_interval,
    newcombe_interval,
    optimal_block_length,
    wilson_interval,
)
from servops.improve.its import ItsResult, interrupted_time_series, metric_its
from servops.improve.phases import PhaseComparison, metric_phases, phase_comparison
from servops.improve.planning import (
    BeforeAfterPlan,
    DayBaseline,
    day_baseline,
    plan_before_after,
)
from servops.improve.projects import (
    EvidencePlan,
    MetricEvidence,
    Prediction,
    Project,
    ProjectEvaluation,
    evaluate_projects,
    load_projects,
)
from servops.improve.targets import (
    Target,
    TargetStatus,
    load_targets,
    target_status,
    targets_from_dict,
)

__all__ = [
    "AbTestResult",
    "BeforeAfterPlan",
    "BeforeAfterResult",
    "CostModel",
    "CostSaving",
    "CurrentState",
    "DayBaseline",
    "Diagnosis",
    "EvidencePlan",
    "Interval",
    "ItsResult",
    "MetricEvidence",
    "PhaseComparison",
    "Prediction",
    "Problem",
    "Project",
    "ProjectEvaluation",
    "SampleSize",
    "Target",
    "TargetStatus",
    "ab_test",
    "before_after",
    "block_bootstrap_differences",
    "bootstrap_differences",
    "case_costs",
    "cost_saving",
    "day_baseline",
    "diagnose",
    "evaluate_projects",
    "exact_interval",
    "fixed_horizon_test",
    "interrupted_time_series",
    "load_cost_model",
    "load_projects",
    "load_targets",
    "metric_its",
    "metric_phases",
    "newcombe_interval",
    "optimal_block_length",
    "phase_comparison",
    "plan_before_after",
    "power_proportions",
    "sample_size_means",
    "sample_size_proportions",
    "sequential_test",
    "target_status",
    "targets_from_dict",
    "wilson_interval",
]
