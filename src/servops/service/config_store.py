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

**What goes live when.** Every kind applies to the next request, in every process of the
service (several uvicorn workers, the background worker), without a restart:

* ``statemachine``: :func:`live_state_machine` gives the newest stored version (or the
  packaged default) to every ticket operation, queue, wallboard and the SLA timers' pause
  and stop roles; the newest version ids are read once per transaction (by the pool's
  pre-ping with the ``BEGIN``, else one query: :func:`latest_ids`), and each version's
  text is parsed once per process;
* ``sla``: :func:`live_timer_config` for each ticket written; open clocks are re-targeted at
  the worker's next tick (:func:`tick_config`), also after a new state machine;
* ``routing``: read by the next routed ticket.

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
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast, get_args

from servops.errors import ConfigError, ConflictError, InvalidParameterError

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import ColumnElement
    from sqlalchemy.orm import Session

    from servops.kpi.config import KpiConfig
    from servops.service.models import ConfigVersion
    from servops.service.statemachine import StateMachine
    from servops.service.timers import TimerConfig

__all__ = [
    "ACTIVE_WEBHOOKS",
    "BEGIN_SQL",
    "KINDS",
    "LATEST_SQL",
    "Kind",
    "VersionInfo",
    "active_webhooks_at_begin",
    "check_kind",
    "check_stranded",
    "current",
    "database_of",
    "diff",
    "history",
    "keep_latest_ids",
    "latest_id",
    "latest_ids",
    "latest_ids_column",
    "live_state_machine",
    "live_timer_config",
    "machine_of_version",
    "parse_sla",
    "save",
    "tick_config",
    "validate",
    "versions_at_begin",
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


#: The newest version id of every kind in one statement; plain driver SQL (no statement
#: compilation: about 0.17 ms of CPU against 0.75 ms for the ORM select,
#: ``bench_statemachine_live.py``). The table holds one row per saved version: a handful.
LATEST_SQL = "SELECT kind, max(id) FROM config_versions GROUP BY kind"
_SESSION_LATEST = "servops_latest_versions"
#: The row of :data:`BEGIN_SQL` counting the active webhooks (not a config kind).
ACTIVE_WEBHOOKS = "(active webhooks)"
#: What the pool's pre-ping asks with the BEGIN (:func:`servops.service.db.
#: versions_at_begin`): the newest version ids, and how many webhooks are active (the
#: webhook outbox asks for them at every commit unless there are none).
BEGIN_SQL = (
    f"{LATEST_SQL} UNION ALL "
    f"SELECT '{ACTIVE_WEBHOOKS}', count(*) FROM webhooks WHERE active"
)
_SESSION_WEBHOOKS = "servops_active_webhooks"


def _keep(session: Session, key: str, value: object) -> None:
    """Keep ``value`` in ``session.info`` for the session's current transaction.

    The transaction is held by a weak reference: a strong one would make session ->
    info -> transaction -> session a reference cycle, about 40 objects a request (the
    session, its transaction, connection and event dispatchers) that only the cyclic
    garbage collector frees, in pauses that were the service's slowest requests.
    """
    tx = session.get_transaction()
    session.info[key] = (None if tx is None else weakref.ref(tx), value)


def _kept(session: Session, key: str) -> tuple[bool, object]:
    """``(True, value)`` if :func:`_keep` kept ``key`` in this transaction, else ``(False, None)``."""
    tx = session.get_transaction()
    kept = session.info.get(key)
    if tx is None or kept is None or kept[0] is None or kept[0]() is not tx:
        return False, None
    return True, kept[1]


def latest_ids(session: Session) -> dict[str, int]:
    """The id of the newest version of each stored kind (kinds never saved are absent).

    Asked once per transaction of ``session``: a write asks for the state machine and for
    the SLA version, and both read this answer (kept in ``session.info`` until the
    transaction ends; :func:`save` forgets it). On a connection the pool has just
    checked out, the answer is the one its pre-ping read with the transaction's
    ``BEGIN`` (:func:`servops.service.db.versions_at_begin`: no statement of its own,
    read after the request began as the query would be); otherwise it is one query.
    """
    found, ids = _kept(session, _SESSION_LATEST)
    if found:
        return cast("dict[str, int]", ids)
    got = versions_at_begin(session)
    if got is None:
        rows = session.connection().exec_driver_sql(LATEST_SQL).all()
        got = {str(kind): int(vid) for kind, vid in rows}
    _keep(session, _SESSION_LATEST, got)
    return got


def versions_at_begin(session: Session) -> dict[str, int] | None:
    """The version ids the connection's pre-ping read, kept as :func:`latest_ids`' answer.

    ``None`` when the transaction has run a statement since its connection was checked
    out, or the pool did not ping it (then a statement must ask, as
    :func:`latest_ids_column` does). Checks the connection out if the session has none.
    """
    from servops.service.db import versions_at_begin as taken

    raw = session.connection().connection.dbapi_connection
    ids = None if raw is None else taken(raw)
    if ids is None:
        return None
    _keep(session, _SESSION_WEBHOOKS, ids.pop(ACTIVE_WEBHOOKS, None))
    _keep(session, _SESSION_LATEST, ids)
    return ids


def active_webhooks_at_begin(session: Session) -> int | None:
    """How many webhooks were active when the transaction began (its pre-ping read).

    ``None`` unless :func:`versions_at_begin` took the pre-ping's answer in the
    session's current transaction.
    """
    found, n = _kept(session, _SESSION_WEBHOOKS)
    return n if found and isinstance(n, int) else None


#: :data:`LATEST_SQL` as one JSON value (``{kind: id}``, NULL with none stored), for a
#: statement that reads something else first (:func:`latest_ids_column`).
_LATEST_JSON = (
    "(SELECT json_object_agg(v.kind, v.id) FROM "
    "(SELECT kind, max(id) AS id FROM config_versions GROUP BY kind) AS v)"
)


def latest_ids_column() -> ColumnElement[Any]:
    """A column giving :func:`latest_ids`' answer, for a transaction's first statement.

    Added to the statement a request starts with (its ticket's row, say), it saves the
    transaction the round trip of asking separately; hand the value to
    :func:`keep_latest_ids`. Read in the transaction like the separate query, it applies
    the versions stored before it as that does.
    """
    from sqlalchemy import literal_column
    from sqlalchemy.types import JSON

    return literal_column(_LATEST_JSON, JSON).label("servops_latest_ids")


def keep_latest_ids(session: Session, value: object) -> None:
    """Keep a :func:`latest_ids_column` value as this transaction's :func:`latest_ids`.

    An answer the transaction already has stays (its reads agree with each other).
    """
    if session.get_transaction() is None or _kept(session, _SESSION_LATEST)[0]:
        return
    got = value if isinstance(value, dict) else {}
    _keep(session, _SESSION_LATEST, {str(k): int(v) for k, v in got.items()})


def latest_id(session: Session, kind: str) -> int | None:
    """The id of the newest version of ``kind`` (None: none stored); see :func:`latest_ids`."""
    return latest_ids(session).get(check_kind(kind))


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
        # no ticket moves while the check runs and the version is stored: a transition
        # still in flight is waited for (then counted); later ones wait for the commit
        session.connection().exec_driver_sql("LOCK TABLE tickets IN SHARE MODE")
        check_stranded(session, text)
    if k == "routing":
        from servops.service.experiments import check_groups

        check_groups(session, parsed.experiments)
    row = ConfigVersion(kind=k, content=text, author_id=author_id)
    session.add(row)
    session.flush()
    session.refresh(row)
    # this transaction's later reads see the new version
    session.info.pop(_SESSION_LATEST, None)
    session.info.pop(_SESSION_MACHINE, None)
    author = None if author_id is None else session.get(User, author_id)
    return _info(row, None if author is None else author.name)


_MACHINES: dict[tuple[str, int], StateMachine] = {}
_SESSION_MACHINE = "servops_state_machine"


def database_of(url: object) -> str:
    """``host:port/database`` of a database URL (text or SQLAlchemy URL): a cache key part.

    Version ids are per database: two databases used by one process (tests, ``servops
    kpi --service`` on two URLs) must not share parsed versions.
    """
    from sqlalchemy.engine import make_url

    u = make_url(str(url)) if isinstance(url, str) else url
    return f"{getattr(u, 'host', '')}:{getattr(u, 'port', '')}/{getattr(u, 'database', '')}"


def _database(session: Session) -> str:
    return database_of(session.get_bind().engine.url)


def machine_of_version(
    database: str, version_id: int | None, text: str | None
) -> StateMachine:
    """The state machine of a stored version's text (``None``: the packaged default).

    Parsed once per process, database (:func:`database_of`) and version id (about 10 ms
    a parse); the text is only needed when the version is not cached yet, so callers may
    pass ``None`` for a cached one.
    """
    from servops.service.statemachine import default_state_machine, parse_state_machine

    if version_id is None:
        return default_state_machine()
    hit = _MACHINES.get((database, version_id))
    if hit is None:
        if text is None:
            msg = f"statemachine version {version_id} does not exist."
            raise InvalidParameterError(msg)
        hit = parse_state_machine(text, source=f"statemachine v{version_id}")
        if len(_MACHINES) > 32:
            _MACHINES.clear()
        _MACHINES[database, version_id] = hit
    return hit


def _machine_of_version(session: Session, version_id: int | None) -> StateMachine:
    database = _database(session)
    if version_id is None or (database, version_id) in _MACHINES:
        return machine_of_version(database, version_id, None)
    from sqlalchemy import select

    from servops.service.models import ConfigVersion

    text = session.scalar(
        select(ConfigVersion.content).where(ConfigVersion.id == version_id)
    )
    return machine_of_version(database, version_id, text)


def live_state_machine(session: Session) -> StateMachine:
    """The state machine in force: the newest stored version, else the packaged default.

    Every ticket operation, queue, wallboard, SLA timer and live-log KPI takes its states,
    transitions and activity roles from here, so a version saved by any process applies to
    the next transaction of every process. Cost: :func:`latest_ids` once per transaction
    of ``session`` (the answer is kept in ``session.info`` until the transaction ends);
    a version's text is parsed once per process (about 10 ms).

    Examples
    --------
    ``machine = live_state_machine(session); machine.allowed(ticket.state)``
    """
    found, kept = _kept(session, _SESSION_MACHINE)
    if found:
        return cast("StateMachine", kept)
    machine = _machine_of_version(session, latest_id(session, "statemachine"))
    _keep(session, _SESSION_MACHINE, machine)
    return machine


def _with_roles(kpi: KpiConfig, machine: StateMachine) -> KpiConfig:
    """``kpi`` with the activity roles and pauses of ``machine`` (the timers' definition)."""
    roles = machine.kpi_config()
    return dataclasses.replace(
        kpi,
        first_response=roles.first_response,
        resolved=roles.resolved,
        closed=roles.closed,
        reopened=roles.reopened,
        customer=roles.customer,
        pauses=roles.pauses,
    )


_TIMER_CACHE: dict[tuple[int, str, int | None, str], TimerConfig] = {}


def live_timer_config(
    session: Session, base: TimerConfig
) -> tuple[TimerConfig, tuple[int | None, str]]:
    """The timer config in force: ``base`` with the stored SLA policies and machine roles.

    Returns the config and the versions it uses: the SLA version id (None: no version
    stored, the policies of ``base``) and the state machine's source (``default`` or
    ``statemachine v<id>``). The policies, calendars and time zone come from the newest
    stored SLA text; the activity roles and pauses from :func:`live_state_machine` (so a
    new state machine's pending states pause the clocks); escalation stays that of
    ``base``. Cached by version ids.
    """
    vid = latest_id(session, "sla")
    machine = live_state_machine(session)
    versions = (vid, machine.source)
    if vid is None and machine.source == "default":
        return base, versions
    key = (id(base), _database(session), vid, machine.source)
    hit = _TIMER_CACHE.get(key)
    if hit is None:
        kpi = base.kpi
        if vid is not None:
            from sqlalchemy import select

            from servops.service.models import ConfigVersion

            text = session.scalar(
                select(ConfigVersion.content).where(ConfigVersion.id == vid)
            )
            sla = parse_sla(text or "")
            kpi = dataclasses.replace(
                kpi,
                policies=sla.policies,
                calendars=sla.calendars,
                timezone=sla.timezone,
                segment=sla.segment,
            )
        hit = dataclasses.replace(base, kpi=_with_roles(kpi, machine))
        if len(_TIMER_CACHE) > 32:
            _TIMER_CACHE.clear()
        _TIMER_CACHE[key] = hit
    return hit, versions


_APPLIED: dict[tuple[int, str], tuple[int | None, str]] = {}


def tick_config(session: Session, base: TimerConfig) -> TimerConfig:
    """The timer config for a worker tick; re-targets open clocks when a version changed.

    When the newest SLA or state-machine version differs from the one this process's last
    tick with ``base`` used, every ticket with a running or paused clock is synced again
    with the new config (:func:`servops.service.timers.sync_ticket`: the clocks are
    replayed from the ticket's events, so the business time elapsed so far is kept and
    only the targets, and with a new state machine the pauses, change, as after a
    priority change). The versions count as applied once the tick's transaction commits.
    The first tick of a process re-targets when a stored version exists (a re-sync is
    idempotent).
    """
    from sqlalchemy import event as sa_event
    from sqlalchemy import select

    from servops.service.models import SlaTimer
    from servops.service.timers import sync_ticket

    cfg, versions = live_timer_config(session, base)
    key = (id(base), _database(session))
    if key in _APPLIED and _APPLIED[key] == versions:
        return cfg
    if key not in _APPLIED and versions == (None, "default"):
        _APPLIED[key] = versions
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
        _APPLIED[key] = versions

    sa_event.listen(session, "after_commit", applied, once=True)
    return cfg
