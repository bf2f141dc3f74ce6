"""The events table: appending chained events, and reading it as a servops event log.

Every ticket operation appends one row to ``events`` in its own transaction
(:func:`append_event`): the ticket's next ``seq``, its chain hash (:mod:`servops.service.
audit`), who did it and in which role. :func:`read_service_log` reads the table straight
into an :class:`~servops.EventLog` — PostgreSQL → Arrow (ADBC driver) → DuckDB, no export —
with the case id the ticket number and the ticket's channel, priority, category, group,
organisation and custom attributes as case attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from servops.errors import ConflictError, InvalidParameterError
from servops.service.audit import APPEND_LOCK, canonical_payload, event_hash

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlalchemy.orm import Session

    from servops.log import EventLog
    from servops.service.models import Event, Ticket, User

__all__ = [
    "SYSTEM",
    "Actor",
    "append_event",
    "events_arrow",
    "is_service_url",
    "read_service_log",
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
    from sqlalchemy import select, text
    from sqlalchemy.orm.exc import StaleDataError

    from servops.service.models import Event
    from servops.service.models import Ticket as TicketRow

    if at.tzinfo is None:
        msg = f"event time {at!r} has no time zone; give an aware UTC datetime."
        raise InvalidParameterError(msg)
    number = ticket.number
    try:
        session.flush()
    except StaleDataError as exc:
        msg = (
            f"ticket {number} was changed by someone else meanwhile; reload it "
            "and try again."
        )
        raise ConflictError(msg) from exc
    session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": APPEND_LOCK})
    session.execute(
        select(TicketRow.id).where(TicketRow.id == ticket.id).with_for_update()
    )
    last = session.execute(
        select(Event.seq, Event.hash)
        .where(Event.ticket_id == ticket.id)
        .order_by(Event.seq.desc())
        .limit(1)
    ).first()
    seq, prev = (1, "") if last is None else (int(last[0]) + 1, str(last[1]))
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
    session.add(row)
    session.flush()
    return row


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


def _events_table(url: str) -> tuple[pa.Table, list[str]]:
    import adbc_driver_postgresql.dbapi as adbc  # type: ignore[import-untyped]

    from servops.service.db import libpq_url

    with adbc.connect(libpq_url(url)) as con, con.cursor() as cur:
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
    return table, notes


def read_service_log(url: str) -> EventLog:
    """The live service's events as an :class:`~servops.EventLog` (case = ticket).

    Parameters
    ----------
    url
        The service database, ``postgresql://user:password@host:port/database``.

    Raises
    ------
    LogSchemaError
        The service has no events yet.
    """
    from servops.io import ColumnMap
    from servops.log.read import read_log

    table, notes = _events_table(url)
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
    return log.with_meta(
        source=f"service {url.rpartition('@')[2]}", notes=(*log.meta.notes, *notes)
    )
