r"""Versioned configuration the admins edit: SLA policies with calendars, routing, state machine.

Each kind is a YAML text stored append-only in ``config_versions`` (a new row per save,
never edited); the newest row of a kind is the one in force. Texts are validated with the
parsers the service uses at start (no second parser):

* ``sla``: a KPI config (:func:`servops.kpi.config.config_from_dict`, the one ``servops
  sla -c`` and ``servops serve --sla-config`` read): ``sla`` policies and ``calendars``;
* ``routing``: :meth:`servops.service.routing.RoutingConfig.from_yaml`;
* ``statemachine``: :func:`servops.service.statemachine.parse_state_machine`.

Errors name the line (``… (sla, line 12): …``). A state machine that drops a state some
ticket is still in is refused, naming the state and how many tickets are in it.

Examples
--------
>>> validate("routing", "strategy: round_robin\n").strategy
'round_robin'
>>> validate("routing", "strategy: fastest\n")  # doctest: +ELLIPSIS
Traceback (most recent call last):
servops.errors.ConfigError: strategy (config, line 1): unknown strategy 'fastest'...
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

from servops.errors import ConfigError, ConflictError, InvalidParameterError

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from servops.kpi.config import KpiConfig
    from servops.service.models import ConfigVersion
    from servops.service.timers import TimerConfig

__all__ = [
    "KINDS",
    "Kind",
    "VersionInfo",
    "check_kind",
    "check_stranded",
    "current",
    "diff",
    "history",
    "latest_id",
    "live_timer_config",
    "parse_sla",
    "save",
    "tick_config",
    "validate",
]

Kind = Literal["sla", "routing", "statemachine"]
KINDS: tuple[Kind, ...] = get_args(Kind)
MAX_TEXT = 100_000


def check_kind(kind: str) -> Kind:
    """``kind`` if it is one of :data:`KINDS`."""
    if kind not in KINDS:
        msg = f"config kind {kind!r} is unknown; expected one of {', '.join(KINDS)}."
        raise InvalidParameterError(msg)
    return kind


def parse_sla(text: str) -> KpiConfig:
    """A KPI/SLA config from YAML text, errors located by line (as ``load_config`` does)."""
    from servops._yaml import parse_yaml
    from servops.kpi.config import config_from_dict

    doc = parse_yaml(text, "sla", what="KPI config")
    data = {} if doc.data is None else doc.data
    try:
        return config_from_dict(data, source=doc.name)
    except ConfigError as exc:
        raise doc.locate(exc) from exc.__cause__


def validate(kind: str, text: str) -> Any:  # noqa: ANN401 - the parsed config of the kind
    """Parse ``text`` as a config of ``kind``; raise :class:`ConfigError` naming the line."""
    k = check_kind(kind)
    if "\x00" in text:
        msg = f"{k}: the text must not contain NUL (\\x00) characters."
        raise ConfigError(msg)
    if len(text) > MAX_TEXT:
        msg = (
            f"{k}: the text has {len(text)} characters; at most {MAX_TEXT} are allowed."
        )
        raise ConfigError(msg)
    if k == "sla":
        return parse_sla(text)
    if k == "routing":
        from servops.service.routing import RoutingConfig

        return RoutingConfig.from_yaml(text)
    from servops.service.statemachine import parse_state_machine

    return parse_state_machine(text, source="statemachine")


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One stored version: id, kind, author, time and the text."""

    id: int
    kind: str
    author_id: int | None
    author: str | None
    created_at: datetime
    content: str

    def to_dict(self, *, content: bool = True) -> dict[str, Any]:
        """JSON-ready form (without the text when ``content`` is False)."""
        d = dataclasses.asdict(self)
        if not content:
            d.pop("content")
        return d


def _info(row: ConfigVersion, author: str | None) -> VersionInfo:
    return VersionInfo(
        id=row.id,
        kind=row.kind,
        author_id=row.author_id,
        author=author,
        created_at=row.created_at,
        content=row.content,
    )


def history(session: Session, kind: str) -> list[VersionInfo]:
    """Every stored version of ``kind``, oldest first, with its author's name."""
    from sqlalchemy import select

    from servops.service.models import ConfigVersion, User

    k = check_kind(kind)
    rows = session.execute(
        select(ConfigVersion, User.name)
        .outerjoin(User, User.id == ConfigVersion.author_id)
        .where(ConfigVersion.kind == k)
        .order_by(ConfigVersion.id)
    ).all()
    return [_info(row, name) for row, name in rows]


def current(session: Session, kind: str) -> VersionInfo | None:
    """The newest stored version of ``kind`` (None: none stored, the start-up config holds)."""
    from sqlalchemy import select

    from servops.service.models import ConfigVersion, User

    k = check_kind(kind)
    hit = session.execute(
        select(ConfigVersion, User.name)
        .outerjoin(User, User.id == ConfigVersion.author_id)
        .where(ConfigVersion.kind == k)
        .order_by(ConfigVersion.id.desc())
        .limit(1)
    ).first()
    return None if hit is None else _info(hit[0], hit[1])


def latest_id(session: Session, kind: str) -> int | None:
    """The id of the newest version of ``kind`` (one indexed query; None: none stored)."""
    from sqlalchemy import func, select

    from servops.service.models import ConfigVersion

    return session.scalar(
        select(func.max(ConfigVersion.id)).where(ConfigVersion.kind == check_kind(kind))
    )


def diff(session: Session, kind: str, version_id: int) -> str:
    """A unified diff from the version before ``version_id`` (empty text if first) to it."""
    versions = history(session, kind)
    for i, v in enumerate(versions):
        if v.id == version_id:
            before = versions[i - 1] if i else None
            return "".join(
                difflib.unified_diff(
                    (before.content if before else "").splitlines(keepends=True),
                    v.content.splitlines(keepends=True),
                    fromfile=f"{kind} v{before.id}" if before else f"{kind} (none)",
                    tofile=f"{kind} v{v.id}",
                )
            )
    msg = f"{kind} version {version_id} does not exist."
    raise InvalidParameterError(msg)


def check_stranded(session: Session, text: str) -> None:
    """Refuse a state machine without a state some ticket is in (name it, count them)."""
    from sqlalchemy import func, select

    from servops.service.models import Ticket

    machine = validate("statemachine", text)
    keep = {s.name for s in machine.states}
    rows = session.execute(
        select(Ticket.state, func.count())
        .where(Ticket.state.not_in(sorted(keep)))
        .group_by(Ticket.state)
        .order_by(Ticket.state)
    ).all()
    if rows:
        lost = "; ".join(f"state {s!r} has {n} ticket(s)" for s, n in rows)
        msg = (
            f"statemachine: the new version removes states tickets are still in ({lost}); "
            "move those tickets to another state first or keep the state."
        )
        raise ConflictError(msg)


def save(session: Session, kind: str, text: str, author_id: int | None) -> VersionInfo:
    """Validate ``text`` and store it as the newest version of ``kind``; the caller commits.

    Raises
    ------
    ConfigError
        The text is not a valid config of ``kind`` (the message names the line).
    ConflictError
        A state machine would strand tickets in a state it removes.
    """
    from servops.service.models import ConfigVersion, User

    k = check_kind(kind)
    parsed = validate(k, text)
    if k == "statemachine":
        check_stranded(session, text)
    if k == "routing":
        from servops.service.experiments import check_groups

        check_groups(session, parsed.experiments)
    row = ConfigVersion(kind=k, content=text, author_id=author_id)
    session.add(row)
    session.flush()
    session.refresh(row)
    author = None if author_id is None else session.get(User, author_id)
    return _info(row, None if author is None else author.name)


_TIMER_CACHE: dict[tuple[int, int], TimerConfig] = {}


def live_timer_config(
    session: Session, base: TimerConfig
) -> tuple[TimerConfig, int | None]:
    """The timer config in force: ``base`` with the newest stored SLA version's policies.

    Returns the config and the SLA version id it uses (None: no version stored, ``base``).
    Activity roles, pauses and escalation stay those of ``base`` (the state machine's);
    the policies, calendars and time zone come from the stored text. Cached by version id.
    """
    vid = latest_id(session, "sla")
    if vid is None:
        return base, None
    key = (id(base), vid)
    hit = _TIMER_CACHE.get(key)
    if hit is None:
        from servops.service.models import ConfigVersion

        row = session.get(ConfigVersion, vid)
        text = "" if row is None else row.content
        kpi = parse_sla(text)
        hit = dataclasses.replace(
            base,
            kpi=dataclasses.replace(
                base.kpi,
                policies=kpi.policies,
                calendars=kpi.calendars,
                timezone=kpi.timezone,
                segment=kpi.segment,
            ),
        )
        if len(_TIMER_CACHE) > 32:
            _TIMER_CACHE.clear()
        _TIMER_CACHE[key] = hit
    return hit, vid


_APPLIED: dict[int, int | None] = {}


def tick_config(session: Session, base: TimerConfig) -> TimerConfig:
    """The timer config for a worker tick; re-targets open clocks when the SLA version changed.

    When the newest SLA version differs from the one this process's last tick with ``base``
    used, every ticket with a running or paused clock is synced again with the new config
    (:func:`servops.service.timers.sync_ticket`: the clocks are replayed from the ticket's
    events, so the business time elapsed so far is kept and only the targets change, as
    after a priority change). The version counts as applied once the tick's transaction
    commits. The first tick of a process re-targets when a stored version exists (a
    re-sync is idempotent).
    """
    from sqlalchemy import event as sa_event
    from sqlalchemy import select

    from servops.service.models import SlaTimer
    from servops.service.timers import sync_ticket

    cfg, vid = live_timer_config(session, base)
    key = id(base)
    if key in _APPLIED and _APPLIED[key] == vid:
        return cfg
    if key not in _APPLIED and vid is None:
        _APPLIED[key] = None
        return cfg
    ids = session.scalars(
        select(SlaTimer.ticket_id)
        .where(SlaTimer.stage.in_(("running", "paused")))
        .distinct()
        .order_by(SlaTimer.ticket_id)
    ).all()
    for ticket_id in ids:
        sync_ticket(session, ticket_id, cfg)

    def applied(_session: Session) -> None:
        _APPLIED[key] = vid

    sa_event.listen(session, "after_commit", applied, once=True)
    return cfg
