"""The events table: appending chained events, and reading it as a servops event log.

Every ticket operation appends one row to ``events`` in its own transaction
(:func:`append_event`): the ticket's next ``seq``, its chain hash (:mod:`servops.service.
audit`), who did it and in which role. :func:`read_service_log` reads the table straight
into an :class:`~servops.EventLog` — PostgreSQL → Arrow (ADBC driver) → DuckDB, no export —
with the case id the ticket number and the ticket's channel, priority, category, group,
organisation and custom attributes as case attributes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from servops.errors import ConflictError, InvalidParameterError
from servops.service.audit import APPEND_LOCK, canonical_payload, event_hash

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlalchemy.orm import Session
    from sqlalchemy.sql.dml import ReturningInsert

    from servops.kpi.config import KpiConfig
    from servops.log import EventLog
    from servops.service.models import Event, Ticket, User
    from servops.service.statemachine import StateMachine

__all__ = [
    "SYSTEM",
    "Actor",
    "append_event",
    "appended_events",
    "chain_head",
    "created_here",
    "events_arrow",
    "is_service_log",
    "is_service_url",
    "lock_ticket",
    "new_ticket",
    "read_service_log",
    "service_kpi_config",
    "service_kpi_yaml",
    "service_state_machine",
]

ROLES = ("customer", "agent", "supervisor", "admin", "system")
#: Ticket columns read as case attributes of the log, with their column names.
CASE_ATTRIBUTES = (
    ("t.channel", "channel"),
    ("t.priority", "priority"),
    ("t.category", "category"),
    ("g.name", "group"),
    ("o.name", "organisation"),
    ("t.state", "state"),
)
_MAX_CUSTOM = 64


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change: a user (``id``, role, name) or the system.

    ``name`` becomes the event's resource in the log.
    """

    id: int | None
    role: str
    name: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            msg = f"The 'role' parameter of Actor must be one of {list(ROLES)}. Got {self.role!r} instead."
            raise InvalidParameterError(msg)

    @classmethod
    def of(cls, user: User) -> Actor:
        """The actor for a user row."""
        return cls(user.id, user.role, user.name)

    @property
    def staff(self) -> bool:
        """Whether the actor works the tickets (agent, supervisor, admin) or is the system."""
        return self.role != "customer"


SYSTEM = Actor(None, "system", None)


def utcnow() -> datetime:
    """The current UTC instant (the default clock)."""
    return datetime.now(UTC)


def append_event(
    session: Session,
    ticket: Ticket,
    activity: str,
    *,
    actor: Actor,
    at: datetime,
    payload: dict[str, Any] | None = None,
    lifecycle: str = "complete",
) -> Event:
    """Append the ticket's next event, chained to its previous one (same transaction).

    The ticket's row is locked (``FOR UPDATE``) until the transaction ends, so concurrent
    changes of one ticket get consecutive ``seq`` numbers and an unbroken chain.
    """
    from sqlalchemy import select
    from sqlalchemy.orm import make_transient_to_detached
    from sqlalchemy.orm.exc import StaleDataError

    from servops.service.models import Event

    if at.tzinfo is None:
        msg = f"event time {at!r} has no time zone; give an aware UTC datetime."
        raise InvalidParameterError(msg)
    number = ticket.number
    chain = _chain(session)
    # an UPDATE of the ticket's row in this flush locks the row as FOR UPDATE would
    updating = ticket in session.dirty and session.is_modified(ticket)
    try:
        session.flush()
    except StaleDataError as exc:
        msg = (
            f"ticket {number} was changed by someone else meanwhile; reload it "
            "and try again."
        )
        raise ConflictError(msg) from exc
    if updating:
        chain.locked.add(ticket.id)
    head = chain.heads.get(ticket.id)
    if head is None:
        lock_ticket(session, ticket.id)
        last = session.execute(
            select(Event.seq, Event.hash)
            .where(Event.ticket_id == ticket.id)
            .order_by(Event.seq.desc())
            .limit(1)
        ).first()
        head = (0, "") if last is None else (int(last[0]), str(last[1]))
    seq, prev = head[0] + 1, head[1]
    body = canonical_payload(payload)
    at = at.astimezone(UTC)
    row = Event(
        ticket_id=ticket.id,
        seq=seq,
        occurred_at=at,
        activity=activity,
        resource=actor.name,
        actor_id=actor.id,
        role=actor.role,
        lifecycle=lifecycle,
        payload=body,
        prev_hash=prev,
        hash=event_hash(
            prev,
            ticket=ticket.number,
            seq=seq,
            occurred_at=at,
            activity=activity,
            resource=actor.name,
            actor_id=actor.id,
            role=actor.role,
            lifecycle=lifecycle,
            payload=body,
        ),
    )
    # INSERT … RETURNING id, then the row joins the session as if loaded: the unit of
    # work (a flush of one pending object) costs more than the statement itself
    # the transaction's first append also takes the append lock (shared; an audit
    # checkpoint takes it exclusively), in the same statement before the id is drawn
    row.id = int(
        session.execute(
            _insert_event(lock=not chain.append_lock), _columns_of(row)
        ).scalar_one()
    )
    chain.append_lock = True
    make_transient_to_detached(row)
    session.add(row)
    chain.heads[ticket.id] = (seq, row.hash)
    appended = session.info.get(_APPENDED)
    if appended is None:
        appended = session.info[_APPENDED] = []
    appended.append(row)
    return row


_APPENDED = "servops_appended_events"
#: The columns an event row is written with (``id`` comes from the sequence).
EVENT_COLUMNS = (
    "ticket_id",
    "seq",
    "occurred_at",
    "activity",
    "resource",
    "actor_id",
    "role",
    "lifecycle",
    "payload",
    "prev_hash",
    "hash",
)


@functools.cache
def _insert_event(*, lock: bool) -> ReturningInsert[Any]:
    """``INSERT INTO events (…) VALUES (…) RETURNING id`` (built once).

    With ``lock``, ``INSERT INTO events (…) SELECT :values FROM (SELECT
    pg_advisory_xact_lock_shared(APPEND_LOCK)) RETURNING id``: the statement takes the
    append lock before its row (and its id from the sequence) is made, so an event whose
    id is below a checkpoint's ``last_event_id`` never commits after the checkpoint, as
    with a separate ``SELECT pg_advisory_xact_lock_shared`` first, one round trip fewer.
    """
    from sqlalchemy import Table, bindparam, func, insert, select

    from servops.service.models import Event

    table = Event.__table__
    assert isinstance(table, Table)
    if not lock:
        return insert(table).returning(table.c.id)
    held = select(func.pg_advisory_xact_lock_shared(APPEND_LOCK)).subquery(
        "append_lock"
    )
    values = select(
        *(bindparam(c, type_=table.c[c].type) for c in EVENT_COLUMNS)
    ).select_from(held)
    return insert(table).from_select(list(EVENT_COLUMNS), values).returning(table.c.id)


def _columns_of(row: Event) -> dict[str, Any]:
    return {k: getattr(row, k) for k in EVENT_COLUMNS}


def appended_events(session: Session) -> list[Event]:
    """The events :func:`append_event` appended in the session's transaction, in order.

    Forgotten at commit and at rollback; the commit hooks (SLA timers, webhook outbox)
    read them just before the commit.
    """
    out = session.info.get(_APPENDED)
    return list(out) if out else []


def _forget_appended(session: Session, *_: object) -> None:
    session.info.pop(_APPENDED, None)


@dataclass(slots=True)
class _Chain:
    """What this transaction holds: the append lock, ticket row locks, chain heads.

    While a transaction holds a ticket's row lock nobody else appends to its chain, so
    the head it wrote last is the head; the lock and the head need not be asked for
    again. Forgotten at commit and at any rollback (a savepoint's too).
    """

    append_lock: bool = False
    locked: set[int] = field(default_factory=set)
    heads: dict[int, tuple[int, str]] = field(default_factory=dict)
    created: set[int] = field(default_factory=set)


_CHAIN = "servops_chain"


def _forget_chain(session: Session, *_: object) -> None:
    session.info.pop(_CHAIN, None)


@functools.cache
def _listen_for_transaction_ends() -> None:
    """Forget the chain and the appended events at every session's commit and rollback.

    Listened for on the ``Session`` class, once per process, not on each session: four
    listeners on a session instance built it an event collection of its own, and
    registry entries, on every write.
    """
    from sqlalchemy import event as sa_event
    from sqlalchemy.orm import Session as SessionClass

    sa_event.listen(SessionClass, "after_commit", _forget_chain)
    sa_event.listen(SessionClass, "after_soft_rollback", _forget_chain)
    sa_event.listen(SessionClass, "after_commit", _forget_appended)
    sa_event.listen(SessionClass, "after_rollback", _forget_appended)


def _chain(session: Session) -> _Chain:
    chain = session.info.get(_CHAIN)
    if chain is None:
        _listen_for_transaction_ends()
        chain = session.info[_CHAIN] = _Chain()
    assert isinstance(chain, _Chain)
    return chain


def lock_ticket(session: Session, ticket_id: int) -> None:
    """Lock the ticket's row (``FOR UPDATE``) until the transaction ends (once per transaction)."""
    from sqlalchemy import select

    from servops.service.models import Ticket as TicketRow

    chain = _chain(session)
    if ticket_id in chain.locked:
        return
    session.execute(
        select(TicketRow.id).where(TicketRow.id == ticket_id).with_for_update()
    )
    chain.locked.add(ticket_id)


def new_ticket(session: Session, ticket_id: int) -> None:
    """Note a ticket inserted by this transaction: no one else sees it, its chain is empty."""
    chain = _chain(session)
    chain.locked.add(ticket_id)
    chain.heads[ticket_id] = (0, "")
    chain.created.add(ticket_id)


def chain_head(session: Session, ticket_id: int) -> tuple[int, str] | None:
    """The ``seq`` and hash of the ticket's last event as this transaction knows it.

    ``None`` unless this transaction locked the ticket and read or wrote its head (since
    its last commit or rollback, a savepoint's included).
    """
    chain = session.info.get(_CHAIN)
    if not isinstance(chain, _Chain):
        return None
    return chain.heads.get(ticket_id)


def created_here(session: Session, ticket_id: int, *, forget: bool = False) -> bool:
    """Whether this transaction inserted the ticket (``forget``: and stop saying so)."""
    chain = session.info.get(_CHAIN)
    if not isinstance(chain, _Chain) or ticket_id not in chain.created:
        return False
    if forget:
        chain.created.discard(ticket_id)
    return True


def is_service_url(spec: object) -> bool:
    """Whether ``spec`` names a live service database (a ``postgresql://`` URL).

    >>> is_service_url("postgresql://u@localhost/servops"), is_service_url("log.csv")
    (True, False)
    """
    return isinstance(spec, str) and spec.split("://")[0].split("+")[0] in (
        "postgresql",
        "postgres",
    )


def _custom_keys(cur: Any) -> tuple[list[str], list[str]]:  # noqa: ANN401 - ADBC cursor
    """The custom attribute keys read as columns, and the notes on those left out."""
    cur.execute(
        "SELECT k FROM (SELECT DISTINCT jsonb_object_keys(attributes) AS k FROM tickets) s "
        f"ORDER BY k LIMIT {_MAX_CUSTOM + 1}"
    )
    keys = [str(r[0]) for r in cur.fetchall()]
    # DuckDB column names ignore case: a custom "Priority" would clash with "priority"
    taken = {name for _, name in CASE_ATTRIBUTES} | {
        "case_id",
        "activity",
        "timestamp",
        "start_timestamp",
        "resource",
        "lifecycle",
        "role",
    }
    out: list[str] = []
    notes: list[str] = []
    for k in keys[:_MAX_CUSTOM]:
        folded = k.replace('"', "").lower()
        if folded and folded not in taken:
            taken.add(folded)
            out.append(k)
        else:
            notes.append(
                f"custom ticket attribute {k!r} left out: its name clashes with a log "
                "column or another attribute"
            )
    if len(keys) > _MAX_CUSTOM:
        notes.append(f"only the first {_MAX_CUSTOM} custom ticket attributes are read")
    return out, notes


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def events_arrow(url: str) -> pa.Table:
    """The events table with ticket attributes, as one Arrow table (ADBC, no export).

    Columns: ``case_id`` (ticket number), ``activity``, ``timestamp`` (UTC), ``resource``,
    ``lifecycle``, ``role``, the ticket's ``channel``, ``priority``, ``category``,
    ``group``, ``organisation`` and ``state``, and each key of the tickets' custom
    ``attributes`` (text; at most 64 keys).
    """
    return _events_table(url)[0]


def _events_table(url: str) -> tuple[pa.Table, list[str], StateMachine]:
    """The events, notes on what was left out, and the state machine in force.

    The machine is read on the same connection just before the events: the newest stored
    ``statemachine`` version, else the packaged default.
    """
    import adbc_driver_postgresql.dbapi as adbc  # type: ignore[import-untyped]

    from servops.service.config_store import database_of, machine_of_version
    from servops.service.db import libpq_url

    with adbc.connect(libpq_url(url)) as con, con.cursor() as cur:
        cur.execute(
            "SELECT id, content FROM config_versions WHERE kind = 'statemachine' "
            "ORDER BY id DESC LIMIT 1"
        )
        row = cur.fetchone()
        vid, text = row if row else (None, None)
        machine = machine_of_version(database_of(url), vid, text)
        custom, notes = _custom_keys(cur)
        cols = [
            "t.number AS case_id",
            "e.activity",
            "e.occurred_at AS timestamp",
            "e.resource",
            "e.lifecycle",
            "e.role",
            *(f'{expr} AS "{name}"' for expr, name in CASE_ATTRIBUTES),
            *(
                f't.attributes ->> {_sql_literal(k)} AS "{k.replace(chr(34), "")}"'
                for k in custom
            ),
        ]
        cur.execute(
            f"SELECT {', '.join(cols)} FROM events e JOIN tickets t ON t.id = e.ticket_id "
            "LEFT JOIN groups g ON g.id = t.group_id "
            "LEFT JOIN organisations o ON o.id = t.organisation_id "
            "ORDER BY e.ticket_id, e.seq"
        )
        table: pa.Table = cur.fetch_arrow_table()
    return table, notes, machine


#: How the ``source`` of a log read from the service begins (``service host:port/db``).
SERVICE_SOURCE = "service "


def is_service_log(log: EventLog) -> bool:
    """Whether ``log`` was read from the live service (:func:`read_service_log`)."""
    return log.meta.source.startswith(SERVICE_SOURCE)


#: The state machine in force when a service log was last read, by the log's source.
_READ_MACHINES: dict[str, StateMachine] = {}


def service_state_machine(spec: EventLog | str) -> StateMachine:
    """The service's state machine: for a log read from it, the one in force at the read.

    ``spec`` is a log from :func:`read_service_log` (the machine read with its events), or
    a service database URL (the state machine in force there now,
    :func:`servops.service.config_store.live_state_machine`). The packaged default for a
    log not read from the service.
    """
    from servops.service.statemachine import default_state_machine

    if isinstance(spec, str):
        from sqlalchemy.orm import Session

        from servops.service.config_store import live_state_machine
        from servops.service.db import make_engine

        engine = make_engine(spec, pool_size=1)
        try:
            with Session(engine) as session:
                return live_state_machine(session)
        finally:
            engine.dispose()
    return _READ_MACHINES.get(spec.meta.source) or default_state_machine()


def service_kpi_config(machine: StateMachine | None = None) -> KpiConfig:
    """The KPI config of the service's event log: its state machine's activity roles.

    ``machine``: the state machine in force (:func:`service_state_machine`; default the
    packaged one). The log commands (``servops kpi``, ``sla``, ``why``, ``report``) use
    it for a log read from the service when no ``-c`` config is given, with the machine
    stored in the service when the log was read, so ``servops kpi --service URL`` reads
    the live log as the SLA timers do
    (:meth:`~servops.service.statemachine.StateMachine.kpi_config`). In Python::

        log = so.open_log(url)
        so.kpi.compute_kpis(log, service_kpi_config(service_state_machine(log)))
    """
    from dataclasses import replace

    from servops.service.statemachine import default_state_machine

    cfg = (machine or default_state_machine()).kpi_config()
    return replace(
        cfg,
        notes=(
            *cfg.notes,
            f"activity roles from the work-order service's {cfg.source}",
        ),
    )


def service_kpi_yaml(machine: StateMachine | None = None) -> str:
    """:func:`service_kpi_config` as a KPI config YAML (``servops kpi -c`` reads it).

    Examples
    --------
    >>> print(service_kpi_yaml().splitlines()[2])
      first_response: [Agent replied]
    """
    import yaml

    from servops.kpi.config import ROLES

    cfg = service_kpi_config(machine)
    doc = {
        "activities": {r: list(getattr(cfg, r)) for r in ROLES if getattr(cfg, r)},
        "pauses": [
            {"start": list(p.start), **({"end": list(p.end)} if p.end else {})}
            for p in cfg.pauses
        ],
    }
    head = f"# KPI roles of the servops work-order service ({cfg.source})\n"
    return head + yaml.safe_dump(
        doc, sort_keys=False, allow_unicode=True, default_flow_style=None
    )


def read_service_log(url: str) -> EventLog:
    """The live service's events as an :class:`~servops.EventLog` (case = ticket).

    Parameters
    ----------
    url
        The service database, ``postgresql://user:password@host:port/database``.

    Returns
    -------
    EventLog
        Its :attr:`~servops.EventLog.default_config` is :func:`service_kpi_config` of
        the state machine in force at the read, so ``so.kpi.compute_kpis(log)`` (and
        every analysis given no config) takes the roles ``servops kpi --service`` takes.

    Raises
    ------
    LogSchemaError
        The service has no events yet.
    """
    from servops.io import ColumnMap
    from servops.log.read import read_log

    table, notes, machine = _events_table(url)
    if table.num_rows == 0:
        from servops.errors import LogSchemaError

        host = url.rpartition("@")[2]
        msg = f"the service database {host} has no events yet: create or import tickets first."
        raise LogSchemaError(msg)
    log = read_log(
        table,
        columns=ColumnMap(
            case_id="case_id",
            activity="activity",
            timestamp="timestamp",
            resource="resource",
            lifecycle="lifecycle",
        ),
    )
    source = f"{SERVICE_SOURCE}{url.rpartition('@')[2]}"
    _READ_MACHINES[source] = machine
    # the state machine's roles travel with the log (and its filters), so the Python
    # API's KPIs without a config are the CLI's: servops.kpi.load_config uses them
    return log.with_meta(
        source=source, notes=(*log.meta.notes, *notes)
    ).with_default_config(service_kpi_config(machine))
