"""Period keys of a time zone: moved to :mod:`servops.log.periods` (one period module).

Kept so that ``from servops.kpi.periods import ...`` goes on working.
"""

from __future__ import annotations

from servops.log.periods import (
    key_dates,
    local_day_sql,
    period_key_sql,
    step_sql,
    utc_offsets,
)

__all__ = ["key_dates", "local_day_sql", "period_key_sql", "step_sql", "utc_offsets"]
