"""Evidence that a change worked: intervals, before/after, A/B tests, KPI targets."""

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
from servops.improve.intervals import (
    Interval,
    bootstrap_differences,
    exact_interval,
    newcombe_interval,
    wilson_interval,
)
from servops.improve.projects import (
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
    "BeforeAfterResult",
    "Interval",
    "Project",
    "ProjectEvaluation",
    "SampleSize",
    "Target",
    "TargetStatus",
    "ab_test",
    "before_after",
    "bootstrap_differences",
    "evaluate_projects",
    "exact_interval",
    "fixed_horizon_test",
    "load_projects",
    "load_targets",
    "newcombe_interval",
    "power_proportions",
    "sample_size_means",
    "sample_size_proportions",
    "sequential_test",
    "target_status",
    "targets_from_dict",
    "wilson_interval",
]
