r"""A/B experiments in the live service: a share of new tickets goes to variant B.

Experiments live in the routing configuration (the versioned ``routing`` YAML, parsed by
:meth:`servops.service.routing.RoutingConfig.from_yaml`, errors naming the line)::

    experiments:
      - name: new_triage        # letters, digits, _; the ticket attribute is ab_new_triage
        share: 0.3              # share of matching new tickets assigned to B (0 to 1)
        salt: 5b0e8f0c3d1a4e7f  # a random text of 16+ characters (admins only read it)
        when: {category: [billing]}   # optional: the routing rules' conditions
        group: Billing B        # optional: B tickets without a group go to this group
        start: 2026-12-01       # optional, UTC; active from start (inclusive) ...
        end: 2027-01-01         # ... to end (exclusive)

When a ticket is created, each active experiment whose ``when`` matches it (the same
matching as routing rules, :meth:`~servops.service.routing.Rule.matches`) assigns ``A`` or
``B`` by an HMAC-SHA-256 of the experiment name and the ticket number keyed with the salt:
reproducible (:func:`arm` recomputes it), not guessable without the salt. The arm is stored
as the ticket attribute ``ab_<name>``, so it is a case attribute of the event log
(:func:`servops.service.events.read_service_log`) that
:func:`servops.improve.ab_test` takes as its variant column. A B ticket created without a
group is put into the experiment's ``group`` (the first such experiment wins); routing then
assigns an agent there as usual.

Examples
--------
>>> e = Experiment(name="x", share=0.3, salt="s" * 16)
>>> arm(e, "T-000001") == arm(e, "T-000001")
True
>>> sum(arm(e, f"T-{i:06d}") == "B" for i in range(10_000))
3050
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, Literal

from servops.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from servops.service.routing import TicketFacts

__all__ = [
    "Experiment",
    "arm",
    "assign_new_ticket",
    "check_groups",
    "parse_experiments",
    "running_experiments",
]

_log = logging.getLogger(__name__)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,47}")
_KEYS = ("name", "share", "salt", "when", "group", "start", "end")
MIN_SALT = 16


@dataclass(frozen=True)
class Experiment:
    """One experiment of the routing config."""

    name: str
    share: float
    salt: str
    when: Mapping[str, Any] = field(default_factory=dict)
    group: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    @property
    def attribute(self) -> str:
        """The ticket attribute holding the arm: ``ab_<name>``."""
        return f"ab_{self.name}"

    def active(self, at: datetime) -> bool:
        """Whether ``at`` is within [start, end)."""
        return (self.start is None or self.start <= at) and (
            self.end is None or at < self.end
        )

    def matches(self, facts: TicketFacts) -> bool:
        """Whether the ``when`` conditions hold (routing rules' matching)."""
        from servops.service.routing import Rule

        rule = Rule(id=0, position=0, name=self.name, conditions=self.when, group_id=0)
        return rule.matches(facts)


def arm(experiment: Experiment, number: str) -> Literal["A", "B"]:
    """``"B"`` when the keyed hash of name and ticket number falls below the share."""
    mac = hmac.new(
        experiment.salt.encode(),
        f"{experiment.name}\x00{number}".encode(),
        hashlib.sha256,
    ).digest()
    u = int.from_bytes(mac[:8], "big") / 2.0**64
    return "B" if u < experiment.share else "A"


def _when(value: object, where: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            msg = f"{where}: expected an ISO date or time, got {value!r}."
            raise ConfigError(msg) from None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    msg = f"{where}: expected an ISO date or time, got {value!r}."
    raise ConfigError(msg)


def _one(i: int, d: object, seen: set[str]) -> Experiment:
    from servops.service.routing import check_conditions

    where = f"experiments[{i}]"
    if not isinstance(d, Mapping):
        msg = f"{where}: expected a mapping with name, share, salt, got {d!r}."
        raise ConfigError(msg)
    name = d.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        msg = (
            f"{where}.name: expected a name of letters, digits and _ (starting with a "
            f"letter, at most 48), got {name!r}."
        )
        raise ConfigError(msg)
    where = f"{where} ({name})"
    unknown = sorted(set(d) - set(_KEYS))
    if unknown:
        msg = f"{where}: unknown keys {unknown}; expected {', '.join(_KEYS)}."
        raise ConfigError(msg)
    if name in seen:
        msg = f"{where}.name: the experiment {name!r} is defined twice."
        raise ConfigError(msg)
    seen.add(name)
    share = d.get("share")
    if (
        isinstance(share, bool)
        or not isinstance(share, int | float)
        or not 0 <= share <= 1
    ):
        msg = f"{where}.share: expected a share of new tickets from 0 to 1, got {share!r}."
        raise ConfigError(msg)
    salt = d.get("salt")
    if not isinstance(salt, str) or len(salt) < MIN_SALT:
        msg = (
            f"{where}.salt: expected a random text of at least {MIN_SALT} characters "
            "(e.g. python -c 'import secrets; print(secrets.token_hex(16))')."
        )
        raise ConfigError(msg)
    when = check_conditions(d.get("when") or {}, f"{where}.when")
    group = d.get("group")
    if group is not None and (not isinstance(group, str) or not group.strip()):
        msg = f"{where}.group: expected a group name, got {group!r}."
        raise ConfigError(msg)
    start = _when(d.get("start"), f"{where}.start")
    end = _when(d.get("end"), f"{where}.end")
    if start is not None and end is not None and end <= start:
        msg = f"{where}.end: the end {end.isoformat()} is not after the start {start.isoformat()}."
        raise ConfigError(msg)
    return Experiment(
        name=name,
        share=float(share),
        salt=salt,
        when=when,
        group=group,
        start=start,
        end=end,
    )


def parse_experiments(value: object) -> tuple[Experiment, ...]:
    """Validate the ``experiments`` list of the routing config."""
    if value is None:
        return ()
    if not isinstance(value, list):
        msg = f"experiments: expected a list of experiments, got {value!r}."
        raise ConfigError(msg)
    seen: set[str] = set()
    return tuple(_one(i, d, seen) for i, d in enumerate(value))


def running_experiments(
    session: Session, facts: TicketFacts, at: datetime
) -> tuple[Experiment, ...]:
    """The experiments a ticket created at ``at`` takes part in: active, ``when`` matching.

    From the routing config in force (:func:`servops.service.routing.
    load_routing_config`: parsed once per process and version, no statement of its own).
    """
    from servops.service.routing import load_routing_config

    return tuple(
        e
        for e in load_routing_config(session).experiments
        if e.active(at) and e.matches(facts)
    )


def assign_new_ticket(
    session: Session, experiments: tuple[Experiment, ...], number: str
) -> tuple[dict[str, str], int | None]:
    """The arms of a ticket being created (``{ab_<name>: A|B}``) and the B group id.

    ``experiments`` are those it takes part in (:func:`running_experiments`). The group
    id is that of the first experiment assigning B that names a group (None when none
    does). A group name missing from the database is logged and skipped (the ticket is
    routed by the rules instead); :func:`check_groups` refuses such a config on save.
    """
    arms: dict[str, str] = {}
    group: str | None = None
    for e in experiments:
        arms[e.attribute] = arm(e, number)
        if arms[e.attribute] == "B" and group is None:
            group = e.group
    return arms, None if group is None else _group_id(session, group)


def _group_id(session: Session, name: str) -> int | None:
    from sqlalchemy import select

    from servops.service.models import Group

    gid = session.scalar(select(Group.id).where(Group.name == name))
    if gid is None:
        _log.warning("experiment group %r does not exist; routing by the rules", name)
    return gid


def check_groups(session: Session, experiments: tuple[Experiment, ...]) -> None:
    """Refuse experiments naming groups that do not exist (naming them)."""
    from sqlalchemy import select

    from servops.service.models import Group

    wanted = {e.group for e in experiments if e.group is not None}
    if not wanted:
        return
    have = set(session.scalars(select(Group.name).where(Group.name.in_(wanted))))
    missing = [
        f"{e.name}: {e.group!r}" for e in experiments if e.group not in have | {None}
    ]
    if missing:
        msg = f"routing: experiment groups do not exist ({'; '.join(missing)}); create them first."
        raise ConfigError(msg)
