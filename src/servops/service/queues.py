"""Work queues: an agent's open tickets, or their groups', most urgent SLA clock first.

A ticket's **urgent clock** is the one of its ``sla_timers`` rows that comes first by
:data:`URGENCY`: a breach that has fired and is still running (its ``breached_at``) or a
running clock (its ``due_at``). Queues sort by that instant (tickets with no running
clock — paused or without a policy — come last, oldest first). The clock's display state
is the SLA timers' own: ``breached`` (fired), ``warning`` (the worker has warned, or the
warning instant has passed), ``running``; pages count down to ``due_at`` live.

What a caller may see is :func:`servops.service.access.visible_tickets`; open means a
state of the categories new, open or pending in the state machine in force
(:func:`servops.service.config_store.live_state_machine`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import aliased

from servops.service import access
from servops.service.config_store import live_state_machine
from servops.service.models import Group, GroupMember, SlaTimer, Ticket, User

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import ColumnElement, Select
    from sqlalchemy.orm import InstrumentedAttribute, Session

    _Rows = Select[Ticket, str, str, SlaTimer]

    from servops.service.access import Principal

__all__ = [
    "URGENCY",
    "QueueChoices",
    "QueueFilters",
    "QueuePage",
    "QueueRow",
    "Scope",
    "clock_state",
    "group_ids_of",
    "queue",
    "queue_choices",
]

Scope = Literal["mine", "groups"]

#: The instant a timer row is urgent by: a fired, still-running breach's time, or a
#: running clock's due time; NULL for paused, met, cancelled or stopped-late clocks.
URGENCY: ColumnElement[datetime | None] = case(
    (
        and_(SlaTimer.stage == "breached", SlaTimer.stopped_at.is_(None)),
        SlaTimer.breached_at,
    ),
    (SlaTimer.stage == "running", SlaTimer.due_at),
    else_=None,
)


@dataclass(frozen=True)
class QueueFilters:
    """Queue filters (each None = any): state, priority, group, channel, text."""

    state: str | None = None
    priority: str | None = None
    group_id: int | None = None
    channel: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class QueueRow:
    """One ticket of a queue with its urgent clock (None when no clock is running)."""

    ticket: Ticket
    group: str | None
    assignee: str | None
    timer: SlaTimer | None

    @property
    def state(self) -> str:
        """The urgent clock's state: breached, warning, running, or none."""
        return clock_state(self.timer, None)


@dataclass(frozen=True)
class QueuePage:
    """The first ``limit`` rows of a queue and how many tickets it holds in all."""

    rows: list[QueueRow]
    total: int


def clock_state(timer: SlaTimer | None, now: datetime | None) -> str:
    """The display state of a timer row: breached, warning, running, paused, met.

    ``warning`` once the worker has warned (``warned_at``) or, given ``now``, once the
    warning instant has passed; ``breached`` once the breach has fired or, given ``now``,
    the due instant has passed. ``none`` without a row.
    """
    if timer is None:
        return "none"
    if timer.stage == "breached":
        return "breached"
    if timer.stage != "running":
        return timer.stage
    if now is not None and timer.due_at is not None and now >= timer.due_at:
        return "breached"
    if timer.warned_at is not None or (
        now is not None and timer.warn_at is not None and now >= timer.warn_at
    ):
        return "warning"
    return "running"


def group_ids_of(session: Session, user_id: int) -> list[int]:
    """The groups a user works in: member of, or supervisor of (id order)."""
    ids = set(
        session.scalars(
            select(GroupMember.group_id).where(GroupMember.user_id == user_id)
        )
    )
    ids |= set(session.scalars(select(Group.id).where(Group.supervisor_id == user_id)))
    return sorted(ids)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(
    session: Session,
    stmt: _Rows,
    principal: Principal,
    scope: Scope,
    filters: QueueFilters,
) -> _Rows:
    stmt = cast("_Rows", access.visible_tickets(cast("Select[Any]", stmt), principal))
    stmt = stmt.where(Ticket.state.in_(live_state_machine(session).states_in()))
    if scope == "mine":
        stmt = stmt.where(Ticket.assignee_id == principal.user_id)
    else:
        stmt = stmt.where(Ticket.group_id.in_(group_ids_of(session, principal.user_id)))
    for col, value in (
        (Ticket.state, filters.state),
        (Ticket.priority, filters.priority),
        (Ticket.group_id, filters.group_id),
        (Ticket.channel, filters.channel),
    ):
        if value is not None:
            stmt = stmt.where(col == value)
    if filters.text:
        pattern = _like(filters.text)
        stmt = stmt.where(
            or_(
                Ticket.subject.ilike(pattern, escape="\\"),
                Ticket.number.ilike(pattern, escape="\\"),
            )
        )
    return stmt


def queue(
    session: Session,
    principal: Principal,
    *,
    scope: Scope = "mine",
    filters: QueueFilters | None = None,
    limit: int = 200,
) -> QueuePage:
    """The caller's open tickets, most urgent SLA clock first; ``limit`` rows and the total.

    ``mine``: assigned to the caller; ``groups``: in the caller's groups
    (:func:`group_ids_of`). Filters combine with AND; ``text`` matches the subject or
    the number, case-insensitively.
    """
    filters = filters or QueueFilters()
    stmt = _filtered(session, _base_statement(), principal, scope, filters).order_by(
        _URGENT.c.urgent_at.asc().nulls_last(), Ticket.created_at, Ticket.id
    )
    rows = [
        QueueRow(ticket=t, group=g, assignee=a, timer=timer)
        for t, g, a, timer in session.execute(stmt.limit(limit))
    ]
    if len(rows) < limit:
        total = len(rows)
    else:
        counted = _filtered(session, _base_statement(), principal, scope, filters)
        total = int(
            session.scalar(select(func.count()).select_from(counted.subquery())) or 0
        )
    return QueuePage(rows=rows, total=total)


_URGENT = (
    select(
        SlaTimer.ticket_id.label("ticket_id"),
        SlaTimer.id.label("timer_id"),
        URGENCY.label("urgent_at"),
    )
    .where(URGENCY.is_not(None))
    .ext(distinct_on(SlaTimer.ticket_id))
    .order_by(SlaTimer.ticket_id, URGENCY)
    .subquery("urgent")
)


def _base_statement() -> _Rows:
    assignee = aliased(User)
    timer = aliased(SlaTimer)
    return (
        select(Ticket, Group.name, assignee.name, timer)
        .outerjoin(Group, Group.id == Ticket.group_id)
        .outerjoin(assignee, assignee.id == Ticket.assignee_id)
        .outerjoin(_URGENT, _URGENT.c.ticket_id == Ticket.id)
        .outerjoin(timer, timer.id == _URGENT.c.timer_id)
    )


@dataclass(frozen=True)
class QueueChoices:
    """What a queue's filters and bulk actions offer: groups, agents, values in use."""

    groups: list[tuple[int, str]]
    agents: list[tuple[int, str]]
    states: list[str]
    priorities: list[str]
    channels: list[str]


def queue_choices(session: Session, user_id: int) -> QueueChoices:
    """The caller's groups, their active agents and the caller, open states, values in use.

    Priorities and channels are the distinct values the tickets hold (sorted).
    """
    gids = group_ids_of(session, user_id)
    groups = [
        (int(i), str(n))
        for i, n in session.execute(
            select(Group.id, Group.name).where(Group.id.in_(gids)).order_by(Group.name)
        )
    ]
    members = select(GroupMember.user_id).where(GroupMember.group_id.in_(gids))
    agents = [
        (int(i), str(n))
        for i, n in session.execute(
            select(User.id, User.name)
            .where(
                or_(User.id.in_(members), User.id == user_id),
                User.active,
                User.role != "customer",
            )
            .order_by(User.name, User.id)
        )
    ]

    def used(col: InstrumentedAttribute[str | None]) -> list[str]:
        return [
            str(v)
            for v in session.scalars(
                select(col).where(col.is_not(None)).distinct().order_by(col)
            )
        ]

    return QueueChoices(
        groups=groups,
        agents=agents,
        states=live_state_machine(session).states_in(),
        priorities=used(Ticket.priority),
        channels=used(Ticket.channel),
    )
