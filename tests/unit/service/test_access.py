"""Access helpers without a database: passwords, secrets, sessions, CSRF, roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from servops.errors import AuthenticationError, PermissionDeniedError
from servops.service import access
from servops.service.access import Principal

KEY = b"k" * 32
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _p(
    role: access.Role, scopes: frozenset[str] = frozenset(access.SCOPES)
) -> Principal:
    return Principal(
        user_id=7, role=role, organisation_id=3, scopes=scopes, via="token"
    )


def test_password_hash_is_argon2id_salted_and_verifies() -> None:
    h1 = access.hash_password("correct horse battery")
    h2 = access.hash_password("correct horse battery")
    assert h1.startswith("$argon2id$")
    assert h1 != h2  # salted
    assert access.verify_password(h1, "correct horse battery")
    assert not access.verify_password(h1, "correct horse batterY")
    assert not access.verify_password("not a hash", "x")


def test_secret_hash_is_sha256_of_the_secret() -> None:
    secret, digest = access.new_secret()
    assert len(secret) >= 43  # 32 random bytes, url-safe base64
    import hashlib

    assert digest == hashlib.sha256(secret.encode()).hexdigest()
    assert access.new_secret()[0] != secret


def test_session_cookie_round_trip_forgery_and_expiry() -> None:
    cookie = access.open_session(KEY, 42, ttl=timedelta(hours=1), now=lambda: T0)
    assert (
        access.read_session(KEY, cookie, now=lambda: T0 + timedelta(minutes=59)) == 42
    )
    with pytest.raises(AuthenticationError, match="expired"):
        access.read_session(KEY, cookie, now=lambda: T0 + timedelta(hours=1))
    _uid, exp, sig = cookie.split(".")
    forged = f"1.{exp}.{sig}"  # another user, same signature
    with pytest.raises(AuthenticationError, match="invalid"):
        access.read_session(KEY, forged, now=lambda: T0)
    with pytest.raises(AuthenticationError, match="invalid"):
        access.read_session(b"other key" * 4, cookie, now=lambda: T0)
    with pytest.raises(AuthenticationError):
        access.read_session(KEY, "garbage", now=lambda: T0)


def test_csrf_double_submit() -> None:
    cookie = access.open_session(KEY, 42, ttl=timedelta(hours=1), now=lambda: T0)
    token = access.csrf_token(KEY, cookie)
    access.check_csrf(KEY, cookie, token, token)  # passes
    with pytest.raises(PermissionDeniedError, match="CSRF"):
        access.check_csrf(KEY, cookie, token, None)
    with pytest.raises(PermissionDeniedError, match="CSRF"):
        access.check_csrf(KEY, cookie, token, token[:-1] + "0")
    other = access.open_session(KEY, 43, ttl=timedelta(hours=1), now=lambda: T0)
    t_other = access.csrf_token(KEY, other)
    with pytest.raises(PermissionDeniedError):  # a token of another session
        access.check_csrf(KEY, cookie, t_other, t_other)


@pytest.mark.parametrize(
    ("role", "needed", "ok"),
    [
        ("customer", "agent", False),
        ("agent", "agent", True),
        ("supervisor", "agent", True),
        ("agent", "supervisor", False),
        ("admin", "supervisor", True),
        ("supervisor", "admin", False),
        ("customer", "customer", True),
    ],
)
def test_roles_are_ranked(role: access.Role, needed: access.Role, ok: bool) -> None:
    if ok:
        access.require_role(_p(role), needed)
    else:
        with pytest.raises(PermissionDeniedError, match=needed):
            access.require_role(_p(role), needed)


def test_scopes() -> None:
    p = _p("agent", frozenset({"tickets:read"}))
    access.require_scope(p, "tickets:read")
    with pytest.raises(PermissionDeniedError, match="tickets:write"):
        access.require_scope(p, "tickets:write")
