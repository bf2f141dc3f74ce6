"""Routing: rules send a ticket to a group; within the group an agent is chosen.

Rules are checked in ``position`` order; the first active rule whose conditions all hold sends
the ticket to its group. Conditions (a JSON object, every key optional)::

    {
        "category": ["billing", "refund"],  # the ticket's category is one of these
        "channel": ["email"],
        "organisation_id": [3, 7],
        "customer_id": [42],
        "priority": ["high", "urgent"],
        "keywords": ["invoice", "发票"],
    }  # any keyword in subject or text (case-folded)

Within a group, :func:`pick_agent` picks among active members:

- ``skills``: only agents holding every skill the ticket needs (the routing config maps a
  category to skills);
- ``capacity``: only agents with fewer open tickets than their ``capacity`` (None: unlimited);
  if nobody qualifies the ticket stays unassigned in the group's queue, and
  :func:`drain_queue` assigns it, oldest first, when an agent frees up;
- then ``least_loaded`` (fewest open tickets, ties to the lowest id) or ``round_robin``
  (the next eligible agent after the one assigned last in the group, by id).

Examples
--------
>>> r = Rule(
...     id=1, position=1, name="bills", conditions={"keywords": ["invoice"]}, group_id=2
... )
>>> r.matches(TicketFacts(subject="Invoice wrong", text=""))
True
>>> agents = [AgentLoad(1, open_tickets=3, capacity=3), AgentLoad(2, open_tickets=1)]
>>> pick_agent(agents, strategy="least_loaded")
2
>>> pick_agent(agents, strategy="round_robin", last_assignee=2)  # 1 is full: 2 again
2
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

from servops.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from sqlalchemy import ColumnElement
    from sqlalchemy.orm import Session

    from servops.service.events import Actor
    from servops.service.experiments import Experiment
    from servops.service.models import Ticket

__all__ = [
    "CONDITION_KEYS",
    "AgentLoad",
    "RoutingConfig",
    "Rule",
    "Strategy",
    "TicketFacts",
    "check_conditions",
    "choose_group",
    "drain_queue",
    "load_routing_config",
    "pick_agent",
    "route_ticket",
]

Strategy = Literal["least_loaded", "round_robin"]
STRATEGIES: tuple[Strategy, ...] = get_args(Strategy)
CONDITION_KEYS = (
    "category",
    "channel",
    "organisation_id",
    "customer_id",
    "priority",
    "keywords",
)


@dataclass(frozen=True)
class TicketFacts:
    """What rules look at."""

    subject: str = ""
    text: str = ""
    category: str | None = None
    channel: str | None = None
    priority: str | None = None
    organisation_id: int | None = None
    customer_id: int | None = None


def check_conditions(
    conditions: object, where: str = "routing rule"
) -> dict[str, list[Any]]:
    """Validate rule conditions: known keys, each a non-empty list; return them normalised."""
    if not isinstance(conditions, Mapping):
        msg = f"{where}: conditions must be an object, got {type(conditions).__name__}."
        raise ConfigError(msg)
    out: dict[str, list[Any]] = {}
    for key, value in conditions.items():
        if key not in CONDITION_KEYS:
            msg = f"{where}: unknown condition {key!r}; expected one of {', '.join(CONDITION_KEYS)}."
            raise ConfigError(msg)
        values = [value] if isinstance(value, str | int) else value
        if not isinstance(values, Sequence) or isinstance(values, str) or not values:
            msg = f"{where}: condition {key!r} needs a non-empty list, got {value!r}."
            raise ConfigError(msg)
        out[key] = list(values)
    return out


@dataclass(frozen=True)
class Rule:
    """One routing rule (a ``routing_rules`` row)."""

    id: int
    position: int
    name: str
    conditions: Mapping[str, Any]
    group_id: int
    active: bool = True

    def matches(self, t: TicketFacts) -> bool:
        """Whether every condition holds for ticket ``t`` (a rule with none matches all)."""
        c = self.conditions
        for key in (
            "category",
            "channel",
            "priority",
            "organisation_id",
            "customer_id",
        ):
            if key in c and getattr(t, key) not in c[key]:
                return False
        if "keywords" in c:
            hay = f"{t.subject}\n{t.text}".casefold()
            if not any(str(k).casefold() in hay for k in c["keywords"]):
                return False
        return True


def choose_group(rules: Sequence[Rule], t: TicketFacts) -> Rule | None:
    """The first active rule (by position, then id) that matches ``t``, or None."""
    for rule in sorted(rules, key=lambda r: (r.position, r.id)):
        if rule.active and rule.matches(t):
            return rule
    return None


@dataclass(frozen=True)
class AgentLoad:
    """An agent of a group with their current load."""

    user_id: int
    open_tickets: int = 0
    capacity: int | None = None
    skills: frozenset[str] = field(default_factory=frozenset)

    @property
    def has_room(self) -> bool:
        """Below capacity (always, with no capacity set)."""
        return self.capacity is None or self.open_tickets < self.capacity


def pick_agent(
    agents: Sequence[AgentLoad],
    *,
    strategy: Strategy,
    skills: frozenset[str] = frozenset(),
    last_assignee: int | None = None,
) -> int | None:
    """The user id to assign, or None when no agent has the skills and room (ticket waits)."""
    if strategy not in STRATEGIES:
        msg = f"unknown routing strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}."
        raise ConfigError(msg)
    eligible = sorted(
        (a for a in agents if a.has_room and skills <= a.skills),
        key=lambda a: a.user_id,
    )
    if not eligible:
        return None
    if strategy == "least_loaded":
        return min(eligible, key=lambda a: (a.open_tickets, a.user_id)).user_id
    if last_assignee is not None:
        for a in eligible:
            if a.user_id > last_assignee:
                return a.user_id
    return eligible[0].user_id


@dataclass(frozen=True)
class RoutingConfig:
    """The routing settings beyond the rules (latest ``config_versions`` row of kind routing).

    YAML::

        strategy: least_loaded  # default for every group
        groups: {Billing: round_robin}  # per group name
        skills: {billing: [finance]}  # skills a category needs
        experiments: []  # A/B experiments, see servops.service.experiments
    """

    strategy: Strategy = "least_loaded"
    groups: Mapping[str, Strategy] = field(default_factory=dict)
    skills: Mapping[str, frozenset[str]] = field(default_factory=dict)
    experiments: tuple[Experiment, ...] = ()

    @classmethod
    def from_yaml(cls, text: str) -> RoutingConfig:
        """Parse and validate the routing YAML."""
        from servops._yaml import parse_yaml

        doc = parse_yaml(text, "config", what="routing")
        try:
            return cls._from_data(doc.data or {})
        except ConfigError as exc:
            raise doc.locate(exc) from exc.__cause__

    @classmethod
    def _from_data(cls, d: object) -> RoutingConfig:
        if not isinstance(d, dict):
            msg = "routing config: expected a mapping with strategy, groups, skills."
            raise ConfigError(msg)
        unknown = set(d) - {"strategy", "groups", "skills", "experiments"}
        if unknown:
            msg = f"routing config: unknown keys {sorted(unknown)}; expected strategy, groups, skills, experiments."
            raise ConfigError(msg)
        strategy = d.get("strategy", "least_loaded")
        groups = d.get("groups") or {}
        if not isinstance(groups, dict):
            msg = (
                f"groups: expected a mapping of group name to strategy, got {groups!r}."
            )
            raise ConfigError(msg)
        named = [
            ("strategy", strategy),
            *((f"groups.{g}", s) for g, s in groups.items()),
        ]
        for key, s in named:
            if s not in STRATEGIES:
                msg = f"{key}: unknown strategy {s!r}; expected one of {', '.join(STRATEGIES)}."
                raise ConfigError(msg)
        raw_skills = d.get("skills") or {}
        if not isinstance(raw_skills, dict):
            msg = (
                f"skills: expected a mapping of category to skills, got {raw_skills!r}."
            )
            raise ConfigError(msg)
        skills = {str(k): frozenset(map(str, v)) for k, v in raw_skills.items()}
        from servops.service.experiments import parse_experiments

        return cls(
            strategy=strategy,
            groups=dict(groups),
            skills=skills,
            experiments=parse_experiments(d.get("experiments")),
        )


_CONFIGS: dict[tuple[str, int], RoutingConfig] = {}


def load_routing_config(session: Session) -> RoutingConfig:
    """The routing config in force: the newest stored version (defaults if none).

    The version id is the transaction's answer of :func:`servops.service.config_store.
    latest_ids` (asked once per transaction, also for the state machine), so a version
    saved by any process applies to the next transaction of every process; its text is
    read and parsed once per process, database and version.
    """
    from servops.service.config_store import database_of, latest_id

    vid = latest_id(session, "routing")
    if vid is None:
        return RoutingConfig()
    key = (database_of(session.get_bind().engine.url), vid)
    hit = _CONFIGS.get(key)
    if hit is None:
        from sqlalchemy import select

        from servops.service.models import ConfigVersion

        text = session.scalar(
            select(ConfigVersion.content).where(ConfigVersion.id == vid)
        )
        hit = RoutingConfig.from_yaml(text or "")
        if len(_CONFIGS) > 32:
            _CONFIGS.clear()
        _CONFIGS[key] = hit
    return hit


#: The active rules with a group: plain driver SQL (no ORM entities, no statement
#: compilation), read by every ticket created without a group.
_RULES_SQL = (
    "SELECT id, position, name, conditions, group_id FROM routing_rules "
    "WHERE active AND group_id IS NOT NULL"
)


def _load_rules(session: Session) -> list[Rule]:
    rows = session.connection().exec_driver_sql(_RULES_SQL).all()
    return [
        Rule(
            id=int(rid),
            position=int(position),
            name=str(name),
            conditions=conditions if isinstance(conditions, Mapping) else {},
            group_id=int(group_id),
        )
        for rid, position, name, conditions, group_id in rows
    ]


def _group_agents(session: Session, group_id: int) -> list[AgentLoad]:
    """The group's active agents with their open tickets, their rows locked.

    The lock (``FOR UPDATE`` of the agents' user rows, in id order) lasts until the
    transaction ends, so concurrent assignments to these agents take turns and each sees
    the others' committed tickets: nobody is assigned beyond capacity by a race.
    """
    from sqlalchemy import func, select

    from servops.service.models import GroupMember, Ticket, User

    # the capacity and skills come with the lock: a locked row is read as last committed
    agents = session.execute(
        select(User.id, User.capacity, User.skills)
        .join(GroupMember, GroupMember.user_id == User.id)
        .where(
            GroupMember.group_id == group_id,
            User.active,
            User.role.in_(("agent", "supervisor")),
        )
        .order_by(User.id)
        .with_for_update(of=User)
    ).all()
    if not agents:
        return []
    # counted by a later statement: its snapshot sees what the lock's holders committed
    load = {
        uid: int(n)
        for uid, n in session.execute(
            select(Ticket.assignee_id, func.count())
            .where(
                Ticket.assignee_id.in_([a[0] for a in agents]),
                _open_condition(session),
            )
            .group_by(Ticket.assignee_id)
        ).all()
    }
    return [
        AgentLoad(
            uid,
            open_tickets=load.get(uid, 0),
            capacity=cap,
            skills=frozenset(skills or ()),
        )
        for uid, cap, skills in agents
    ]


def _open_condition(session: Session) -> ColumnElement[bool]:
    """Tickets in an open state (they count towards their assignee's load)."""
    from servops.service.config_store import live_state_machine
    from servops.service.models import Ticket

    return Ticket.state.in_(live_state_machine(session).states_in())


def _last_assignee(session: Session, group_id: int) -> int | None:
    """The agent the group's latest assignment went to (round robin continues after them)."""
    from sqlalchemy import select

    from servops.service.config_store import live_state_machine
    from servops.service.models import Event, Ticket

    activity = live_state_machine(session).field_activity("assignee_id")
    rows = session.scalars(
        select(Event.payload)
        .join(Ticket, Ticket.id == Event.ticket_id)
        .where(Ticket.group_id == group_id, Event.activity == activity)
        .order_by(Event.id.desc())
        .limit(20)
    ).all()
    for payload in rows:
        after = payload.get("after") if isinstance(payload, dict) else None
        if isinstance(after, int):
            return after
    return None


def _facts(ticket: Ticket) -> TicketFacts:
    return TicketFacts(
        subject=ticket.subject or "",
        text=ticket.text or "",
        category=ticket.category,
        channel=ticket.channel,
        priority=ticket.priority,
        organisation_id=ticket.organisation_id,
        customer_id=ticket.customer_id,
    )


def route_ticket(
    session: Session,
    ticket: Ticket,
    *,
    actor: Actor | None = None,
    now: Callable[[], datetime] | None = None,
) -> int | None:
    """Route ``ticket``: set its group by the rules (if it has none) and assign an agent.

    Both changes are one ticket update with an event each (``Group changed``, then
    ``Assignee changed``). Returns the assignee's user id, or None when the ticket waits in its
    group's queue (or no rule matched and it has no group).
    """
    from servops.service import tickets

    changes: dict[str, int] = {}
    group_id = ticket.group_id
    if group_id is None:
        rule = choose_group(_load_rules(session), _facts(ticket))
        if rule is None:
            return None
        group_id = changes["group_id"] = rule.group_id
    agent = ticket.assignee_id
    if agent is None:
        agent = _pick_in_group(session, group_id, ticket.category)
        if agent is not None:
            changes["assignee_id"] = agent
    if changes:  # one UPDATE of the ticket, its events in UPDATABLE order
        tickets.update_ticket(
            session, ticket, changes, actor=actor or tickets.SYSTEM, now=now
        )
    return None if agent is None else int(agent)


def _pick_in_group(session: Session, group_id: int, category: str | None) -> int | None:
    """The agent of the group a ticket of ``category`` goes to (None: it waits)."""
    from servops.service.models import Group

    config = load_routing_config(session)
    strategy = config.strategy
    if config.groups:  # a strategy per group name
        group = session.get(Group, group_id)
        if group is not None:
            strategy = config.groups.get(group.name, strategy)
    return pick_agent(
        _group_agents(session, group_id),
        strategy=strategy,
        skills=config.skills.get(category or "", frozenset()),
        # only round robin continues after the last assignee
        last_assignee=(
            _last_assignee(session, group_id) if strategy == "round_robin" else None
        ),
    )


def _assign_in_group(
    session: Session,
    ticket: Ticket,
    *,
    actor: Actor | None,
    now: Callable[[], datetime] | None,
) -> int | None:
    from servops.service import tickets

    if ticket.group_id is None:
        return None
    agent = _pick_in_group(session, ticket.group_id, ticket.category)
    if agent is not None:
        tickets.update_ticket(
            session,
            ticket,
            {"assignee_id": agent},
            actor=actor or tickets.SYSTEM,
            now=now,
        )
    return agent


def drain_queue(
    session: Session,
    group_id: int,
    *,
    actor: Actor | None = None,
    now: Callable[[], datetime] | None = None,
) -> list[int]:
    """Assign the group's waiting tickets, oldest first, while agents have room.

    Returns the ids of the tickets assigned.
    """
    from sqlalchemy import select

    from servops.service.models import Ticket

    waiting = session.scalars(
        select(Ticket)
        .where(
            Ticket.group_id == group_id,
            Ticket.assignee_id.is_(None),
            _open_condition(session),
        )
        .order_by(Ticket.created_at, Ticket.id)
        .with_for_update(skip_locked=True)
    ).all()
    done: list[int] = []
    for t in waiting:
        if _assign_in_group(session, t, actor=actor, now=now) is not None:
            done.append(t.id)
    return done
