"""API tokens: make (shown once), list and revoke; stored as sha256 of the secret."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from sqlalchemy import select

from servops.api.deps import Caller, Db, PathId, Settings, in_thread
from servops.api.schemas import TokenCreate, TokenCreated, TokenPublic
from servops.errors import NotFoundError, PermissionDeniedError
from servops.service import access
from servops.service.models import ApiToken, User

__all__ = ["router"]

router = APIRouter(prefix="/tokens", tags=["tokens"])


@in_thread(
    router.post(
        "", status_code=201, summary="Make an API token (the text is shown only now)"
    )
)
def create_token(
    body: TokenCreate, session: Db, caller: Caller, settings: Settings
) -> TokenCreated:
    user_id = caller.user_id if body.user_id is None else body.user_id
    if user_id != caller.user_id:
        access.require_role(caller, "admin")
        access.require_scope(caller, "admin")
    user = session.get(User, user_id)
    if user is None:
        msg = f"user {user_id} does not exist."
        raise NotFoundError(msg)
    wanted = set(body.scopes)
    if user_id == caller.user_id and not wanted <= caller.scopes:
        msg = (
            f"a token cannot grant more than the credential that makes it: "
            f"{', '.join(sorted(wanted - caller.scopes))} missing."
        )
        raise PermissionDeniedError(msg)
    if "admin" in wanted and user.role != "admin":
        msg = f"only admins' tokens may carry the admin scope; user {user_id} is a {user.role}."
        raise PermissionDeniedError(msg)
    token_id, text = access.create_token(
        session,
        user_id,
        scopes=wanted,
        expires_in=timedelta(days=body.expires_in_days),
        now=settings.now,
    )
    row = session.get(ApiToken, token_id)
    session.commit()
    assert row is not None
    assert row.expires_at is not None
    return TokenCreated(
        id=token_id, token=text, scopes=sorted(wanted), expires_at=row.expires_at
    )


@in_thread(router.get("", summary="The caller's tokens (admins: everyone's)"))
def list_tokens(session: Db, caller: Caller) -> list[TokenPublic]:
    q = select(ApiToken).order_by(ApiToken.id)
    if caller.role != "admin":
        q = q.where(ApiToken.user_id == caller.user_id)
    return [TokenPublic.model_validate(r) for r in session.scalars(q)]


@in_thread(router.delete("/{token_id}", status_code=204, summary="Revoke a token"))
def revoke_token(
    token_id: PathId, request: Request, session: Db, caller: Caller, settings: Settings
) -> None:
    row = session.get(ApiToken, token_id)
    if row is None or (row.user_id != caller.user_id and caller.role != "admin"):
        msg = f"token {token_id} does not exist."
        raise NotFoundError(msg)
    if row.revoked_at is None:
        row.revoked_at = settings.now()
    session.commit()
    request.app.state.token_cache.clear()  # refused from the next request on
