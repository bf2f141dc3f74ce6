"""Cases still open at the end of the data: their durations are right-censored.

A case is **open** while it has no close (or, when the KPI config names no close
activity and a case would count as closed at its last event, no resolution). An open
case's duration is not known yet: only that it exceeds the time from its arrival to the
end of the data. Leaving such cases out (or measuring them to their last event) makes a
group with more open cases — the most recent weeks, an arm whose slow cases are still
waiting — look faster than it is. :func:`servops.improve.ab_test` and
:func:`servops.improve.target_status` use these definitions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa
    from numpy.typing import NDArray

    from servops.kpi.config import KpiConfig

__all__ = ["censored_durations", "still_open"]


def still_open(cases: pa.Table, cfg: KpiConfig) -> NDArray[np.bool_] | None:
    """Cases open at the end of the data (``None``: the config cannot tell).

    Open while not closed; with no close activity configured (a case then counts as
    closed at its last event), while not resolved.
    """
    column = "closed_at" if cfg.closed else "resolved_at" if cfg.resolved else None
    if column is None:
        return None
    return np.array([v is None for v in cases.column(column).to_pylist()], dtype=bool)


def censored_durations(
    values: NDArray[np.float64], is_open: NDArray[np.bool_], metric: str
) -> NDArray[np.bool_]:
    """Which cases' ``metric`` (a duration) is right-censored.

    An open case's lead time always is; its first response or resolution time only
    while it has none (an open case may already have responded).
    """
    return is_open & (np.isnan(values) | (metric == "lead_time"))
