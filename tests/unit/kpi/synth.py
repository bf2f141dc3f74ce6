"""A synthetic IT service-desk log with the demo's activity names, generated with numpy.

Vectorised (blocks of events per step, no loop over cases) so the benchmark can make
millions of events with it. Built-in effects to recover: email tickets get slow first
responses, network tickets are escalated more, chat tickets are reopened more.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

H = 3600.0
PRIORITIES = np.array(["P1", "P2", "P3", "P4"])
CHANNELS = np.array(["phone", "email", "chat", "portal"])
CATEGORIES = np.array(["network", "software", "hardware", "access"])
L1 = np.array([f"L1-{i:02d}" for i in range(1, 13)])
L2 = np.array([f"L2-{i:02d}" for i in range(1, 7)])


def synthetic_tickets(
    n_cases: int,
    seed: int = 0,
    *,
    start: datetime = datetime(2025, 3, 3, tzinfo=UTC),
    days: int = 56,
) -> pa.Table:
    """Events of ``n_cases`` tickets arriving over ``days``; data end at start + days."""
    rng = np.random.default_rng(seed)
    t_start = start.timestamp()
    t_end = t_start + days * 86400.0
    n = n_cases
    case = np.arange(n)
    arrival = t_start + np.sort(rng.uniform(0, days * 86400.0, n))
    priority = PRIORITIES[rng.choice(4, n, p=[0.05, 0.15, 0.5, 0.3])]
    segment = np.where(rng.random(n) < 0.1, "VIP", "standard")
    channel = CHANNELS[rng.integers(0, 4, n)]
    category = CATEGORIES[rng.integers(0, 4, n)]
    r1 = L1[rng.integers(0, L1.size, n)]
    r2 = L2[rng.integers(0, L2.size, n)]
    r1b = L1[rng.integers(0, L1.size, n)]

    blocks: list[tuple[np.ndarray, str, np.ndarray, np.ndarray]] = []
    every = np.ones(n, dtype=bool)

    def add(mask: np.ndarray, activity: str, ts: np.ndarray, res: np.ndarray) -> None:
        blocks.append((mask, activity, ts, res))

    system = np.full(n, "system", dtype=object)
    add(every, "Ticket created", arrival, system)
    fr = arrival + rng.exponential(0.3 * H, n) * np.where(channel == "email", 6.0, 1.0)
    add(every, "First response", fr, r1)
    t = fr + rng.exponential(0.5 * H, n)
    add(every, "L1 work", t, r1)
    esc = rng.random(n) < np.where(category == "network", 0.6, 0.15)
    t_esc = t + 60.0
    add(esc, "Escalated to L2", t_esc, r1)
    t_l2 = t_esc + rng.exponential(4 * H, n)
    add(esc, "L2 work", t_l2, r2)
    t = np.where(esc, t_l2, t)
    last = np.where(esc, r2, r1)
    wait = rng.random(n) < 0.25
    t_w = t + 300.0
    add(wait, "Waiting for customer", t_w, last)
    t_r = t_w + rng.exponential(20 * H, n)
    add(wait, "Customer replied", t_r, system)
    t = np.where(wait, t_r, t)
    t_res = t + rng.exponential(0.5 * H, n)
    add(every, "Resolved", t_res, last)
    reopen = rng.random(n) < np.where(channel == "chat", 0.25, 0.04)
    t_ro = t_res + rng.exponential(12 * H, n)
    add(reopen, "Reopened", t_ro, system)
    t_l1b = t_ro + rng.exponential(H, n)
    add(reopen, "L1 work", t_l1b, r1b)
    t_res2 = t_l1b + 600.0
    add(reopen, "Resolved", t_res2, r1b)
    t = np.where(reopen, t_res2, t_res)
    add(every, "Closed", t + 2 * 86400.0, system)

    cases, acts, ts, res = [], [], [], []
    for mask, activity, when, who in blocks:  # a dozen steps, each over all cases
        keep = mask & (when <= t_end)
        cases.append(case[keep])
        acts.append(np.full(int(keep.sum()), activity, dtype=object))
        ts.append(when[keep])
        res.append(who[keep])
    c = np.concatenate(cases)
    us = (np.concatenate(ts) * 1e6).astype(np.int64)
    return pa.table(
        {
            "case_id": pa.array(c).cast(pa.string()),
            "activity": pa.array(np.concatenate(acts), pa.string()),
            "timestamp": pa.array(us, pa.timestamp("us", tz="UTC")),
            "resource": pa.array(np.concatenate(res).astype(object), pa.string()),
            "priority": pa.array(priority[c].astype(object), pa.string()),
            "segment": pa.array(segment[c].astype(object), pa.string()),
            "channel": pa.array(channel[c].astype(object), pa.string()),
            "category": pa.array(category[c].astype(object), pa.string()),
        }
    )
