"""Ticket operations: create, update fields, comment, transition, import history.

Each operation changes its rows and appends its event (:func:`servops.service.events.
append_event`) in the caller's session; the caller commits, so the change and its event
are one transaction. Times come from ``now`` (injectable; default the UTC wall clock).
Nothing here checks access: the API layer decides who may call what.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from servops.errors import (
    ConflictError,
    InvalidParameterError,
    NotFoundError,
    PermissionDeniedError,
)
from servops.service.audit import APPEND_LOCK, canonical_payload, event_hash
from servops.service.config_store import live_state_machine
from servops.service.events import (
    EVENT_COLUMNS,
    SYSTEM,
    Actor,
    append_event,
    new_ticket,
    utcnow,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import pyarrow as pa
    from sqlalchemy.orm import Session
    from sqlalchemy.sql.dml import ReturningInsert

    from servops.log import EventLog
    from servops.service.models import Comment, Ticket
    from servops.service.statemachine import StateMachine

__all__ = [
    "SYSTEM",
    "UPDATABLE",
    "Actor",
    "ImportResult",
    "add_comment",
    "assign",
    "create_ticket",
    "get_ticket",
    "import_log",
    "transition",
    "update_ticket",
]

#: Ticket fields that :func:`update_ticket` changes (each change is one event).
UPDATABLE = (
    "subject",
    "text",
    "channel",
    "priority",
    "category",
    "customer_id",
    "organisation_id",
    "group_id",
    "assignee_id",
    "attributes",
)


def _now(now: Callable[[], datetime] | None) -> datetime:
    t = (now or utcnow)()
    if t.tzinfo is None:
        msg = f"the clock gave {t!r} without a time zone; give aware UTC datetimes."
        raise InvalidParameterError(msg)
    return t.astimezone(UTC)


def get_ticket(session: Session, ref: str | int, *, lock: bool = False) -> Ticket:
    """The ticket with number ``ref`` (``"T-000001"``) or id ``ref``.

    Raises
    ------
    NotFoundError
        No such ticket.
    """
    from sqlalchemy import select

    from servops.service.models import Ticket

    q = select(Ticket).where(
        Ticket.id == ref if isinstance(ref, int) else Ticket.number == ref
    )
    if lock:
        q = q.with_for_update()
    ticket = session.execute(q).scalar_one_or_none()
    if ticket is None:
        msg = f"no ticket {ref!r}."
        raise NotFoundError(msg)
    return ticket


@functools.cache
def _insert_ticket() -> ReturningInsert[Any]:
    """``INSERT INTO tickets … ON CONFLICT DO NOTHING RETURNING id, number`` (built once)."""
    from sqlalchemy import Table
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    from servops.service.models import Ticket

    table = Ticket.__table__
    assert isinstance(table, Table)
    return (
        pg_insert(table).on_conflict_do_nothing().returning(table.c.id, table.c.number)
    )


@functools.cache
def _insert_numbered() -> ReturningInsert[Any]:
    """:func:`_insert_ticket` taking its id from the sequence in the same statement.

    ``INSERT INTO tickets SELECT n.id, coalesce(:number, 'T-' || <id in 6 digits>), …
    FROM (SELECT nextval('tickets_id_seq')) AS n``: one round trip fewer than asking for
    the id first. The number is ``T-`` and the id as ``f"T-{id:06d}"`` writes it (more
    digits from a million on).
    """
    from sqlalchemy import Table, Text, bindparam, case, cast, func, literal, select
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    from servops.service.models import Ticket

    table = Ticket.__table__
    assert isinstance(table, Table)
    n = select(func.nextval("tickets_id_seq").label("id")).subquery("n")
    digits = cast(n.c.id, Text)
    number = func.coalesce(
        bindparam("number", type_=table.c.number.type),
        literal("T-")
        + case((n.c.id < 1_000_000, func.lpad(digits, 6, "0")), else_=digits),
    )
    rest = [c for c in table.c if c.name not in ("id", "number")]
    values = select(n.c.id, number, *(bindparam(c.name, type_=c.type) for c in rest))
    return (
        pg_insert(table)
        .from_select(["id", "number", *(c.name for c in rest)], values)
        .on_conflict_do_nothing()
        .returning(table.c.id, table.c.number)
    )


def create_ticket(
    session: Session,
    *,
    subject: str,
    actor: Actor = SYSTEM,
    text: str = "",
    channel: str | None = None,
    priority: str | None = None,
    category: str | None = None,
    customer_id: int | None = None,
    organisation_id: int | None = None,
    group_id: int | None = None,
    assignee_id: int | None = None,
    attributes: Mapping[str, Any] | None = None,
    dedup_key: str | None = None,
    number: str | None = None,
    machine: StateMachine | None = None,
    now: Callable[[], datetime] | None = None,
) -> Ticket:
    """Create a ticket in the machine's initial state and write its ``created`` event.

    The number is ``T-`` and the id in six digits unless ``number`` is given.

    Raises
    ------
    InvalidParameterError
        An empty subject.
    ConflictError
        ``number`` or ``dedup_key`` exists already.
    """
    from sqlalchemy import func, select
    from sqlalchemy.orm import make_transient_to_detached

    from servops.service.experiments import assign_new_ticket, running_experiments
    from servops.service.models import Ticket
    from servops.service.routing import TicketFacts

    if not subject or not subject.strip():
        msg = "The 'subject' parameter of create_ticket must be a non-empty text. Got '' instead."
        raise InvalidParameterError(msg)
    machine = machine or live_state_machine(session)
    at = _now(now)
    experiments = running_experiments(
        session,
        TicketFacts(
            subject, text, category, channel, priority, organisation_id, customer_id
        ),
        at,
    )
    tid: int | None = None
    if experiments:  # A/B arms hash the number: it is needed before the INSERT
        tid = int(session.execute(select(func.nextval("tickets_id_seq"))).scalar_one())
        number = number or f"T-{tid:06d}"
        arms, ab_group = assign_new_ticket(session, experiments, number)
        attributes = {**dict(attributes or {}), **arms}
        group_id = ab_group if group_id is None else group_id
    row: dict[str, Any] = {
        "id": tid,
        "number": number,
        "subject": subject,
        "text": text,
        "channel": channel,
        "priority": priority,
        "category": category,
        "customer_id": customer_id,
        "organisation_id": organisation_id,
        "group_id": group_id,
        "assignee_id": assignee_id,
        "state": machine.initial,
        "attributes": canonical_payload(dict(attributes or {})),
        "dedup_key": dedup_key,
        "created_at": at,
        "updated_at": at,
        "version": 1,
    }
    # one Core INSERT (no savepoint, no unit of work; the id from the sequence in it
    # unless known); a clash with an existing number or dedup key inserts nothing and
    # leaves the transaction usable
    if tid is None:
        del row["id"]
        inserted = session.execute(_insert_numbered(), row).first()
    else:
        inserted = session.execute(_insert_ticket(), row).first()
    if inserted is None:
        taken = dedup_key is not None and (
            session.scalar(select(Ticket.id).where(Ticket.dedup_key == dedup_key))
            is not None
        )
        what = (
            f"dedup key {dedup_key!r}"
            if taken
            else f"number {number!r}"
            if number is not None
            else "the number made from the next id"
        )
        msg = f"a ticket with {what} exists already."
        raise ConflictError(msg)
    tid = int(inserted[0])
    row["id"], row["number"] = tid, str(inserted[1])
    # the row as a persistent object of the session (later changes are UPDATEs)
    ticket = Ticket(**row)
    make_transient_to_detached(ticket)
    session.add(ticket)
    new_ticket(session, tid)
    after = {
        f: getattr(ticket, f)
        for f in UPDATABLE
        if getattr(ticket, f) not in (None, "", {})
    }
    after["state"] = ticket.state
    append_event(
        session,
        ticket,
        machine.activity("created"),
        actor=actor,
        at=at,
        payload={"after": after},
    )
    return ticket


def _check_version(ticket: Ticket, expected_version: int | None) -> None:
    if expected_version is not None and ticket.version != expected_version:
        msg = (
            f"ticket {ticket.number} is at version {ticket.version}, not "
            f"{expected_version}: someone changed it meanwhile; reload it and try again."
        )
        raise ConflictError(msg)


def _flush(session: Session, ticket: Ticket) -> None:
    from sqlalchemy.orm.exc import StaleDataError

    number = ticket.number
    try:
        session.flush()
    except StaleDataError as exc:
        msg = f"ticket {number} was changed by someone else meanwhile; reload it and try again."
        raise ConflictError(msg) from exc


def update_ticket(
    session: Session,
    ticket: Ticket,
    changes: Mapping[str, Any],
    *,
    actor: Actor = SYSTEM,
    expected_version: int | None = None,
    machine: StateMachine | None = None,
    now: Callable[[], datetime] | None = None,
) -> list[str]:
    """Change ticket fields; one ``<Field> changed`` event per field that changes.

    Returns the fields that changed (values equal to the current ones are no change).

    Raises
    ------
    InvalidParameterError
        A field that is not in :data:`UPDATABLE` (``state`` changes by :func:`transition`).
    ConflictError
        ``expected_version`` is not the ticket's version.
    """
    bad = sorted(set(changes) - set(UPDATABLE))
    if bad:
        hint = " (use transition for the state)" if "state" in bad else ""
        msg = (
            f"cannot update ticket field(s) {bad}; updatable: {list(UPDATABLE)}{hint}."
        )
        raise InvalidParameterError(msg)
    _check_version(ticket, expected_version)
    machine = machine or live_state_machine(session)
    at = _now(now)
    changed: list[tuple[str, Any, Any]] = []
    for field in UPDATABLE:
        if field not in changes:
            continue
        new = changes[field]
        if field == "attributes":
            new = canonical_payload(dict(new or {}))
        old = getattr(ticket, field)
        if new == old:
            continue
        setattr(ticket, field, new)
        changed.append((field, old, new))
    if changed:
        ticket.updated_at = at  # with the fields: one UPDATE of the row
        for field, old, new in changed:
            append_event(
                session,
                ticket,
                machine.field_activity(field),
                actor=actor,
                at=at,
                payload={"field": field, "before": old, "after": new},
            )
        _flush(session, ticket)
    return [field for field, _, _ in changed]


def assign(
    session: Session,
    ticket: Ticket,
    assignee_id: int | None,
    *,
    actor: Actor = SYSTEM,
    expected_version: int | None = None,
    machine: StateMachine | None = None,
    now: Callable[[], datetime] | None = None,
) -> bool:
    """Assign the ticket to ``assignee_id`` (``None``: unassign).

    Its event is ``Assignee changed``. Returns whether the assignee changed.
    """
    return bool(
        update_ticket(
            session,
            ticket,
            {"assignee_id": assignee_id},
            actor=actor,
            expected_version=expected_version,
            machine=machine,
            now=now,
        )
    )


def add_comment(
    session: Session,
    ticket: Ticket,
    body: str,
    *,
    actor: Actor,
    public: bool = True,
    machine: StateMachine | None = None,
    now: Callable[[], datetime] | None = None,
) -> Comment:
    """Add a comment and its event.

    The activity: a public comment by staff is ``first_response`` (the KPI's first
    response is the first of them), by the customer ``customer``; an internal note is
    ``internal``.

    Raises
    ------
    PermissionDeniedError
        A customer writing an internal note.
    InvalidParameterError
        An empty body.
    """
    from servops.service.models import Comment

    if not body or not body.strip():
        msg = "The 'body' parameter of add_comment must be a non-empty text. Got '' instead."
        raise InvalidParameterError(msg)
    if not public and not actor.staff:
        msg = "customers cannot write internal notes."
        raise PermissionDeniedError(msg)
    machine = machine or live_state_machine(session)
    at = _now(now)
    comment = Comment(
        ticket_id=ticket.id, author_id=actor.id, public=public, body=body, created_at=at
    )
    session.add(comment)
    session.flush()
    role = (
        "internal" if not public else ("first_response" if actor.staff else "customer")
    )
    append_event(
        session,
        ticket,
        machine.activity(role),
        actor=actor,
        at=at,
        payload={"comment_id": comment.id, "public": public, "length": len(body)},
    )
    return comment


def transition(
    session: Session,
    ticket: Ticket,
    target: str,
    *,
    actor: Actor = SYSTEM,
    expected_version: int | None = None,
    machine: StateMachine | None = None,
    now: Callable[[], datetime] | None = None,
) -> str:
    """Move the ticket to state ``target`` if the state machine allows it.

    Returns the activity written (the target state's, or ``reopened``).

    Raises
    ------
    ConflictError
        Not allowed from the current state, or a stale ``expected_version``.
    """
    machine = machine or live_state_machine(session)
    _check_version(ticket, expected_version)
    activity = machine.check(ticket.state, target)
    at = _now(now)
    before = ticket.state
    ticket.state = target
    ticket.updated_at = at
    append_event(
        session,
        ticket,
        activity,
        actor=actor,
        at=at,
        payload={"field": "state", "before": before, "after": target},
    )
    _flush(session, ticket)
    return activity


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What :func:`import_log` wrote."""

    tickets: int
    events: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"tickets": self.tickets, "events": self.events, "seconds": self.seconds}


_KNOWN = {"channel", "priority", "category"}
_IMPORTED = {"imported": True}
_IMPORTED_JSON = json.dumps(_IMPORTED)
_TICKET_COLS = (
    "id",
    "number",
    "subject",
    "text",
    "channel",
    "priority",
    "category",
    "state",
    "attributes",
    "created_at",
    "updated_at",
)


def _present(value: object) -> bool:
    """Whether an attribute value is there (not None, not a float NaN)."""
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def import_log(
    url: str,
    log: EventLog,
    *,
    machine: StateMachine | None = None,
    batch: int = 5_000,
) -> ImportResult:
    """Bulk-import a log's history: each case becomes a ticket with its chained events.

    Every event of the log (``events`` level: start and complete rows as they are) is
    written with its activity, time, resource and lifecycle, in time order per case; the
    ticket number is the case id. Case attributes named ``channel``, ``priority`` or
    ``category`` fill those ticket fields, the other attributes (the first value per case)
    go into the ticket's ``attributes``. The ticket's state is the state whose activity
    came last in the case, else the initial state. Events carry the role ``system`` and
    the payload ``{"imported": true}``.

    Raises
    ------
    ConflictError
        A case id is already a ticket number (nothing is written).
    """
    import io
    import time

    from pg8000.exceptions import (
        DatabaseError as DriverError,  # the COPY runs on the driver's connection
    )
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from servops.service.db import make_engine, server_message, sqlstate

    t0 = time.perf_counter()
    attrs = [a for a in log.attributes if a not in ("state",)]
    cols = ", ".join(f'"{a}"' for a in attrs)
    rel = log.query(
        "SELECT case_id, activity, timestamp, start_timestamp, resource, lifecycle"
        + (f", {cols}" if cols else "")
        + " FROM events ORDER BY case_id, timestamp, event_index"
    )
    engine = make_engine(url)
    if machine is None:  # the state machine in force in that database
        from sqlalchemy.orm import Session

        with Session(engine) as sm_session:
            machine = live_state_machine(sm_session)
    state_of = {s.activity: s.name for s in machine.states}
    n_tickets = n_events = 0
    reader: pa.RecordBatchReader | None = None
    try:
        with engine.begin() as con:
            con.execute(
                text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": APPEND_LOCK}
            )
            reader = rel.to_arrow_reader(batch)
            current: str | None = None
            tick: dict[str, Any] = {}
            events: list[dict[str, Any]] = []
            prev = ""
            seq = 0
            pending_t: list[dict[str, Any]] = []
            pending_e: list[dict[str, Any]] = []

            raw = con.connection.driver_connection
            assert raw is not None

            def flush() -> None:
                if not pending_t:
                    return
                ids = con.execute(
                    text(
                        "SELECT nextval('tickets_id_seq') FROM generate_series(1, :n)"
                    ),
                    {"n": len(pending_t)},
                ).scalars()
                by_number: dict[str, int] = {}
                for tid, t in zip(ids, pending_t, strict=True):
                    by_number[t["number"]] = int(tid)
                    t["id"] = int(tid)
                    t["attributes"] = json.dumps(t["attributes"], ensure_ascii=False)
                for e in pending_e:
                    e["ticket_id"] = by_number[e["_number"]]
                cur = raw.cursor()
                try:
                    for table, cols, rows in (
                        ("tickets", _TICKET_COLS, pending_t),
                        ("events", EVENT_COLUMNS, pending_e),
                    ):
                        cur.execute(
                            f"COPY {table} ({', '.join(cols)}) FROM STDIN",
                            stream=io.BytesIO(_copy_text(rows, cols)),
                        )
                finally:
                    cur.close()
                pending_t.clear()
                pending_e.clear()

            def close_case() -> None:
                nonlocal n_tickets
                if current is None:
                    return
                state = machine.initial
                for e in events:
                    state = state_of.get(e["activity"], state)
                tick["state"] = state
                tick["updated_at"] = (
                    events[-1]["occurred_at"] if events else tick["created_at"]
                )
                pending_t.append(dict(tick))
                pending_e.extend(events)
                n_tickets += 1
                if len(pending_e) >= batch:
                    flush()

            for rb in reader:
                for row in rb.to_pylist():
                    case = str(row["case_id"])
                    if case != current:
                        close_case()
                        current, prev, seq, events = case, "", 0, []
                        extra = {
                            a: row[a]
                            for a in attrs
                            if a not in _KNOWN and _present(row.get(a))
                        }
                        tick = {
                            "number": case,
                            "subject": f"Imported case {case}",
                            "text": "",
                            "channel": _text(row.get("channel")),
                            "priority": _text(row.get("priority")),
                            "category": _text(row.get("category")),
                            "attributes": canonical_payload(extra),
                            "created_at": _utc(row["timestamp"]),
                        }
                    lifecycle = row["lifecycle"]
                    steps = [(_utc(row["timestamp"]), lifecycle or "complete")]
                    if lifecycle is None and row["start_timestamp"] is not None:
                        steps.insert(0, (_utc(row["start_timestamp"]), "start"))
                    for at, lc in steps:
                        seq += 1
                        h = event_hash(
                            prev,
                            ticket=case,
                            seq=seq,
                            occurred_at=at,
                            activity=row["activity"],
                            resource=row["resource"],
                            actor_id=None,
                            role="system",
                            lifecycle=lc,
                            payload=_IMPORTED,
                        )
                        events.append(
                            {
                                "_number": case,
                                "seq": seq,
                                "occurred_at": at,
                                "activity": row["activity"],
                                "resource": row["resource"],
                                "actor_id": None,
                                "role": "system",
                                "lifecycle": lc,
                                "payload": _IMPORTED_JSON,
                                "prev_hash": prev,
                                "hash": h,
                            }
                        )
                        prev = h
                        n_events += 1
            close_case()
            flush()
    except (IntegrityError, DriverError) as exc:
        if isinstance(exc, DriverError) and sqlstate(exc) != "23505":
            raise  # from the COPY: only a unique violation is a clash of numbers
        msg = (
            f"importing {log.label}: a case id is already a ticket number in the "
            f"service ({server_message(exc).splitlines()[0]}); nothing was imported."
        )
        raise ConflictError(msg) from exc
    finally:
        if reader is not None:  # DuckDB refuses new queries while a result is open
            reader.close()
        engine.dispose()
    return ImportResult(n_tickets, n_events, time.perf_counter() - t0)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _copy_text(rows: list[dict[str, Any]], cols: tuple[str, ...]) -> bytes:
    r"""``rows`` (their ``cols``, in order) as PostgreSQL ``COPY ... FROM STDIN`` text.

    ``None`` is ``\N``; datetimes are ISO 8601 with their offset; backslash, tab, newline
    and carriage return in text are escaped, so any value reaches the column unchanged.

    >>> t = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    >>> _copy_text([{"a": 1, "b": "x\ty\\z", "c": None, "d": t}], ("a", "b", "c", "d"))
    b'1\tx\\ty\\\\z\t\\N\t2026-01-02T03:04:05+00:00\n'
    """
    out: list[str] = []
    for row in rows:
        fields = []
        for c in cols:
            v = row[c]
            if v is None:
                fields.append("\\N")
            elif isinstance(v, datetime):
                fields.append(v.isoformat())
            else:
                fields.append(str(v).translate(_COPY_ESCAPES))
        out.append("\t".join(fields))
    out.append("")
    return "\n".join(out).encode()


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
