"""Satisfaction surveys: a single-use link per resolved ticket, answers for ``servops feedback``.

When a ticket is resolved the service makes a survey: a random secret (32 bytes) whose
sha256 is stored with an expiry; the link ``<public url>/app/surveys/<secret>`` (the web
app's survey page, which answers through ``POST /surveys/<secret>``) needs no login, works
once and only until it expires. An answer holds CSAT (1–5), NPS (0–10) and a comment,
and appends a ``Survey answered`` event to the ticket (so answers are in the event log too).

:func:`survey_answers` returns the answers as a table with the columns ``servops feedback``
reads (``comment``, ``nps``, ``csat``, ``case_id`` = ticket number, ``submitted_at``) and the
ticket's segments (channel, priority, category, organisation, group); ``servops surveys export``
writes it to a file for ``servops feedback answers.csv -t comment -s nps``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from servops.errors import ConflictError, InvalidParameterError, NotFoundError
from servops.service.access import new_secret, token_hash

if TYPE_CHECKING:
    from collections.abc import Callable

    import pyarrow as pa
    from sqlalchemy.orm import Session

    from servops.service.models import Survey

__all__ = [
    "ANSWER_ACTIVITY",
    "SurveyLink",
    "answer_survey",
    "create_survey",
    "find_survey",
    "read_service_feedback",
    "read_survey_answers",
    "survey_answers",
]

ANSWER_ACTIVITY = "Survey answered"
DEFAULT_TTL = timedelta(days=14)


@dataclass(frozen=True)
class SurveyLink:
    """A new survey: its id, the secret (shown once, part of the link) and its expiry."""

    id: int
    token: str
    expires_at: datetime

    def url(self, base: str) -> str:
        """The link a customer opens: the web app's page ``<base>/app/surveys/<token>``."""
        return f"{base.rstrip('/')}/app/surveys/{self.token}"


def _now(now: Callable[[], datetime] | None) -> datetime:
    return now() if now is not None else datetime.now(UTC)


def create_survey(
    session: Session,
    ticket_id: int,
    *,
    ttl: timedelta = DEFAULT_TTL,
    now: Callable[[], datetime] | None = None,
) -> SurveyLink:
    """Make a survey of ``ticket_id``; only the secret's hash is stored."""
    from servops.service.models import Survey

    t = _now(now)
    secret, digest = new_secret()
    row = Survey(
        ticket_id=ticket_id, token_hash=digest, created_at=t, expires_at=t + ttl
    )
    session.add(row)
    session.flush()
    return SurveyLink(id=row.id, token=secret, expires_at=t + ttl)


def find_survey(
    session: Session, token: str, *, now: Callable[[], datetime] | None = None
) -> Survey:
    """The survey of a link's token: :class:`NotFoundError` if unknown or expired."""
    from sqlalchemy import select

    from servops.service.models import Survey

    row = session.scalars(
        select(Survey).where(Survey.token_hash == token_hash(token))
    ).first()
    if row is None:
        msg = "no survey has this link."
        raise NotFoundError(msg)
    if row.expires_at is not None and row.expires_at <= _now(now):
        msg = f"this survey link expired at {row.expires_at.isoformat()}."
        raise NotFoundError(msg)
    return row


def answer_survey(
    session: Session,
    token: str,
    *,
    csat: int | None = None,
    nps: int | None = None,
    comment: str | None = None,
    now: Callable[[], datetime] | None = None,
) -> Survey:
    """Store the answer of a survey link (once) and log it on the ticket; the caller commits.

    Raises
    ------
    NotFoundError
        Unknown or expired link.
    ConflictError
        The survey was answered already.
    InvalidParameterError
        No CSAT, NPS or comment, or one out of range.
    """
    from sqlalchemy import update

    from servops.service.events import Actor, append_event
    from servops.service.models import Survey, Ticket

    if csat is None and nps is None and not comment:
        msg = (
            "a survey answer needs at least one of csat (1-5), nps (0-10) and comment."
        )
        raise InvalidParameterError(msg)
    if csat is not None and not 1 <= csat <= 5:
        msg = f"csat must be 1..5, got {csat}."
        raise InvalidParameterError(msg)
    if nps is not None and not 0 <= nps <= 10:
        msg = f"nps must be 0..10, got {nps}."
        raise InvalidParameterError(msg)
    row = find_survey(session, token, now=now)
    t = _now(now)
    # single use even under concurrent posts: only one UPDATE finds answered_at NULL
    hit = session.execute(
        update(Survey)
        .where(Survey.id == row.id, Survey.answered_at.is_(None))
        .values(answered_at=t, csat=csat, nps=nps, comment=comment)
        .returning(Survey.id)
    ).first()
    if hit is None:
        msg = "this survey was answered already (a link works once)."
        raise ConflictError(msg)
    ticket = session.get(Ticket, row.ticket_id)
    assert ticket is not None  # surveys.ticket_id is a foreign key
    append_event(
        session,
        ticket,
        ANSWER_ACTIVITY,
        actor=Actor(ticket.customer_id, "customer", None),
        at=t,
        payload={
            "survey_id": row.id,
            "csat": csat,
            "nps": nps,
            "has_comment": bool(comment),
        },
    )
    session.refresh(row)
    return row


def survey_answers(session: Session) -> pa.Table:
    """Every answered survey with its ticket's segments, oldest first.

    Columns: ``case_id`` (ticket number), ``submitted_at``, ``csat``, ``nps``, ``comment``,
    ``channel``, ``priority``, ``category``, ``organisation``, ``group``.
    """
    import pyarrow as pa
    from sqlalchemy import select

    from servops.service.models import Group, Organisation, Survey, Ticket

    rows = session.execute(
        select(
            Ticket.number,
            Survey.answered_at,
            Survey.csat,
            Survey.nps,
            Survey.comment,
            Ticket.channel,
            Ticket.priority,
            Ticket.category,
            Organisation.name,
            Group.name,
        )
        .join(Ticket, Ticket.id == Survey.ticket_id)
        .outerjoin(Organisation, Organisation.id == Ticket.organisation_id)
        .outerjoin(Group, Group.id == Ticket.group_id)
        .where(Survey.answered_at.is_not(None))
        .order_by(Survey.answered_at, Survey.id)
    ).all()
    names = [
        "case_id",
        "submitted_at",
        "csat",
        "nps",
        "comment",
        "channel",
        "priority",
        "category",
        "organisation",
        "group",
    ]
    types = [
        pa.string(),
        pa.timestamp("us", tz="UTC"),
        pa.int64(),
        pa.int64(),
        pa.string(),
        pa.string(),
        pa.string(),
        pa.string(),
        pa.string(),
        pa.string(),
    ]
    cols: list[tuple[Any, ...]] = (
        list(zip(*rows, strict=True)) if rows else [() for _ in names]
    )
    return pa.table(
        {
            n: pa.array(list(c), type=ty)
            for n, c, ty in zip(names, cols, types, strict=True)
        }
    )


def read_survey_answers(url: str) -> pa.Table:
    """:func:`survey_answers` of the service database at ``url`` (its own connection).

    ``servops feedback --service URL`` and :func:`servops.feedback.read_feedback` with a
    ``postgresql://`` URL read the answers through it.

    Raises
    ------
    LogSchemaError
        No survey has been answered yet.
    """
    from servops.errors import LogSchemaError
    from servops.service.db import make_engine, make_sessionmaker

    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            table = survey_answers(session)
    finally:
        engine.dispose()
    if table.num_rows == 0:
        host = url.rpartition("@")[2]
        msg = (
            f"the service database {host} has no answered surveys yet (surveys are "
            "made when a ticket is resolved)."
        )
        raise LogSchemaError(msg)
    return table


def read_service_feedback(
    url: str, *, score: Literal["nps", "csat"] | None = None
) -> pa.Table:
    """The service's answered surveys as a feedback table (``servops feedback --service``).

    The canonical table of :func:`servops.feedback.read_feedback`: ``comment``,
    ``score`` (the NPS answers; the CSAT ones when ``score="csat"``, or when no answer
    has an NPS), ``case_id`` (the ticket number, linking to the service's event log)
    and ``submitted_at``, plus the other score and the tickets' channel, priority,
    category, organisation and group as segments. Give it to
    :func:`servops.feedback.analyze_feedback` with the service's log for drivers::

        table = read_service_feedback(url)
        so.feedback.analyze_feedback(table, log=so.open_log(url))

    Raises
    ------
    LogSchemaError
        No survey has been answered yet.
    """
    from servops.feedback.read import prepare_feedback

    table = read_survey_answers(url)
    if score is None:
        nps = table.column("nps")
        score = "nps" if nps.null_count < len(nps) else "csat"
    return prepare_feedback(
        table,
        text="comment",
        score=score,
        case="case_id",
        date="submitted_at",
        label=f"service {url.rpartition('@')[2]}",
    )
