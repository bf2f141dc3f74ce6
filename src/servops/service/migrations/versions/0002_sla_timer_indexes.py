"""Indexes for the SLA worker: pending warnings and queued escalations.

The worker's tick selects running timers whose ``warn_at`` has passed and that have not
warned yet, and escalations not yet done whose time has come; both by partial indexes,
so a tick over many open tickets reads only the rows that are due (revision 0001 has
the ``due_at`` index of running timers).

Revision ID: 0002_sla
Revises: 0001
Create Date: 2026-12-06 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_sla"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the partial indexes."""
    op.create_index(
        "ix_sla_timers_warn_at_pending",
        "sla_timers",
        ["warn_at"],
        postgresql_where=sa.text("stage = 'running' AND warned_at IS NULL"),
    )
    op.create_index(
        "ix_escalations_at_open",
        "escalations",
        ["at"],
        postgresql_where=sa.text("NOT done"),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_escalations_at_open", table_name="escalations")
    op.drop_index("ix_sla_timers_warn_at_pending", table_name="sla_timers")
