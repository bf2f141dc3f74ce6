"""Request and response bodies of the service API (Base / Create / Update / Public)."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 (pydantic needs it at runtime)
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from servops.service.access import Role, Scope  # noqa: TC001 (pydantic needs them)

__all__ = [
    "MAX_ID",
    "AlertIn",
    "AlertResult",
    "AssignIn",
    "AttachmentCreate",
    "AttachmentPublic",
    "CommentCreate",
    "CommentPublic",
    "ErrorOut",
    "EventPublic",
    "GroupCreate",
    "GroupPublic",
    "Id",
    "LoginIn",
    "LoginOut",
    "OrganisationCreate",
    "OrganisationPublic",
    "RoutingRuleCreate",
    "RoutingRulePublic",
    "Suggestion",
    "SurveyAnswer",
    "SurveyPublic",
    "TicketCreate",
    "TicketPublic",
    "TicketUpdate",
    "TokenCreate",
    "TokenCreated",
    "TokenPublic",
    "TransitionIn",
    "UserCreate",
    "UserPublic",
    "UserUpdate",
    "WebhookCreate",
    "WebhookCreated",
    "WebhookPublic",
]

Name = Annotated[str, Field(min_length=1, max_length=200)]
Short = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^\S(.*\S)?$")]
Text = Annotated[str, Field(max_length=20_000)]
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
AttrValue = str | int | float | bool | None
Attributes = Annotated[
    dict[Annotated[str, Field(max_length=64)], AttrValue], Field(max_length=50)
]


def _find_nul(value: object, path: str) -> str | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for k, v in value.items():
            hit = _find_nul(k, f"{path} (a key)") or _find_nul(v, f"{path}.{k}")
            if hit:
                return hit
    if isinstance(value, list | tuple):
        for i, v in enumerate(value):
            hit = _find_nul(v, f"{path}[{i}]")
            if hit:
                return hit
    return None


class _Input(BaseModel):
    """A request body: unknown fields and NUL characters are a 422 naming the field.

    PostgreSQL text cannot hold NUL characters; they are refused here, not by the database.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: object) -> object:
        if isinstance(data, dict):
            for key, value in data.items():
                hit = _find_nul(value, str(key))
                if hit:
                    msg = f"{hit} must not contain NUL (\\x00) characters"
                    raise ValueError(msg)
        return data


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorOut(BaseModel):
    """Every error: the servops error class (or ValidationError) and a readable message."""

    type: str
    detail: str


# --- tickets ---------------------------------------------------------------------------


class TicketBase(_Input):
    """Fields a ticket is created with."""

    subject: Name
    text: Text = ""
    channel: Short = "web"
    priority: Short = "P3"
    category: Short | None = None
    attributes: Attributes = Field(default_factory=dict)


class TicketCreate(TicketBase):
    """A new ticket. Staff may file it for a customer (``customer_id``) and give a group."""

    customer_id: Id | None = None
    group_id: Id | None = None


class TicketUpdate(_Input):
    """Changed fields only. ``version`` (optional) must match the stored one (else 409)."""

    subject: Name | None = None
    text: Text | None = None
    channel: Short | None = None
    priority: Short | None = None
    category: Short | None = None
    attributes: Attributes | None = None
    version: Annotated[int, Field(ge=1, le=2**31)] | None = None


class Suggestion(BaseModel):
    """The text classifier's suggested category and its confidence (0–1)."""

    category: str
    confidence: float


class TicketPublic(_Public):
    """A ticket as the API shows it."""

    id: int
    number: str
    subject: str
    text: str
    channel: str | None
    priority: str | None
    category: str | None
    customer_id: int | None
    organisation_id: int | None
    group_id: int | None
    assignee_id: int | None
    state: str
    attributes: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    version: int
    suggestion: Suggestion | None = None


class TransitionIn(_Input):
    """Move a ticket to another state (allowed by the state machine)."""

    to: Short
    comment: Text | None = None


class AssignIn(_Input):
    """Assign to a group and/or agent; with neither, the routing rules decide."""

    group_id: Id | None = None
    assignee_id: Id | None = None


class CommentCreate(_Input):
    """A comment; internal (``public: false``) ones are hidden from customers."""

    body: Annotated[str, Field(min_length=1, max_length=20_000)]
    public: bool = True


class CommentPublic(_Public):
    """A comment as shown."""

    id: int
    ticket_id: int
    author_id: int | None
    public: bool
    body: str
    created_at: datetime


class AttachmentCreate(_Input):
    """Metadata of an attachment (the file itself lives elsewhere)."""

    filename: Annotated[str, Field(min_length=1, max_length=255)]
    content_type: Annotated[
        str, Field(min_length=3, max_length=127, pattern=r"^[\w.+-]+/[\w.+-]+$")
    ]
    size_bytes: Annotated[int, Field(ge=0, le=2**40)]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class AttachmentPublic(_Public):
    """An attachment's metadata."""

    id: int
    ticket_id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    created_at: datetime


class EventPublic(_Public):
    """One audited event of a ticket."""

    id: int
    seq: int
    occurred_at: datetime
    activity: str
    resource: str | None
    actor_id: int | None
    role: str | None
    payload: dict[str, Any] | None
    hash: str


# --- people ----------------------------------------------------------------------------


class OrganisationCreate(_Input):
    """A customer organisation."""

    name: Name


class OrganisationPublic(_Public):
    """An organisation."""

    id: int
    name: str


class UserCreate(_Input):
    """A user; ``password`` is stored only as an Argon2id hash."""

    email: Annotated[
        str, Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    ]
    name: Name
    role: Role
    organisation_id: Id | None = None
    password: Annotated[str, Field(min_length=8, max_length=256)] | None = None
    skills: Annotated[list[Short], Field(max_length=50)] = Field(default_factory=list)
    capacity: Annotated[int, Field(ge=0, le=10_000)] | None = None


class UserUpdate(_Input):
    """Changed user fields."""

    name: Name | None = None
    role: Role | None = None
    active: bool | None = None
    password: Annotated[str, Field(min_length=8, max_length=256)] | None = None
    skills: Annotated[list[Short], Field(max_length=50)] | None = None
    capacity: Annotated[int, Field(ge=0, le=10_000)] | None = None


class UserPublic(_Public):
    """A user (never the password hash)."""

    id: int
    email: str
    name: str
    role: str
    organisation_id: int | None
    active: bool
    skills: list[str] | None
    capacity: int | None


class GroupCreate(_Input):
    """A group (queue) of agents."""

    name: Name
    supervisor_id: Id | None = None
    member_ids: Annotated[list[Id], Field(max_length=500)] = Field(default_factory=list)


class GroupPublic(_Public):
    """A group and its members."""

    id: int
    name: str
    supervisor_id: int | None
    member_ids: list[int]


class RoutingRuleCreate(_Input):
    """A routing rule: conditions (see :mod:`servops.service.routing`) → group."""

    position: Annotated[int, Field(ge=0, le=1_000_000)]
    name: Name
    conditions: dict[str, Any] = Field(default_factory=dict)
    group_id: Id
    active: bool = True


class RoutingRulePublic(_Public):
    """A stored routing rule."""

    id: int
    position: int
    name: str
    conditions: dict[str, Any]
    group_id: int
    active: bool


# --- credentials -----------------------------------------------------------------------


class TokenCreate(_Input):
    """A new API token for the caller (an admin may make one for ``user_id``)."""

    scopes: Annotated[list[Scope], Field(min_length=1)]
    expires_in_days: Annotated[int, Field(ge=1, le=366)] = 90
    user_id: Id | None = None


class TokenCreated(BaseModel):
    """The token text, shown only now."""

    id: int
    token: str
    scopes: list[str]
    expires_at: datetime


class TokenPublic(_Public):
    """A stored token (without its secret)."""

    id: int
    user_id: int
    scopes: list[str]
    expires_at: datetime | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class LoginIn(_Input):
    """Email and password for a browser session."""

    email: Annotated[str, Field(min_length=1, max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class LoginOut(BaseModel):
    """The session's user and the CSRF token to send in ``X-CSRF-Token``."""

    user_id: int
    role: str
    csrf_token: str


# --- surveys, alerts, webhooks ---------------------------------------------------------


class SurveyPublic(BaseModel):
    """What the survey page shows before answering."""

    ticket: str
    subject: str
    expires_at: datetime | None
    answered: bool


class SurveyAnswer(_Input):
    """CSAT (1–5), NPS (0–10) and a comment; at least one of them."""

    csat: Annotated[int, Field(ge=1, le=5)] | None = None
    nps: Annotated[int, Field(ge=0, le=10)] | None = None
    comment: Annotated[str, Field(max_length=5_000)] | None = None


class AlertIn(_Input):
    """A monitoring or IoT alert; ``dedup_key`` folds repeats into one open ticket."""

    dedup_key: Annotated[str, Field(min_length=1, max_length=200)]
    source: Short
    summary: Name
    text: Text = ""
    severity: Literal["info", "warning", "critical"] = "warning"
    category: Short | None = None
    attributes: Attributes = Field(default_factory=dict)


class AlertResult(BaseModel):
    """Which ticket the alert went to and whether it was new."""

    ticket: str
    ticket_id: int
    created: bool
    event_seq: int


class WebhookCreate(_Input):
    """A receiver URL and the activities it wants (``["*"]``: all)."""

    url: HttpUrl
    event_types: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=64)]], Field(min_length=1)
    ] = Field(default_factory=lambda: ["*"])
    secret: Annotated[str, Field(min_length=16, max_length=256)] | None = None


class WebhookPublic(_Public):
    """A webhook (without its secret)."""

    id: int
    url: str
    event_types: list[str]
    active: bool


class WebhookCreated(WebhookPublic):
    """A new webhook with its signing secret (shown only now)."""

    secret: str
