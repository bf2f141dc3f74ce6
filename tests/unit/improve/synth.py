"""Small event logs with planted before/after effects, built case by case from arrays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

import servops as so

START = datetime(2026, 3, 2, tzinfo=UTC)
H = 3600.0


def tickets(
    arrivals_h: np.ndarray,
    lead_h: np.ndarray,
    *,
    priority: np.ndarray | None = None,
    reopened: np.ndarray | None = None,
    variant: np.ndarray | None = None,
) -> so.EventLog:
    """One ticket per arrival: created, first response (+0.5 h), [reopen], closed.

    ``lead_h`` is the lead time (created -> closed) in hours; reopened tickets are
    resolved half-way, reopened, and closed at the end.
    """
    n = len(arrivals_h)
    rows: dict[str, list[object]] = {
        k: [] for k in ("case_id", "activity", "timestamp", "resource", "priority")
    }
    if variant is not None:
        rows["variant"] = []
    prio = priority if priority is not None else np.full(n, "P3")
    reo = reopened if reopened is not None else np.zeros(n, dtype=bool)
    for i in range(n):
        t0 = START + timedelta(hours=float(arrivals_h[i]))
        steps = [("Ticket created", 0.0), ("First response", 0.5 * min(1, lead_h[i]))]
        if reo[i]:
            steps += [("Resolved", 0.5 * lead_h[i]), ("Reopened", 0.6 * lead_h[i])]
        steps += [("Resolved", lead_h[i]), ("Closed", lead_h[i])]
        for act, dt in steps:
            rows["case_id"].append(f"C{i:05d}")
            rows["activity"].append(act)
            rows["timestamp"].append(t0 + timedelta(hours=float(dt)))
            rows["resource"].append("agent")
            rows["priority"].append(str(prio[i]))
            if variant is not None:
                rows["variant"].append(str(variant[i]))
    return so.read_log(pa.table(rows))
