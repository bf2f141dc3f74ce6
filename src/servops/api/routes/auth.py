"""Browser sessions: log in (signed session cookie + CSRF cookie), log out."""

from __future__ import annotations

from fastapi import APIRouter, Response

from servops.api.deps import Db, Settings  # noqa: TC001 (FastAPI resolves them)
from servops.api.schemas import LoginIn, LoginOut
from servops.service import access

__all__ = ["router"]

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", summary="Log in: sets the session and CSRF cookies")
def login(
    body: LoginIn, response: Response, session: Db, settings: Settings
) -> LoginOut:
    user = access.authenticate_password(session, body.email, body.password)
    key = settings.key()
    cookie = access.open_session(
        key, user.id, ttl=settings.session_ttl, now=settings.now
    )
    csrf = access.csrf_token(key, cookie)
    age = int(settings.session_ttl.total_seconds())
    response.set_cookie(
        access.SESSION_COOKIE,
        cookie,
        max_age=age,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    # readable by the page's script, which repeats it in the X-CSRF-Token header
    response.set_cookie(
        access.CSRF_COOKIE,
        csrf,
        max_age=age,
        httponly=False,
        samesite="strict",
        secure=settings.cookie_secure,
    )
    return LoginOut(user_id=user.id, role=user.role, csrf_token=csrf)


@router.post("/logout", status_code=204, summary="Log out: clears the cookies")
def logout(response: Response) -> None:
    response.delete_cookie(access.SESSION_COOKIE)
    response.delete_cookie(access.CSRF_COOKIE)
