r"""Tamper-evident audit: per-ticket hash chains, signed checkpoints, verification.

Every event row carries ``hash = SHA-256(prev_hash + "\n" + canonical JSON of the
event)``, where ``prev_hash`` is the hash of the ticket's previous event (``""`` for the
first) and the canonical JSON holds the ticket number, seq, time, activity, resource, actor,
role, lifecycle and payload (sorted keys, no spaces, UTF-8). Editing, removing, reordering
or inserting an event breaks the chain of its ticket from that event on.

A forger who recomputes the chain after an edit, or removes a ticket's newest events, is
caught by the checkpoints: each signs (HMAC-SHA256 with a key kept in the service's data
directory) the head (last seq and hash) of every ticket's chain over the events up to
``last_event_id``. :func:`verify` recomputes every chain and every checkpoint and names the
first break.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from servops.errors import InvalidParameterError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

__all__ = [
    "AuditReport",
    "Break",
    "canonical_payload",
    "checkpoint",
    "checkpoint_if_due",
    "event_hash",
    "load_key",
    "verify",
]

KEY_FILE = "audit.key"
#: pg_advisory_xact_lock key: appenders take it shared, a checkpoint exclusively.
APPEND_LOCK = 0x5E2F0176


def load_key(path: Path | str, *, create: bool = True) -> bytes:
    """The checkpoint signing key in ``path`` (32 random bytes, hex; mode 0600).

    A missing file is created when ``create`` (the service's first start).

    Raises
    ------
    InvalidParameterError
        The file is missing and ``create`` is false, or does not hold a hex key.
    """
    p = Path(path)
    if not p.exists():
        if not create:
            msg = f"{p}: no audit key. Checkpoints are signed with the key of the service's data directory; give --key-file."
            raise InvalidParameterError(msg)
        p.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    try:
        key = bytes.fromhex(p.read_text().strip())
    except ValueError as exc:
        msg = f"{p}: the audit key must be hex digits."
        raise InvalidParameterError(msg) from exc
    if len(key) < 16:
        msg = f"{p}: the audit key is {len(key)} bytes; expected at least 16."
        raise InvalidParameterError(msg)
    return key


def _plain(value: Any, where: str) -> Any:  # noqa: ANN401 - any JSON value
    """``value`` as PostgreSQL's jsonb gives it back (so hashes survive the round trip)."""
    if isinstance(value, str):
        if "\x00" in value:
            msg = f"event payload {where}: text with a NUL character (jsonb cannot hold it)."
            raise InvalidParameterError(msg)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            msg = (
                f"event payload {where}: text that is not valid Unicode ({exc.reason})."
            )
            raise InvalidParameterError(msg) from exc
        return value
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            msg = f"event payload {where}: {value!r} is not a JSON number."
            raise InvalidParameterError(msg)
        if value == 0:
            return 0.0  # jsonb has no negative zero
        # jsonb prints numbers in plain notation: 1e+16 comes back as the integer
        # 10000000000000000 (the shortest decimal digits, then zeros)
        text = repr(value)
        return int(Decimal(text)) if "e" in text and value.is_integer() else value
    if isinstance(value, Decimal):
        return _plain(float(value), where)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {
            _plain(str(k), f"{where} key"): _plain(v, f"{where}.{k}")
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    msg = f"event payload {where}: {type(value).__name__} is not JSON."
    raise InvalidParameterError(msg)


def canonical_payload(payload: dict[str, Any] | None) -> dict[str, Any]:
    """The payload in the form that is stored and hashed (datetimes as ISO text, …)."""
    out = _plain(payload or {}, "payload")
    assert isinstance(out, dict)
    return out


def _ts(value: datetime) -> str:
    if value.tzinfo is None:
        msg = f"event time {value!r} has no time zone; the service stores UTC instants."
        raise InvalidParameterError(msg)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(
    prev_hash: str,
    *,
    ticket: str,
    seq: int,
    occurred_at: datetime,
    activity: str,
    resource: str | None,
    actor_id: int | None,
    role: str,
    lifecycle: str,
    payload: dict[str, Any],
) -> str:
    """The chain hash of one event (hex SHA-256).

    Examples
    --------
    >>> h = event_hash(
    ...     "",
    ...     ticket="T-000001",
    ...     seq=1,
    ...     occurred_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
    ...     activity="Ticket created",
    ...     resource=None,
    ...     actor_id=None,
    ...     role="system",
    ...     lifecycle="complete",
    ...     payload={},
    ... )
    >>> (
    ...     len(h),
    ...     h
    ...     == event_hash(
    ...         "",
    ...         ticket="T-000001",
    ...         seq=2,
    ...         occurred_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
    ...         activity="Ticket created",
    ...         resource=None,
    ...         actor_id=None,
    ...         role="system",
    ...         lifecycle="complete",
    ...         payload={},
    ...     ),
    ... )
    (64, False)
    """
    body = json.dumps(
        {
            "ticket": ticket,
            "seq": seq,
            "occurred_at": _ts(occurred_at),
            "activity": activity,
            "resource": resource,
            "actor_id": actor_id,
            "role": role,
            "lifecycle": lifecycle,
            "payload": payload,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def _heads_digest(heads: Iterable[tuple[str, int, str]]) -> str:
    h = hashlib.sha256()
    for number, seq, hsh in heads:
        h.update(f"{number}:{seq}:{hsh}\n".encode())
    return h.hexdigest()


def _sign(
    key: bytes,
    *,
    created_at: datetime,
    n_tickets: int,
    n_events: int,
    last_event_id: int,
    digest: str,
) -> str:
    msg = f"{_ts(created_at)}|{n_tickets}|{n_events}|{last_event_id}|{digest}"
    return hmac.new(key, msg.encode(), hashlib.sha256).hexdigest()


_HEADS_SQL = """
    SELECT t.number, e.seq, e.hash
    FROM (SELECT DISTINCT ON (ticket_id) ticket_id, seq, hash FROM events
          WHERE id <= :last ORDER BY ticket_id, seq DESC) e
    JOIN tickets t ON t.id = e.ticket_id
    ORDER BY t.number
"""


@dataclass(frozen=True, slots=True)
class CheckpointResult:
    """A checkpoint just written."""

    id: int
    created_at: datetime
    n_tickets: int
    n_events: int
    last_event_id: int
    heads_digest: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "n_tickets": self.n_tickets,
            "n_events": self.n_events,
            "last_event_id": self.last_event_id,
            "heads_digest": self.heads_digest,
        }


def checkpoint(
    session: Session, key: bytes, *, now: Callable[[], datetime] | None = None
) -> CheckpointResult:
    """Sign the heads of every ticket's chain (in the session's transaction).

    Waits for the transactions that are appending events to finish and holds new ones
    back while it reads (an advisory lock), so no event below ``last_event_id`` can
    commit after it.
    """
    from sqlalchemy import text

    from servops.service.models import AuditCheckpoint

    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": APPEND_LOCK})
    created_at = (now or _utcnow)()
    last = session.execute(text("SELECT coalesce(max(id), 0) FROM events")).scalar_one()
    n_events = session.execute(
        text("SELECT count(*) FROM events WHERE id <= :last"), {"last": last}
    ).scalar_one()
    heads = [
        (str(r[0]), int(r[1]), str(r[2]))
        for r in session.execute(text(_HEADS_SQL), {"last": last})
    ]
    digest = _heads_digest(heads)
    row = AuditCheckpoint(
        created_at=created_at,
        n_tickets=len(heads),
        n_events=int(n_events),
        last_event_id=int(last),
        heads_digest=digest,
        signature=_sign(
            key,
            created_at=created_at,
            n_tickets=len(heads),
            n_events=int(n_events),
            last_event_id=int(last),
            digest=digest,
        ),
    )
    session.add(row)
    session.flush()
    return CheckpointResult(
        row.id, created_at, len(heads), int(n_events), int(last), digest
    )


def checkpoint_if_due(
    session: Session,
    key: bytes,
    *,
    every_s: float = 600,
    now: Callable[[], datetime] | None = None,
) -> CheckpointResult | None:
    """Write a checkpoint when the last one is ``every_s`` seconds old and events came since.

    For the service's periodic work (the worker calls it on its tick); returns ``None``
    when no checkpoint was due.
    """
    from sqlalchemy import text

    clock = now or _utcnow
    last = session.execute(
        text(
            "SELECT created_at, last_event_id FROM audit_checkpoints "
            "ORDER BY id DESC LIMIT 1"
        )
    ).first()
    newest = session.execute(
        text("SELECT coalesce(max(id), 0) FROM events")
    ).scalar_one()
    if last is not None:
        old_enough = (clock() - last[0]).total_seconds() >= every_s
        if not old_enough or newest <= last[1]:
            return None
    elif newest == 0:
        return None
    return checkpoint(session, key, now=clock)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Break:
    """The first place where the audit trail does not verify."""

    kind: str  # "chain" or "checkpoint"
    ticket: str | None
    seq: int | None
    event_id: int | None
    checkpoint_id: int | None
    reason: str

    def __str__(self) -> str:
        if self.kind == "chain":
            return f"ticket {self.ticket}, event seq {self.seq} (id {self.event_id}): {self.reason}"
        return f"checkpoint {self.checkpoint_id}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "ticket": self.ticket,
            "seq": self.seq,
            "event_id": self.event_id,
            "checkpoint_id": self.checkpoint_id,
            "reason": self.reason,
            "message": str(self),
        }


@dataclass(frozen=True, slots=True)
class AuditReport:
    """What :func:`verify` checked and the breaks it found (first one first)."""

    n_tickets: int
    n_events: int
    n_checkpoints: int
    breaks: tuple[Break, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Whether every chain and checkpoint verified."""
        return not self.breaks

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "ok": self.ok,
            "n_tickets": self.n_tickets,
            "n_events": self.n_events,
            "n_checkpoints": self.n_checkpoints,
            "first_break": self.breaks[0].to_dict() if self.breaks else None,
            "breaks": [b.to_dict() for b in self.breaks],
        }


_EVENTS_SQL = """
    SELECT t.number, e.id, e.seq, e.occurred_at, e.activity, e.resource, e.actor_id,
           e.role, e.lifecycle, e.payload, e.prev_hash, e.hash
    FROM events e JOIN tickets t ON t.id = e.ticket_id
    ORDER BY t.number, e.seq, e.id
"""


def _check_chains(con: Connection, breaks: list[Break]) -> tuple[int, int]:
    from sqlalchemy import text

    n_tickets = n_events = 0
    current: str | None = None
    prev = ""
    expected = 1
    broken: set[str] = set()
    result = con.execution_options(stream_results=True, yield_per=10_000).execute(
        text(_EVENTS_SQL)
    )
    for (
        number,
        eid,
        seq,
        at,
        activity,
        resource,
        actor,
        role,
        lifecycle,
        payload,
        ph,
        h,
    ) in result:
        n_events += 1
        if number != current:
            current, prev, expected = number, "", 1
            n_tickets += 1
        if number in broken:
            continue

        def fail(
            reason: str, *, number: str = number, seq: int = seq, eid: int = eid
        ) -> None:
            breaks.append(Break("chain", number, seq, eid, None, reason))
            broken.add(number)

        if seq != expected:
            fail(
                f"seq {seq} where {expected} was expected: an event was removed, "
                "inserted or renumbered"
            )
            continue
        if ph != prev:
            fail("prev_hash does not match the previous event's hash")
            continue
        recomputed = event_hash(
            prev,
            ticket=number,
            seq=seq,
            occurred_at=at,
            activity=activity,
            resource=resource,
            actor_id=actor,
            role=role,
            lifecycle=lifecycle,
            payload=payload,
        )
        if recomputed != h:
            fail("the stored hash does not match the event's content (edited)")
            continue
        prev, expected = h, expected + 1
    return n_tickets, n_events


def _check_checkpoints(con: Connection, key: bytes | None, breaks: list[Break]) -> int:
    from sqlalchemy import text

    rows = con.execute(
        text(
            "SELECT id, created_at, n_tickets, n_events, last_event_id, heads_digest, "
            "signature FROM audit_checkpoints ORDER BY id"
        )
    ).all()
    for cid, created_at, n_t, n_e, last, digest, signature in rows:
        if key is not None:
            expect = _sign(
                key,
                created_at=created_at,
                n_tickets=n_t,
                n_events=n_e,
                last_event_id=last,
                digest=digest,
            )
            if not hmac.compare_digest(expect, signature):
                breaks.append(
                    Break(
                        "checkpoint",
                        None,
                        None,
                        None,
                        cid,
                        "bad signature (forged or edited checkpoint, or another key)",
                    )
                )
                continue
        count = con.execute(
            text("SELECT count(*) FROM events WHERE id <= :last"), {"last": last}
        ).scalar_one()
        heads = [
            (str(r[0]), int(r[1]), str(r[2]))
            for r in con.execute(text(_HEADS_SQL), {"last": last})
        ]
        if count != n_e or len(heads) != n_t or _heads_digest(heads) != digest:
            breaks.append(
                Break(
                    "checkpoint",
                    None,
                    None,
                    None,
                    cid,
                    f"signed {n_t} tickets and {n_e} events up to event id {last} at "
                    f"{created_at.isoformat()}; now {len(heads)} tickets and {count} "
                    "events, and the chain heads differ: events were removed, added or "
                    "rewritten",
                )
            )
    return len(rows)


def verify(url_or_engine: str | Any, *, key: bytes | None) -> AuditReport:  # noqa: ANN401
    """Recompute every ticket's chain and every checkpoint.

    Parameters
    ----------
    url_or_engine
        A PostgreSQL URL or a SQLAlchemy engine.
    key
        The checkpoint signing key (``None``: signatures are not checked, the heads are).

    Returns
    -------
    AuditReport
        ``ok`` when nothing is broken; ``breaks`` lists the first break of each broken
        ticket chain, then each checkpoint that does not verify.
    """
    from sqlalchemy import Engine

    from servops.service.db import make_engine

    engine = (
        url_or_engine
        if isinstance(url_or_engine, Engine)
        else make_engine(url_or_engine)
    )
    breaks: list[Break] = []
    try:
        with engine.connect() as con:
            n_tickets, n_events = _check_chains(con, breaks)
            n_cp = _check_checkpoints(con, key, breaks)
    finally:
        if engine is not url_or_engine:
            engine.dispose()
    return AuditReport(n_tickets, n_events, n_cp, tuple(breaks))
