"""The tickets indexes of migration 0003_load serve routing's load count, drain_queue and
the queue views (with sequential scans off: the test tables are too small to prefer them).
"""

from __future__ import annotations

import pytest

from servops.service.db import make_engine

OPEN = "('new', 'open', 'pending')"


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (  # routing: each candidate agent's open tickets
            "SELECT assignee_id, count(*) FROM tickets WHERE assignee_id IN (1, 2) "
            f"AND state IN {OPEN} GROUP BY assignee_id",
            "ix_tickets_assignee_state",
        ),
        (  # drain_queue: a group's unassigned open tickets
            "SELECT id FROM tickets WHERE group_id = 1 AND assignee_id IS NULL "
            f"AND state IN {OPEN} ORDER BY created_at, id",
            "ix_tickets_",
        ),
        (  # the group queue view
            f"SELECT id FROM tickets WHERE group_id IN (1, 2) AND state IN {OPEN}",
            "ix_tickets_group_state",
        ),
    ],
)
def test_ticket_queries_by_assignee_or_group_use_an_index(pg_url, query, index) -> None:
    engine = make_engine(pg_url, app_role=False)
    try:
        with engine.connect() as con:
            con.exec_driver_sql("SET enable_seqscan = off")
            plan = "\n".join(r[0] for r in con.exec_driver_sql("EXPLAIN " + query))
    finally:
        engine.dispose()
    assert index in plan, plan
    assert "Seq Scan" not in plan, plan
