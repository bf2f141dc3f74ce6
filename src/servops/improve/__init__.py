"""Evidence that a change worked: intervals, before/after comparisons and A/B tests."""

from __future__ import annotations

from servops.improve.beforeafter import BeforeAfterResult, before_after
from servops.improve.intervals import (
    Interval,
    bootstrap_differences,
    exact_interval,
    newcombe_interval,
    wilson_interval,
)

__all__ = [
    "BeforeAfterResult",
    "Interval",
    "before_after",
    "bootstrap_differences",
    "exact_interval",
    "newcombe_interval",
    "wilson_interval",
]
