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

import functools
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, get_args

from servops.errors import AuthenticationError, NotFoundError, PermissionDeniedError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from argon2 import PasswordHasher
    from sqlalchemy import Select
    from sqlalchemy.orm import Session

    from servops.service.models import Ticket, User

__all__ = [
    "ROLES",
    "SCOPES",
    "Principal",
    "Role",
    "Scope",
    "TokenCache",
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
    "visible_ticket",
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


#: The largest PostgreSQL integer: a larger numeric reference is a number, never an id.
_MAX_ID = 2**31 - 1


@functools.cache
def _visible_select(
    scope: Literal["all", "organisation", "own"], *, lock: bool, versions: bool
) -> Select[Any]:
    """The ticket by number or id as ``scope`` sees it, and the newest config versions.

    Without ``versions`` the second column is NULL (the pre-ping read them).
    """
    from sqlalchemy import bindparam, literal_column, or_, select

    from servops.service.config_store import latest_ids_column
    from servops.service.models import Ticket

    q = select(
        Ticket, latest_ids_column() if versions else literal_column("NULL")
    ).where(or_(Ticket.number == bindparam("ref"), Ticket.id == bindparam("id")))
    if scope == "organisation":
        q = q.where(Ticket.organisation_id == bindparam("scope"))
    elif scope == "own":
        q = q.where(Ticket.customer_id == bindparam("scope"))
    return q.with_for_update(of=Ticket) if lock else q


def visible_ticket(
    session: Session, ref: str, principal: Principal, *, lock: bool = False
) -> Ticket:
    """The ticket ``ref`` (number, or numeric id) if ``principal`` may see it.

    The same rule as :func:`visible_tickets`, in one statement that also reads the newest
    config versions (:func:`servops.service.config_store.latest_ids_column`) unless the
    connection's pre-ping read them with the ``BEGIN``
    (:func:`servops.service.config_store.versions_at_begin`): a request that goes on to
    change the ticket asks nothing else before its first write.

    Raises
    ------
    NotFoundError
        No such ticket, or one the principal may not see (the same answer).
    """
    from servops.service.config_store import keep_latest_ids, versions_at_begin

    scope: Literal["all", "organisation", "own"] = (
        "all"
        if principal.is_staff
        else "own"
        if principal.organisation_id is None
        else "organisation"
    )
    params: dict[str, Any] = {
        "ref": ref,
        "id": int(ref) if ref.isdigit() and int(ref) <= _MAX_ID else None,
        "scope": principal.user_id if scope == "own" else principal.organisation_id,
    }
    ask = versions_at_begin(session) is None
    row = session.execute(
        _visible_select(scope, lock=lock, versions=ask), params
    ).first()
    if row is None:
        msg = f"no ticket {ref!r}."
        raise NotFoundError(msg)
    if ask:
        keep_latest_ids(session, row[1])
    ticket: Ticket = row[0]
    return ticket


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


@dataclass(frozen=True, slots=True)
class _Cached:
    principal: Principal
    token_id: int
    expires_at: datetime | None
    read_at: float  # the cache's clock (monotonic seconds) when the row was read


@dataclass
class TokenCache:
    """Principals of recently checked API tokens, so that most requests skip the database.

    An entry is used for at most ``ttl`` seconds after its token and user rows were read
    (on the ``clock``, monotonic); the token's expiry is checked against the request's
    time at every use. The process that revokes a token or changes a user clears the
    cache at once (:meth:`clear`: the API's revoke and user routes do), so there a
    revoked token is refused at the next request; another process serving the same
    database (``servops serve --workers N``) or a change made by direct SQL is seen
    within ``ttl``. ``ttl`` 0 turns the cache off.

    Examples
    --------
    >>> c = TokenCache(ttl=1.0, clock=iter([0.0, 0.5, 1.5]).__next__)
    >>> p = Principal(1, "agent", None, frozenset(), "token")
    >>> c.put("digest", p, token_id=7, expires_at=None)
    >>> c.get("digest", datetime(2026, 1, 1, tzinfo=UTC)) is p  # 0.5 s later
    True
    >>> c.get("digest", datetime(2026, 1, 1, tzinfo=UTC)) is None  # 1.5 s later
    True
    """

    ttl: float = 1.0
    clock: Callable[[], float] = time.monotonic
    max_entries: int = 10_000
    _entries: dict[str, _Cached] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get(self, digest: str, now: datetime) -> Principal | None:
        """The cached principal of a token hash, or None (not cached, or too old).

        Raises
        ------
        AuthenticationError
            The cached token has expired by ``now``.
        """
        if self.ttl <= 0:
            return None
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if self.clock() - entry.read_at >= self.ttl:
            with self._lock:
                self._entries.pop(digest, None)
            return None
        if entry.expires_at is not None and entry.expires_at <= now:
            msg = (
                f"API token {entry.token_id} expired at {entry.expires_at.isoformat()}."
            )
            raise AuthenticationError(msg)
        return entry.principal

    def put(
        self,
        digest: str,
        principal: Principal,
        *,
        token_id: int,
        expires_at: datetime | None,
    ) -> None:
        """Remember a token that was just checked against the database."""
        if self.ttl <= 0:
            return
        entry = _Cached(principal, token_id, expires_at, self.clock())
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[digest] = entry

    def clear(self) -> None:
        """Forget every entry (after a token is revoked or a user changed)."""
        with self._lock:
            self._entries.clear()


def authenticate_token(
    session: Session,
    token: str,
    *,
    now: Callable[[], datetime] | None = None,
    cache: TokenCache | None = None,
) -> Principal:
    """The principal of a bearer token; :class:`AuthenticationError` if it is not valid now.

    With a ``cache``, a token checked less than ``cache.ttl`` seconds ago is not read
    from the database again (:class:`TokenCache`).
    """
    from sqlalchemy import select

    from servops.service.models import ApiToken, User

    body = token.removeprefix(TOKEN_PREFIX)
    _, sep, secret = body.partition("_")
    if not token.startswith(TOKEN_PREFIX) or not sep or not secret:
        msg = (
            "malformed API token: expected 'so_<id>_<secret>' as made by POST /tokens."
        )
        raise AuthenticationError(msg)
    digest = token_hash(secret)
    t = _utc(now)
    if cache is not None:
        hit = cache.get(digest, t)
        if hit is not None:
            return hit
    # the token and its user in one query
    found = session.execute(
        select(ApiToken, User)
        .outerjoin(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == digest)
    ).first()
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
    principal = _principal(user, row.scopes, "token")
    if cache is not None:
        cache.put(digest, principal, token_id=row.id, expires_at=row.expires_at)
    return principal


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
