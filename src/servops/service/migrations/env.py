"""Alembic environment: run on the connection that :func:`servops.service.db.migrate` gives."""

from __future__ import annotations

from alembic import context

from servops.service.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - servops always passes its connection
    msg = "run the service migrations through servops.service.db.migrate(url)"
    raise RuntimeError(msg)
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    compare_type=True,
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
