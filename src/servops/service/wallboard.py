"""The supervisor wallboard's figures, aggregated in PostgreSQL (two statements + one small).

Per group: open tickets, **at risk** (an SLA clock in its warning stage: the worker
warned, or the warning instant has passed, and it is not yet due) and **breached now** (a
breach that fired and whose clock still runs, or a running clock past its due instant) —
the states of :func:`servops.service.queues.clock_state`, worst clock of each ticket.
Per agent: open tickets assigned, how many at risk or breached, and the capacity of
routing (:class:`servops.service.routing.AgentLoad`, ``has_room``). Arrivals today:
tickets created since midnight of the desk's time zone.

Both statements read open tickets through the state list (``state = ANY(...)``) and
their running clocks through ``ix_sla_timers_ticket_id``; nothing is loaded row by row.
With 5,000 open tickets (all open, 10,000 running clocks) each statement is a hash join
of the two tables and a hash aggregate per ticket (EXPLAIN ANALYZE: 45-57 ms on the
loaded 2-core host, ~80 % of it the per-ticket aggregate); an index cannot shorten that,
since every open ticket and running clock is read. The figures change only with an event
or when a running clock reaches its warning or due instant: :attr:`WallboardFigures.
next_change` (a third, small statement on the clocks' partial indexes) says when, so a
page can reuse them until then (:mod:`servops.web.wallboard`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from servops.service.config_store import live_state_machine
from servops.service.routing import AgentLoad

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "AgentRow",
    "GroupRow",
    "WallboardFigures",
    "day_bounds",
    "wallboard_figures",
]

#: Risk of one ticket: 2 breached now, 1 at risk (warning), 0 on track or no clock.
_RISK = """
  max(CASE
    WHEN (s.stage = 'breached' AND s.stopped_at IS NULL)
      OR (s.stage = 'running' AND s.due_at <= :now) THEN 2
    WHEN s.stage = 'running' AND (s.warned_at IS NOT NULL OR s.warn_at <= :now) THEN 1
    ELSE 0 END)"""

_PER_TICKET = f"""
  SELECT t.id, t.group_id, t.assignee_id, coalesce({_RISK}, 0) AS risk
  FROM tickets t
  LEFT JOIN sla_timers s ON s.ticket_id = t.id AND s.stopped_at IS NULL
  WHERE t.state = ANY(:open)
  GROUP BY t.id, t.group_id, t.assignee_id
"""

_GROUPS = f"""
WITH o AS ({_PER_TICKET})
SELECT g.id, coalesce(g.name, ''), count(o.id),
  count(o.id) FILTER (WHERE o.risk = 1), count(o.id) FILTER (WHERE o.risk = 2),
  (SELECT count(*) FROM tickets WHERE created_at >= :today) AS arrivals_today,
  count(o.id) FILTER (WHERE o.assignee_id IS NULL)
FROM o LEFT JOIN groups g ON g.id = o.group_id
GROUP BY g.id, g.name
ORDER BY count(o.id) FILTER (WHERE o.risk = 2) DESC, count(o.id) DESC, g.name
"""

_AGENTS = f"""
WITH o AS ({_PER_TICKET})
SELECT u.id, u.name, u.capacity, count(o.id),
  count(o.id) FILTER (WHERE o.risk = 1), count(o.id) FILTER (WHERE o.risk = 2)
FROM users u LEFT JOIN o ON o.assignee_id = u.id
WHERE u.active AND u.role IN ('agent', 'supervisor')
GROUP BY u.id, u.name, u.capacity
ORDER BY u.name, u.id
"""

#: The next instant a running clock enters its warning stage or falls due.
_NEXT_CHANGE = """
SELECT least(
  (SELECT min(warn_at) FROM sla_timers
   WHERE stage = 'running' AND warned_at IS NULL AND warn_at > :now
     AND stopped_at IS NULL),
  (SELECT min(due_at) FROM sla_timers
   WHERE stage = 'running' AND due_at > :now AND stopped_at IS NULL))
"""


@dataclass(frozen=True)
class GroupRow:
    """Open, at-risk and breached-now tickets of one group (``None``: no group)."""

    group_id: int | None
    name: str
    open: int
    at_risk: int
    breached: int
    unassigned: int


@dataclass(frozen=True)
class AgentRow:
    """An agent's open tickets against routing's capacity."""

    user_id: int
    name: str
    open: int
    at_risk: int
    breached: int
    capacity: int | None

    @property
    def has_room(self) -> bool:
        """Below capacity, as routing decides (no capacity: always)."""
        return AgentLoad(self.user_id, self.open, self.capacity).has_room

    @property
    def load(self) -> float | None:
        """Open tickets / capacity (``None`` without a capacity)."""
        return None if not self.capacity else self.open / self.capacity


@dataclass(frozen=True)
class WallboardFigures:
    """Everything the wallboard shows from the database, at ``now``."""

    now: datetime
    groups: list[GroupRow]
    agents: list[AgentRow]
    arrivals_today: int
    day_start: datetime
    totals: dict[str, int] = field(default_factory=dict)
    #: When a running clock next reaches its warning or due instant (None: none will):
    #: until then, and without a new event, the figures stay the same.
    next_change: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "now": self.now.isoformat(),
            "day_start": self.day_start.isoformat(),
            "arrivals_today": self.arrivals_today,
            "totals": dict(self.totals),
            "next_change": None
            if self.next_change is None
            else self.next_change.isoformat(),
            "groups": [g.__dict__ for g in self.groups],
            "agents": [
                {**a.__dict__, "has_room": a.has_room, "load": a.load}
                for a in self.agents
            ],
        }


def wallboard_figures(
    session: Session, now: datetime, *, timezone: str = "UTC"
) -> WallboardFigures:
    """Open / at-risk / breached tickets by group, agents' load, arrivals today.

    Parameters
    ----------
    session
        A session on the service database.
    now
        The instant the clocks are judged at (aware).
    timezone
        The desk's time zone: "today" starts at its midnight.
    """
    local = now.astimezone(ZoneInfo(timezone))
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    params = {
        "now": now,
        "open": live_state_machine(session).states_in(),
        "today": day_start.astimezone(UTC),
    }
    rows = session.execute(text(_GROUPS), params).all()
    groups = [
        GroupRow(
            group_id=None if r[0] is None else int(r[0]),
            name=str(r[1]),
            open=int(r[2]),
            at_risk=int(r[3]),
            breached=int(r[4]),
            unassigned=int(r[6]),
        )
        for r in rows
    ]
    if rows:
        arrivals = int(rows[0][5])
    else:
        arrivals = int(
            session.execute(
                text("SELECT count(*) FROM tickets WHERE created_at >= :today"),
                {"today": params["today"]},
            ).scalar_one()
        )
    agents = [
        AgentRow(
            user_id=int(r[0]),
            name=str(r[1]),
            capacity=None if r[2] is None else int(r[2]),
            open=int(r[3]),
            at_risk=int(r[4]),
            breached=int(r[5]),
        )
        for r in session.execute(text(_AGENTS), params).all()
    ]
    next_change = session.execute(text(_NEXT_CHANGE), {"now": now}).scalar_one()
    totals = {
        "open": sum(g.open for g in groups),
        "at_risk": sum(g.at_risk for g in groups),
        "breached": sum(g.breached for g in groups),
        "unassigned": sum(g.unassigned for g in groups),
    }
    return WallboardFigures(
        now=now,
        groups=groups,
        agents=agents,
        arrivals_today=arrivals,
        day_start=day_start,
        totals=totals,
        next_change=next_change,
    )


def day_bounds(now: datetime, timezone: str = "UTC") -> tuple[datetime, datetime]:
    """Midnight to midnight of ``now``'s day in ``timezone`` (aware, UTC)."""
    local = now.astimezone(ZoneInfo(timezone))
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)
