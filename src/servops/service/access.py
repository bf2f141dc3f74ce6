"""Who may do what: Argon2id passwords, hashed API tokens, signed sessions, roles, scoping.

Nothing here imports FastAPI; the API's dependencies call these functions.

- Passwords are Argon2id hashes (``argon2-cffi``'s defaults, RFC 9106 low-memory profile).
- An API token is ``so_<id>_<secret>``; the database keeps only ``sha256(secret)``, its
  scopes, expiry and revocation. A token is shown once, when it is made.
- A browser session is a signed cookie ``<user id>.<expiry>.<hmac>`` (HMAC-SHA256 with the
  server key) and a CSRF token: a second cookie that state-changing requests must repeat in
  the ``X-CSRF-Token`` header (double submit); the CSRF value is itself bound to the session.
- Roles rank customer < agent < supervisor < admin. Customers see only their organisation's
  tickets: :func:`visible_tickets` adds that condition to every ticket query.

Examples
--------
>>> h = hash_password("correct horse")
>>> verify_password(h, "correct horse"), verify_password(h, "wrong")
(True, False)
>>> secret, digest = new_secret()
>>> token_hash(secret) == digest
True
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, get_args

from servops.errors import AuthenticationError, PermissionDeniedError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from argon2 import PasswordHasher
    from sqlalchemy import Select
    from sqlalchemy.orm import Session

    from servops.service.models import User

__all__ = [
    "ROLES",
    "SCOPES",
    "Principal",
    "Role",
    "Scope",
    "authenticate_password",
    "authenticate_token",
    "check_csrf",
    "create_token",
    "csrf_token",
    "hash_password",
    "new_secret",
    "open_session",
    "read_session",
    "require_role",
    "require_scope",
    "session_principal",
    "token_hash",
    "verify_password",
    "visible_tickets",
]

Role = Literal["customer", "agent", "supervisor", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
_RANK = {role: i for i, role in enumerate(ROLES)}

#: Token scopes: ``tickets:read`` lists and reads, ``tickets:write`` creates and changes,
#: ``admin`` manages users, groups, rules and webhooks, ``alerts`` posts inbound alerts.
Scope = Literal["tickets:read", "tickets:write", "admin", "alerts"]
SCOPES: tuple[Scope, ...] = get_args(Scope)

TOKEN_PREFIX = "so_"
SESSION_COOKIE = "servops_session"
CSRF_COOKIE = "servops_csrf"
CSRF_HEADER = "X-CSRF-Token"
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller.

    Attributes
    ----------
    user_id, role, organisation_id
        From the ``users`` row; ``organisation_id`` is None for staff without one.
    scopes
        What the credential allows: a token's scopes, or every scope for a session.
    via
        ``"token"`` or ``"session"``: sessions need a CSRF header on writes.
    name
        The user's name (the event log's resource).
    """

    user_id: int
    role: Role
    organisation_id: int | None
    scopes: frozenset[str]
    via: Literal["token", "session"]
    name: str | None = None

    @property
    def is_staff(self) -> bool:
        """True for agents, supervisors and admins (everyone but customers)."""
        return self.role != "customer"


def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher()  # Argon2id, RFC 9106 low-memory profile


def hash_password(password: str) -> str:
    """Argon2id hash of ``password`` (salted; the encoded string carries its parameters)."""
    return str(_hasher().hash(password))


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (False for any malformed hash)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def new_secret() -> tuple[str, str]:
    """A random URL-safe secret (32 bytes) and its sha256 hex digest, which is what is stored."""
    secret = secrets.token_urlsafe(32)
    return secret, token_hash(secret)


def token_hash(secret: str) -> str:
    """sha256 hex digest of a token or survey secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def require_role(principal: Principal, *roles: Role) -> None:
    """Raise :class:`PermissionDeniedError` unless the caller's role is at least one of ``roles``.

    Roles are ranked, so ``require_role(p, "agent")`` admits agents, supervisors and admins.
    """
    lowest = min(_RANK[r] for r in roles)
    if _RANK[principal.role] < lowest:
        msg = (
            f"this needs the role {' or '.join(roles)} (or higher); "
            f"user {principal.user_id} is a {principal.role}."
        )
        raise PermissionDeniedError(msg)


def require_scope(principal: Principal, scope: Scope) -> None:
    """Raise :class:`PermissionDeniedError` unless the credential carries ``scope``."""
    if scope not in principal.scopes:
        msg = (
            f"this token lacks the scope {scope!r} (it has: "
            f"{', '.join(sorted(principal.scopes)) or 'none'})."
        )
        raise PermissionDeniedError(msg)


def visible_tickets(stmt: Select[Any], principal: Principal) -> Select[Any]:
    """Restrict a ticket query to what ``principal`` may see.

    Customers see their organisation's tickets (or, with no organisation, their own);
    staff see all. Every ticket query of the API goes through here.
    """
    from servops.service.models import Ticket

    if principal.is_staff:
        return stmt
    if principal.organisation_id is None:
        return stmt.where(Ticket.customer_id == principal.user_id)
    return stmt.where(Ticket.organisation_id == principal.organisation_id)


def _utc(now: Callable[[], datetime] | None) -> datetime:
    return now() if now is not None else datetime.now(UTC)


def create_token(
    session: Session,
    user_id: int,
    *,
    scopes: Iterable[str],
    expires_in: timedelta,
    now: Callable[[], datetime] | None = None,
) -> tuple[int, str]:
    """Store a new API token for ``user_id``; return its id and the token text (shown once)."""
    from servops.service.models import ApiToken

    scopes = sorted(set(scopes))
    for s in scopes:
        if s not in SCOPES:
            msg = f"unknown scope {s!r}; expected some of {', '.join(SCOPES)}."
            raise PermissionDeniedError(msg)
    secret, digest = new_secret()
    t = _utc(now)
    row = ApiToken(
        user_id=user_id,
        token_hash=digest,
        scopes=scopes,
        expires_at=t + expires_in,
        created_at=t,
    )
    session.add(row)
    session.flush()
    return row.id, f"{TOKEN_PREFIX}{row.id}_{secret}"


def _role(value: str) -> Role:
    for r in ROLES:
        if r == value:
            return r
    msg = f"unknown role {value!r} in the users table; expected one of {', '.join(ROLES)}."
    raise AuthenticationError(msg)


def _principal(
    user: User, scopes: Iterable[str], via: Literal["token", "session"]
) -> Principal:
    return Principal(
        user_id=user.id,
        role=_role(user.role),
        organisation_id=user.organisation_id,
        scopes=frozenset(scopes),
        via=via,
        name=user.name,
    )


def authenticate_token(
    session: Session, token: str, *, now: Callable[[], datetime] | None = None
) -> Principal:
    """The principal of a bearer token; :class:`AuthenticationError` if it is not valid now."""
    from sqlalchemy import select

    from servops.service.models import ApiToken, User

    body = token.removeprefix(TOKEN_PREFIX)
    _, sep, secret = body.partition("_")
    if not token.startswith(TOKEN_PREFIX) or not sep or not secret:
        msg = (
            "malformed API token: expected 'so_<id>_<secret>' as made by POST /tokens."
        )
        raise AuthenticationError(msg)
    # the token and its user in one query (every API request asks it)
    found = session.execute(
        select(ApiToken, User)
        .outerjoin(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_hash(secret))
    ).first()
    t = _utc(now)
    if found is None:
        msg = "unknown API token."
        raise AuthenticationError(msg)
    row = found[0]
    user: User | None = found[1]  # None: the token's user row is gone
    if row.revoked_at is not None:
        msg = f"API token {row.id} was revoked at {row.revoked_at.isoformat()}."
        raise AuthenticationError(msg)
    if row.expires_at is not None and row.expires_at <= t:
        msg = f"API token {row.id} expired at {row.expires_at.isoformat()}."
        raise AuthenticationError(msg)
    if user is None or not user.active:
        msg = f"the user of API token {row.id} is inactive."
        raise AuthenticationError(msg)
    if row.last_used_at is None or t - row.last_used_at >= _TOUCH_EVERY:
        row.last_used_at = t  # at most one write a minute per token
    return _principal(user, row.scopes, "token")


def session_principal(session: Session, user_id: int) -> Principal:
    """The principal of a browser session's user (every scope; CSRF is checked apart)."""
    from servops.service.models import User

    user = session.get(User, user_id)
    if user is None or not user.active:
        msg = "the session's user is unknown or inactive: log in again."
        raise AuthenticationError(msg)
    return _principal(user, SCOPES, "session")


def authenticate_password(session: Session, email: str, password: str) -> User:
    """The active user with this email and password; :class:`AuthenticationError` otherwise."""
    from sqlalchemy import select

    from servops.service.models import User

    user = session.scalars(select(User).where(User.email == email)).first()
    if (
        user is None
        or not user.active
        or user.password_hash is None
        or not verify_password(user.password_hash, password)
    ):
        msg = "wrong email or password."
        raise AuthenticationError(msg)
    return user


def _sign(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def open_session(
    key: bytes,
    user_id: int,
    *,
    ttl: timedelta,
    now: Callable[[], datetime] | None = None,
) -> str:
    """A signed session cookie value for ``user_id``, valid for ``ttl``."""
    expiry = int((_utc(now) + ttl).timestamp())
    payload = f"{user_id}.{expiry}"
    return f"{payload}.{_sign(key, payload)}"


def read_session(
    key: bytes, cookie: str, *, now: Callable[[], datetime] | None = None
) -> int:
    """The user id of a session cookie; :class:`AuthenticationError` if forged or expired."""
    payload, _, sig = cookie.rpartition(".")
    user, _, expiry = payload.partition(".")
    if not (user.isdigit() and expiry.isdigit()) or not hmac.compare_digest(
        sig, _sign(key, payload)
    ):
        msg = "invalid session cookie: log in again."
        raise AuthenticationError(msg)
    if int(expiry) <= _utc(now).timestamp():
        msg = "the session has expired: log in again."
        raise AuthenticationError(msg)
    return int(user)


def csrf_token(key: bytes, session_cookie: str) -> str:
    """The CSRF token bound to a session (sent as a readable cookie, repeated in a header)."""
    return _sign(key, "csrf:" + session_cookie)


def check_csrf(
    key: bytes, session_cookie: str, cookie: str | None, header: str | None
) -> None:
    """Double-submit check: the header must equal the cookie, and both belong to this session."""
    expected = csrf_token(key, session_cookie)
    if (
        cookie is None
        or header is None
        or not hmac.compare_digest(cookie, header)
        or not hmac.compare_digest(header, expected)
    ):
        msg = (
            f"missing or wrong CSRF token: state-changing requests of a browser session "
            f"repeat the {CSRF_COOKIE} cookie in the {CSRF_HEADER} header."
        )
        raise PermissionDeniedError(msg)
