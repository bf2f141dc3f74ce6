"""The ticket state machine: states in categories, allowed transitions, KPI roles.

A YAML file (the default is ``servops/service/statemachine.yaml``)::

    initial: new
    states:
      new: {category: new, activity: New}
      open: {category: open, activity: In progress}
      waiting_for_customer: {category: pending, activity: Waiting for customer}
      resolved: {category: resolved, activity: Resolved}
      closed: {category: closed, activity: Closed}
    transitions:
      new: [open, waiting_for_customer, resolved, closed]
      open: [waiting_for_customer, resolved, closed]
      waiting_for_customer: [open, resolved, closed]
      resolved: [open, closed]
      closed: [open]
    activities:
      created: Ticket created
      first_response: Agent replied
      customer: Customer replied
      reopened: Reopened
      internal: Internal note
      changed: "{field} changed"

The event activities use the KPI configuration's role names (``first_response``,
``customer``, ``reopened``; ``resolved`` and ``closed`` are the activities of the states of
those categories; pending states pause the SLA clock), so
:meth:`StateMachine.kpi_config` gives the :class:`~servops.kpi.KpiConfig` that ``servops
kpi`` applies to the service's event log. Every error names the file and line.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from servops._yaml import YamlDoc, parse_yaml
from servops.errors import ConfigError, ConflictError
from servops.kpi.config import ROLES, KpiConfig, Pause

if TYPE_CHECKING:
    from servops._typing import PathLike

__all__ = [
    "CATEGORIES",
    "DEFAULT_STATE_MACHINE",
    "OPEN_CATEGORIES",
    "State",
    "StateMachine",
    "default_state_machine",
    "load_state_machine",
    "parse_state_machine",
]

CATEGORIES = ("new", "open", "pending", "resolved", "closed")
#: State categories of a ticket still being worked on (queues, wallboard, agents' load).
OPEN_CATEGORIES = ("new", "open", "pending")
DEFAULT_STATE_MACHINE = Path(__file__).with_name("statemachine.yaml")
_ACTIVITY_KEYS = (
    "created",
    "first_response",
    "customer",
    "reopened",
    "internal",
    "changed",
)
_DEFAULT_ACTIVITIES = {
    "created": "Ticket created",
    "first_response": "Agent replied",
    "customer": "Customer replied",
    "reopened": "Reopened",
    "internal": "Internal note",
    "changed": "{field} changed",
}
_DONE = ("resolved", "closed")


@dataclass(frozen=True, slots=True)
class State:
    """A ticket state: its category and the activity written when a ticket enters it."""

    name: str
    category: str
    activity: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"name": self.name, "category": self.category, "activity": self.activity}


@dataclass(frozen=True, slots=True)
class StateMachine:
    """States, allowed transitions and the event activities of the ticket operations."""

    states: tuple[State, ...]
    initial: str
    transitions: tuple[tuple[str, tuple[str, ...]], ...]
    activities: tuple[tuple[str, str], ...]
    source: str = "default"

    def state(self, name: str) -> State:
        """The state called ``name``.

        Raises
        ------
        ConflictError
            No such state (the message lists the states).
        """
        for s in self.states:
            if s.name == name:
                return s
        msg = (
            f"no ticket state {name!r}; the states are {[s.name for s in self.states]}."
        )
        raise ConflictError(msg)

    def allowed(self, state: str) -> tuple[str, ...]:
        """The states a ticket in ``state`` may move to."""
        return dict(self.transitions).get(state, ())

    def activity(self, role: str) -> str:
        """The event activity of an operation (``created``, ``first_response``, …)."""
        return dict(self.activities)[role]

    def check(self, source: str, target: str) -> str:
        """The activity of moving from ``source`` to ``target``, if allowed.

        Leaving a resolved or closed state for a new, open or pending one is a reopening.

        Raises
        ------
        ConflictError
            The transition is not allowed (the message lists the allowed targets).
        """
        to = self.state(target)
        frm = self.state(source)
        if target not in self.allowed(source):
            msg = (
                f"a ticket in state {source!r} cannot move to {target!r}; allowed: "
                f"{list(self.allowed(source))} ({self.source})."
            )
            raise ConflictError(msg)
        if frm.category in _DONE and to.category not in _DONE:
            return self.activity("reopened")
        return to.activity

    def field_activity(self, field: str) -> str:
        """The activity of a change of ``field`` (``priority`` → ``Priority changed``)."""
        label = field.replace("_id", "").replace("_", " ")
        return self.activity("changed").replace("{field}", label.capitalize())

    def categories(self) -> dict[str, str]:
        """State name → category."""
        return {s.name: s.category for s in self.states}

    def states_in(self, categories: tuple[str, ...] = OPEN_CATEGORIES) -> list[str]:
        """The names of the states in ``categories`` (default: the open ones), in order.

        >>> default_state_machine().states_in()
        ['new', 'open', 'waiting_for_customer', 'on_hold']
        """
        return [s.name for s in self.states if s.category in categories]

    def kpi_config(self) -> KpiConfig:
        """The KPI configuration of the service's event log.

        Roles: first response, customer and reopened from ``activities``; resolved and
        closed are the activities of the states of those categories; entering a pending
        state pauses the SLA clock until the ticket's next event.
        """

        def of(category: str) -> tuple[str, ...]:
            return tuple(s.activity for s in self.states if s.category == category)

        pending = of("pending")
        return KpiConfig(
            first_response=(self.activity("first_response"),),
            resolved=of("resolved"),
            closed=of("closed"),
            reopened=(self.activity("reopened"),),
            customer=(self.activity("customer"),),
            pauses=(Pause(start=pending),) if pending else (),
            source=f"state machine ({self.source})",
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "initial": self.initial,
            "states": [s.to_dict() for s in self.states],
            "transitions": {k: list(v) for k, v in self.transitions},
            "activities": dict(self.activities),
            "source": self.source,
        }


class _Where:
    """Names a place in the YAML: ``file, line N: key.path``."""

    def __init__(self, doc: YamlDoc) -> None:
        self.name = doc.name
        self.doc = doc

    def __call__(self, *path: str) -> str:
        line = self.doc.line(tuple(int(p) if p.isdigit() else p for p in path))
        at = f", line {line}" if line is not None else ""
        return f"{self.name}{at}: {'.'.join(path) or '(top)'}"


def parse_state_machine(text: str, *, source: str = "state machine") -> StateMachine:
    """Parse a state machine from YAML text.

    Raises
    ------
    ConfigError
        Malformed YAML or content; the message names ``source``, the line and the key.

    Examples
    --------
    >>> sm = parse_state_machine(DEFAULT_STATE_MACHINE.read_text())
    >>> sm.check("resolved", "open"), sm.check("open", "resolved")
    ('Reopened', 'Resolved')
    """
    doc = parse_yaml(text, source, what="state machine")
    data = doc.data
    where = _Where(doc)
    if not isinstance(data, Mapping):
        msg = f"{where()} must be a mapping with 'states', 'transitions' and 'initial'."
        raise ConfigError(msg)
    unknown = sorted(
        set(map(str, data)) - {"initial", "states", "transitions", "activities"}
    )
    if unknown:
        msg = (
            f"{where(unknown[0])}: unknown key; expected initial, states, transitions, "
            "activities."
        )
        raise ConfigError(msg)
    states = _parse_states(data.get("states"), where)
    names = [s.name for s in states]
    initial = data.get("initial", names[0])
    if initial not in names:
        msg = f"{where('initial')}: {initial!r} is not a state; the states are {names}."
        raise ConfigError(msg)
    transitions = _parse_transitions(data.get("transitions"), names, where)
    activities = _parse_activities(data.get("activities") or {}, where)
    return StateMachine(
        states=states,
        initial=str(initial),
        transitions=transitions,
        activities=activities,
        source=source,
    )


def _parse_states(raw: object, where: _Where) -> tuple[State, ...]:
    if not isinstance(raw, Mapping) or not raw:
        msg = f"{where('states')}: give the states as a mapping name -> {{category: ...}}."
        raise ConfigError(msg)
    states: list[State] = []
    for name, spec in raw.items():
        name = str(name)
        spec = {"category": spec} if isinstance(spec, str) else spec
        if not isinstance(spec, Mapping):
            msg = f"{where('states', name)}: expected {{category: ..., activity: ...}}."
            raise ConfigError(msg)
        bad = sorted(set(map(str, spec)) - {"category", "activity"})
        if bad:
            msg = f"{where('states', name, bad[0])}: unknown key; expected category, activity."
            raise ConfigError(msg)
        category = spec.get("category")
        if category not in CATEGORIES:
            msg = (
                f"{where('states', name, 'category')}: {category!r} is not a category; "
                f"expected one of {list(CATEGORIES)}."
            )
            raise ConfigError(msg)
        activity = spec.get("activity") or name.replace("_", " ").capitalize()
        states.append(State(name, str(category), str(activity)))
    missing = [
        c
        for c in ("new", "resolved", "closed")
        if c not in {s.category for s in states}
    ]
    if missing:
        msg = f"{where('states')}: no state of category {missing}; every machine needs them."
        raise ConfigError(msg)
    acts = [s.activity for s in states]
    dup = sorted({a for a in acts if acts.count(a) > 1})
    if dup:
        msg = f"{where('states')}: two states write the same activity {dup[0]!r}."
        raise ConfigError(msg)
    return tuple(states)


def _parse_transitions(
    raw: object, names: list[str], where: _Where
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(raw, Mapping):
        msg = (
            f"{where('transitions')}: give a mapping state -> [states it may move to]."
        )
        raise ConfigError(msg)
    out: list[tuple[str, tuple[str, ...]]] = []
    for source, targets in raw.items():
        source = str(source)
        if source not in names:
            msg = f"{where('transitions', source)}: unknown state {source!r}; states: {names}."
            raise ConfigError(msg)
        if not isinstance(targets, list):
            msg = f"{where('transitions', source)}: expected a list of states."
            raise ConfigError(msg)
        for i, t in enumerate(targets):
            if t not in names:
                msg = (
                    f"{where('transitions', source, str(i))}: unknown state {t!r}; "
                    f"states: {names}."
                )
                raise ConfigError(msg)
        out.append((source, tuple(str(t) for t in targets)))
    return tuple(out)


def _parse_activities(raw: object, where: _Where) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, Mapping):
        msg = f"{where('activities')}: expected a mapping role -> activity name."
        raise ConfigError(msg)
    acts = dict(_DEFAULT_ACTIVITIES)
    for key, value in raw.items():
        key = str(key)
        if key not in _ACTIVITY_KEYS:
            hint = (
                " (resolved and closed are the activities of the states of those categories)"
                if key in ROLES
                else ""
            )
            msg = f"{where('activities', key)}: unknown key; expected {list(_ACTIVITY_KEYS)}{hint}."
            raise ConfigError(msg)
        if not isinstance(value, str) or not value.strip():
            msg = (
                f"{where('activities', key)}: expected an activity name, got {value!r}."
            )
            raise ConfigError(msg)
        acts[key] = value
    if "{field}" not in acts["changed"]:
        msg = f"{where('activities', 'changed')}: must contain '{{field}}'."
        raise ConfigError(msg)
    return tuple(acts.items())


def load_state_machine(path: PathLike | None = None) -> StateMachine:
    """Read a state machine YAML file (``None``: the default one).

    Raises
    ------
    ConfigError
        The file is missing or malformed (the message names the line).
    """
    p = Path(path) if path is not None else DEFAULT_STATE_MACHINE
    if not p.is_file():
        msg = f"state machine {str(p)!r} does not exist (or is not a file)."
        raise ConfigError(msg)
    return parse_state_machine(
        p.read_text(encoding="utf-8"), source=str(p) if path is not None else "default"
    )


@functools.cache
def default_state_machine() -> StateMachine:
    """The default state machine (``servops/service/statemachine.yaml``), parsed once.

    Every ticket operation without a ``machine`` uses it; the machine is immutable.
    """
    return load_state_machine(None)
