"""Evidence that a change worked: intervals, before/after comparisons and A/B tests."""

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

__all__ = [
    "AbTestResult",
    "BeforeAfterResult",
    "Interval",
    "SampleSize",
    "ab_test",
    "before_after",
    "bootstrap_differences",
    "exact_interval",
    "fixed_horizon_test",
    "newcombe_interval",
    "power_proportions",
    "sample_size_means",
    "sample_size_proportions",
    "sequential_test",
    "wilson_interval",
]
