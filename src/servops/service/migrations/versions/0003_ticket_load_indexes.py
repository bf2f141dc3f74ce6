"""Indexes for routing and queues: tickets by assignee and by group, with their state.

Routing counts each candidate agent's open tickets (``assignee_id IN (…) AND state IN
(…)``) for every routed ticket, ``drain_queue`` reads a group's unassigned open tickets
and the queue views list an agent's or a group's open tickets. Without these indexes
each of those statements scans the whole ``tickets`` table: on 200,000 tickets EXPLAIN
ANALYZE gave 48-63 ms per statement (sequential scan) where a routed create takes
about 10 ms in all (``benchmarks/RESULTS.md``, issue 17 session 24). The open states
come from the live state machine, so no partial index on them: ``state`` is the
second column.

Revision ID: 0003_load
Revises: 0002_sla
Create Date: 2026-12-07 01:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0003_load"
down_revision = "0002_sla"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the two indexes."""
    op.create_index("ix_tickets_assignee_state", "tickets", ["assignee_id", "state"])
    op.create_index("ix_tickets_group_state", "tickets", ["group_id", "state"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_tickets_group_state", table_name="tickets")
    op.drop_index("ix_tickets_assignee_state", table_name="tickets")
