"""A ticket's timeline for its page: events and comments in order, by who sees what.

Staff see every event of the ticket (the service's event log: creation, field and state
changes, comments, SLA warnings and breaches, escalations, surveys) with the comment
texts, public and internal; supervisors and admins also see each event's chain position
and hash prefix (the audit view, as ``GET /tickets/{ref}/events`` allows them).
Customers see the public comments and the state changes only — the comments rule of
the API (``GET /tickets/{ref}/comments`` gives customers the public ones).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select

from servops.service.models import Comment, Event, User

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from servops.service.access import Principal
    from servops.service.models import Ticket

__all__ = ["TimelineItem", "timeline"]

Kind = Literal["comment-public", "comment-internal", "state", "event"]


@dataclass(frozen=True)
class TimelineItem:
    """One entry: when, what (activity), who, and the comment text or the change."""

    at: datetime
    kind: Kind
    activity: str
    who: str | None
    role: str
    body: str | None = None
    field: str | None = None
    before: Any = None
    after: Any = None
    seq: int | None = None
    hash_prefix: str | None = None


_REFERENCES = {"group_id": "group", "assignee_id": "user", "customer_id": "user"}


def _reference_names(session: Session, ticket_id: int) -> dict[str, dict[int, str]]:
    """Names of the groups and users the ticket's field changes refer to."""
    from sqlalchemy import func

    from servops.service.models import Group

    ids: dict[str, set[int]] = {"group": set(), "user": set()}
    rows = session.execute(
        select(
            Event.payload["field"].astext,
            Event.payload["before"],
            Event.payload["after"],
        ).where(Event.ticket_id == ticket_id, func.jsonb_exists(Event.payload, "field"))
    ).all()
    for field, before, after in rows:
        kind = _REFERENCES.get(str(field))
        if kind is not None:
            ids[kind] |= {int(v) for v in (before, after) if isinstance(v, int)}
    groups = session.execute(
        select(Group.id, Group.name).where(Group.id.in_(ids["group"]))
    )
    users = session.execute(select(User.id, User.name).where(User.id.in_(ids["user"])))
    return {
        "group": {int(i): str(n) for i, n in groups},
        "user": {int(i): str(n) for i, n in users},
    }


def _named(names: dict[str, dict[int, str]], field: object, value: object) -> object:
    """A changed id shown as its name (``group_id`` 3 → the group's name)."""
    kind = _REFERENCES.get(str(field))
    if kind is None or not isinstance(value, int):
        return value
    return names[kind].get(value, value)


def timeline(session: Session, ticket: Ticket, me: Principal) -> list[TimelineItem]:
    """The entries of ``ticket`` that ``me`` may see, oldest first."""
    comments = {
        c.id: c
        for c in session.scalars(select(Comment).where(Comment.ticket_id == ticket.id))
    }
    authors = {
        u.id: u.name
        for u in session.scalars(
            select(User).where(
                User.id.in_({c.author_id for c in comments.values() if c.author_id})
            )
        )
    }
    audit = me.role in ("supervisor", "admin")
    names = _reference_names(session, ticket.id)
    items: list[TimelineItem] = []
    for e in session.scalars(
        select(Event).where(Event.ticket_id == ticket.id).order_by(Event.seq)
    ):
        payload = e.payload or {}
        comment = comments.get(payload.get("comment_id", -1))
        if comment is not None:
            if not comment.public and not me.is_staff:
                continue
            kind: Kind = "comment-public" if comment.public else "comment-internal"
        elif payload.get("field") == "state":
            kind = "state"
        elif me.is_staff:
            kind = "event"
        else:
            continue
        items.append(
            TimelineItem(
                at=e.occurred_at,
                kind=kind,
                activity=e.activity,
                who=e.resource
                or (
                    authors.get(comment.author_id)
                    if comment and comment.author_id
                    else None
                ),
                role=e.role,
                body=comment.body if comment is not None else None,
                field=payload.get("field") if comment is None else None,
                before=_named(names, payload.get("field"), payload.get("before")),
                after=_named(names, payload.get("field"), payload.get("after"))
                if payload.get("field")
                else None,
                seq=e.seq if audit else None,
                hash_prefix=e.hash[:12] if audit else None,
            )
        )
    return items
