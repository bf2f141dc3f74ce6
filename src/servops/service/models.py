"""The work-order service's tables: SQLAlchemy 2 typed ORM models.

Every table of the service is declared here (the shared contract, issue 17); the Alembic
revisions in ``servops/service/migrations/versions`` create them. Columns are added
through a new revision after the current head, never by editing an applied one.

The ``events`` table is the service's event log: one row per change, ``seq`` 1, 2, … per
ticket, chained by ``prev_hash``/``hash`` (see :mod:`servops.service.audit`). It is
append-only: a trigger refuses UPDATE, DELETE and TRUNCATE, and the application role
``servops_app`` holds no UPDATE/DELETE grant on it (nor on ``audit_checkpoints``).
"""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - SQLAlchemy resolves Mapped[...] at runtime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Text,
    UniqueConstraint,
)
from sqlalchemy import (
    text as sql_text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditCheckpoint",
    "Base",
    "Comment",
    "ConfigVersion",
    "Escalation",
    "Event",
    "Group",
    "GroupMember",
    "Organisation",
    "RoutingRule",
    "SlaTimer",
    "Survey",
    "Ticket",
    "User",
    "Webhook",
    "WebhookDelivery",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TS = DateTime(timezone=True)
NOW = sql_text("now()")


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (for migrations)."""

    metadata = MetaData(naming_convention=NAMING)


class Organisation(Base):
    """A customer organisation."""

    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)


class User(Base):
    """A person: customer, agent, supervisor or admin."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)  # customer | agent | supervisor | admin
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    password_hash: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, server_default=sql_text("true"))
    skills: Mapped[list[str]] = mapped_column(
        ARRAY(Text), server_default=sql_text("'{}'")
    )
    capacity: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(TS, server_default=NOW)


class Group(Base):
    """A group (queue) of agents."""

    __tablename__ = "groups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class GroupMember(Base):
    """Membership of a user in a group."""

    __tablename__ = "group_members"
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class ApiToken(Base):
    """An API token; only the SHA-256 of its secret is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    scopes: Mapped[list[str]] = mapped_column(
        ARRAY(Text), server_default=sql_text("'{}'")
    )
    expires_at: Mapped[datetime | None] = mapped_column(TS)
    created_at: Mapped[datetime] = mapped_column(TS, server_default=NOW)
    last_used_at: Mapped[datetime | None] = mapped_column(TS)
    revoked_at: Mapped[datetime | None] = mapped_column(TS)


class Ticket(Base):
    """A ticket (work order). ``version`` is the optimistic-lock counter."""

    __tablename__ = "tickets"
    __table_args__ = (
        # routing's open-ticket count per agent, drain_queue, the queue views
        # (migration 0003_load)
        Index("ix_tickets_assignee_state", "assignee_id", "state"),
        Index("ix_tickets_group_state", "group_id", "state"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[str] = mapped_column(Text, unique=True)
    subject: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, server_default=sql_text("''"))
    channel: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(Text)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(
        JSONB, server_default=sql_text("'{}'")
    )
    dedup_key: Mapped[str | None] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)
    version: Mapped[int] = mapped_column(Integer, server_default=sql_text("1"))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Comment(Base):
    """A public or internal comment on a ticket."""

    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    public: Mapped[bool] = mapped_column(Boolean)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TS)


class Attachment(Base):
    """Metadata of a file attached to a ticket (the bytes are stored elsewhere)."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    filename: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TS)


class Event(Base):
    """One change of a ticket: the service's event log, hash-chained per ticket."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("ticket_id", "seq", name="uq_events_ticket_seq"),
        Index("ix_events_occurred_at", "occurred_at"),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    seq: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(TS)
    activity: Mapped[str] = mapped_column(Text)
    resource: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(Text)
    lifecycle: Mapped[str] = mapped_column(Text, server_default=sql_text("'complete'"))
    payload: Mapped[dict[str, Any]] = mapped_column(
        JSONB, server_default=sql_text("'{}'")
    )
    prev_hash: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(Text)


class AuditCheckpoint(Base):
    """A signed digest over every ticket's chain head at one moment."""

    __tablename__ = "audit_checkpoints"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(TS)
    n_tickets: Mapped[int] = mapped_column(BigInteger)
    n_events: Mapped[int] = mapped_column(BigInteger)
    last_event_id: Mapped[int] = mapped_column(BigInteger)
    heads_digest: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(Text)


class SlaTimer(Base):
    """An SLA clock of one ticket and metric (first_response, next_update, resolution)."""

    __tablename__ = "sla_timers"
    __table_args__ = (
        Index(
            "ix_sla_timers_due_at_running",
            "due_at",
            postgresql_where=sql_text("stage = 'running'"),
        ),
    )
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    metric: Mapped[str] = mapped_column(Text)
    policy: Mapped[str | None] = mapped_column(Text)
    target_seconds: Mapped[float] = mapped_column(Double)
    started_at: Mapped[datetime] = mapped_column(TS)
    due_at: Mapped[datetime | None] = mapped_column(TS)
    warn_at: Mapped[datetime | None] = mapped_column(TS)
    stage: Mapped[str] = mapped_column(Text, server_default=sql_text("'running'"))
    elapsed_business_seconds: Mapped[float] = mapped_column(
        Double, server_default=sql_text("0")
    )
    paused_seconds: Mapped[float] = mapped_column(Double, server_default=sql_text("0"))
    last_started_at: Mapped[datetime | None] = mapped_column(TS)
    warned_at: Mapped[datetime | None] = mapped_column(TS)
    breached_at: Mapped[datetime | None] = mapped_column(TS)
    stopped_at: Mapped[datetime | None] = mapped_column(TS)
    version: Mapped[int] = mapped_column(Integer, server_default=sql_text("1"))


class Escalation(Base):
    """An escalation action due on a timer."""

    __tablename__ = "escalations"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    timer_id: Mapped[int] = mapped_column(ForeignKey("sla_timers.id"), index=True)
    rule: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(TS)
    done: Mapped[bool] = mapped_column(Boolean, server_default=sql_text("false"))


class Survey(Base):
    """A single-use satisfaction survey of a resolved ticket."""

    __tablename__ = "surveys"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime | None] = mapped_column(TS)
    answered_at: Mapped[datetime | None] = mapped_column(TS)
    csat: Mapped[int | None] = mapped_column(Integer)
    nps: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)


class RoutingRule(Base):
    """A routing rule: conditions (JSON) to a group, tried in ``position`` order."""

    __tablename__ = "routing_rules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    conditions: Mapped[dict[str, Any]] = mapped_column(
        JSONB, server_default=sql_text("'{}'")
    )
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=sql_text("true"))


class Webhook(Base):
    """An outgoing webhook subscription (deliveries signed with ``secret``)."""

    __tablename__ = "webhooks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list[str]] = mapped_column(
        ARRAY(Text), server_default=sql_text("'{}'")
    )
    active: Mapped[bool] = mapped_column(Boolean, server_default=sql_text("true"))


class WebhookDelivery(Base):
    """One event to deliver to one webhook, with its retry state."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    next_attempt_at: Mapped[datetime | None] = mapped_column(TS, index=True)
    status: Mapped[str] = mapped_column(Text, server_default=sql_text("'pending'"))
    last_error: Mapped[str | None] = mapped_column(Text)


class ConfigVersion(Base):
    """A versioned configuration text: sla, calendar, routing or statemachine YAML."""

    __tablename__ = "config_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(Text, index=True)
    content: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(TS, server_default=NOW)
