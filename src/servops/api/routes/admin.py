"""Administration: organisations, users, groups, routing rules and config (admin role)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Query, Request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from servops.api.deps import MAX_ID, Caller, Db, PathId
from servops.api.schemas import (
    GroupCreate,
    GroupPublic,
    Id,
    OrganisationCreate,
    OrganisationPublic,
    RoutingRuleCreate,
    RoutingRulePublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from servops.errors import ConflictError, NotFoundError
from servops.service import access, config_store, routing
from servops.service.db import server_message
from servops.service.models import (
    Group,
    GroupMember,
    Organisation,
    RoutingRule,
    User,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from servops.service.access import Principal

__all__ = ["router"]

_T = TypeVar("_T")

router = APIRouter(tags=["admin"])


def _admin(p: Principal) -> None:
    access.require_role(p, "admin")
    access.require_scope(p, "admin")


def _commit(session: Session, what: str) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        msg = (
            f"{what} clashes with an existing row or refers to a missing one: "
            f"{server_message(exc)}"
        )
        raise ConflictError(msg) from exc


def _get(session: Session, cls: type[_T], id_: int, what: str) -> _T:
    row = session.get(cls, id_)
    if row is None:
        msg = f"{what} {id_} does not exist."
        raise NotFoundError(msg)
    return row


# --- organisations ---------------------------------------------------------------------


@router.post("/organisations", status_code=201, summary="Create an organisation")
def create_organisation(
    body: OrganisationCreate, session: Db, caller: Caller
) -> OrganisationPublic:
    _admin(caller)
    row = Organisation(name=body.name)
    session.add(row)
    _commit(session, f"organisation {body.name!r}")
    return OrganisationPublic.model_validate(row)


@router.get("/organisations", summary="List organisations")
def list_organisations(session: Db, caller: Caller) -> list[OrganisationPublic]:
    _admin(caller)
    rows = session.scalars(select(Organisation).order_by(Organisation.id)).all()
    return [OrganisationPublic.model_validate(r) for r in rows]


# --- users -----------------------------------------------------------------------------


def _check_org(session: Session, organisation_id: int | None) -> None:
    if organisation_id is not None:
        _get(session, Organisation, organisation_id, "organisation")


@router.post("/users", status_code=201, summary="Create a user")
def create_user(body: UserCreate, session: Db, caller: Caller) -> UserPublic:
    _admin(caller)
    _check_org(session, body.organisation_id)
    row = User(
        email=body.email,
        name=body.name,
        role=body.role,
        organisation_id=body.organisation_id,
        password_hash=None
        if body.password is None
        else access.hash_password(body.password),
        active=True,
        skills=list(body.skills),
        capacity=body.capacity,
    )
    session.add(row)
    _commit(session, f"user {body.email!r}")
    return UserPublic.model_validate(row)


@router.get("/users", summary="List users")
def list_users(
    session: Db,
    caller: Caller,
    role: Annotated[access.Role | None, Query()] = None,
    organisation_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[UserPublic]:
    _admin(caller)
    q = select(User).order_by(User.id)
    if role is not None:
        q = q.where(User.role == role)
    if organisation_id is not None:
        q = q.where(User.organisation_id == organisation_id)
    return [UserPublic.model_validate(r) for r in session.scalars(q).all()]


@router.get("/users/me", summary="The caller")
def me(session: Db, caller: Caller) -> UserPublic:
    return UserPublic.model_validate(_get(session, User, caller.user_id, "user"))


@router.patch("/users/{user_id}", summary="Change a user")
def update_user(
    user_id: PathId, body: UserUpdate, request: Request, session: Db, caller: Caller
) -> UserPublic:
    _admin(caller)
    row = _get(session, User, user_id, "user")
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    password = changes.pop("password", None)
    for key, value in changes.items():
        setattr(row, key, value)
    if password is not None:
        row.password_hash = access.hash_password(password)
    _commit(session, f"user {user_id}")
    # the user's tokens carry its role, organisation and active flag: read them afresh
    request.app.state.token_cache.clear()
    return UserPublic.model_validate(row)


# --- groups ----------------------------------------------------------------------------


def _group_public(session: Session, g: Group) -> GroupPublic:
    members = session.scalars(
        select(GroupMember.user_id)
        .where(GroupMember.group_id == g.id)
        .order_by(GroupMember.user_id)
    ).all()
    return GroupPublic(
        id=g.id, name=g.name, supervisor_id=g.supervisor_id, member_ids=list(members)
    )


@router.post("/groups", status_code=201, summary="Create a group with members")
def create_group(body: GroupCreate, session: Db, caller: Caller) -> GroupPublic:
    _admin(caller)
    for uid in [
        *body.member_ids,
        *([body.supervisor_id] if body.supervisor_id else []),
    ]:
        _get(session, User, uid, "user")
    g = Group(name=body.name, supervisor_id=body.supervisor_id)
    session.add(g)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        msg = f"group {body.name!r} exists already."
        raise ConflictError(msg) from exc
    session.add_all(
        GroupMember(group_id=g.id, user_id=u) for u in sorted(set(body.member_ids))
    )
    _commit(session, f"group {body.name!r}")
    return _group_public(session, g)


@router.get("/groups", summary="List groups")
def list_groups(session: Db, caller: Caller) -> list[GroupPublic]:
    access.require_role(caller, "agent")
    return [
        _group_public(session, g)
        for g in session.scalars(select(Group).order_by(Group.id))
    ]


@router.put("/groups/{group_id}/members", summary="Replace a group's members")
def set_members(
    group_id: PathId,
    member_ids: Annotated[list[Id], Body(max_length=500)],
    session: Db,
    caller: Caller,
) -> GroupPublic:
    _admin(caller)
    g = _get(session, Group, group_id, "group")
    for uid in member_ids:
        _get(session, User, uid, "user")
    session.execute(delete(GroupMember).where(GroupMember.group_id == group_id))
    session.add_all(
        GroupMember(group_id=group_id, user_id=u) for u in sorted(set(member_ids))
    )
    _commit(session, f"group {group_id}")
    return _group_public(session, g)


# --- routing ---------------------------------------------------------------------------


@router.post("/routing/rules", status_code=201, summary="Add a routing rule")
def create_rule(
    body: RoutingRuleCreate, session: Db, caller: Caller
) -> RoutingRulePublic:
    _admin(caller)
    conditions = routing.check_conditions(body.conditions, f"rule {body.name!r}")
    _get(session, Group, body.group_id, "group")
    row = RoutingRule(
        position=body.position,
        name=body.name,
        conditions=conditions,
        group_id=body.group_id,
        active=body.active,
    )
    session.add(row)
    _commit(session, f"rule {body.name!r}")
    return RoutingRulePublic.model_validate(row)


@router.get("/routing/rules", summary="List routing rules in the order they are tried")
def list_rules(session: Db, caller: Caller) -> list[RoutingRulePublic]:
    access.require_role(caller, "agent")
    rows = session.scalars(
        select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)
    )
    return [RoutingRulePublic.model_validate(r) for r in rows]


@router.delete(
    "/routing/rules/{rule_id}", status_code=204, summary="Remove a routing rule"
)
def delete_rule(rule_id: PathId, session: Db, caller: Caller) -> None:
    _admin(caller)
    _get(session, RoutingRule, rule_id, "routing rule")
    session.execute(delete(RoutingRule).where(RoutingRule.id == rule_id))
    session.commit()


@router.put(
    "/routing/config", summary="Store a new routing config (strategy, skills) as YAML"
)
def put_routing_config(
    yaml_text: Annotated[str, Body(media_type="text/plain", max_length=100_000)],
    session: Db,
    caller: Caller,
) -> dict[str, Any]:
    _admin(caller)
    config_store.save(session, "routing", yaml_text, caller.user_id)
    session.commit()
    cfg = routing.RoutingConfig.from_yaml(yaml_text)
    return {
        "strategy": cfg.strategy,
        "groups": dict(cfg.groups),
        "skills": {k: sorted(v) for k, v in cfg.skills.items()},
        "experiments": [e.name for e in cfg.experiments],
    }


# --- versioned config: sla, routing, statemachine --------------------------------------

ConfigText = Annotated[
    str, Body(media_type="text/plain", max_length=config_store.MAX_TEXT)
]


def startup_text(request: Request, kind: config_store.Kind) -> tuple[str, str]:
    """The text in force before any version is stored, and where it comes from."""
    if kind == "statemachine":
        from servops.service.statemachine import DEFAULT_STATE_MACHINE

        return DEFAULT_STATE_MACHINE.read_text(encoding="utf-8"), "default"
    if kind == "sla":
        sla = getattr(request.app.state.settings, "sla_config", None)
        if sla is not None:
            return Path(sla).read_text(encoding="utf-8"), str(sla)
        return "", "none (the service runs without SLA timers)"
    return "", "defaults (strategy least_loaded)"


def _live(kind: config_store.Kind) -> dict[str, Any]:
    """Whether the running service takes stored versions of ``kind`` live, and how."""
    if kind == "statemachine":
        return {
            "live": True,
            "note": "the next request uses it in every process: transitions, queues, "
            "wallboard; open SLA clocks follow its pending states at their next write "
            "or the worker's next tick",
        }
    if kind == "sla":
        return {"live": True, "note": "open tickets are re-targeted at the next tick"}
    return {"live": True, "note": "the next routed ticket uses it"}


@router.get("/config/{kind}", summary="The config text in force (newest version)")
def get_config(
    kind: config_store.Kind, request: Request, session: Db, caller: Caller
) -> dict[str, Any]:
    _admin(caller)
    v = config_store.current(session, kind)
    if v is not None:
        return v.to_dict() | {"source": f"version {v.id}", **_live(kind)}
    text, source = startup_text(request, kind)
    return _live(kind) | {
        "id": None,
        "kind": kind,
        "author_id": None,
        "author": None,
        "created_at": None,
        "content": text,
        "source": source,
    }


@router.get("/config/{kind}/versions", summary="Stored versions, oldest first")
def list_config_versions(
    kind: config_store.Kind, session: Db, caller: Caller
) -> list[dict[str, Any]]:
    _admin(caller)
    return [v.to_dict(content=False) for v in config_store.history(session, kind)]


@router.get(
    "/config/{kind}/versions/{version_id}",
    summary="One stored version with the diff from the one before",
)
def get_config_version(
    kind: config_store.Kind, version_id: PathId, session: Db, caller: Caller
) -> dict[str, Any]:
    _admin(caller)
    for v in config_store.history(session, kind):
        if v.id == version_id:
            return v.to_dict() | {"diff": config_store.diff(session, kind, version_id)}
    msg = f"{kind} version {version_id} does not exist."
    raise NotFoundError(msg)


@router.post("/config/{kind}/validate", summary="Check a config text without saving it")
def validate_config(
    kind: config_store.Kind, text: ConfigText, session: Db, caller: Caller
) -> dict[str, Any]:
    _admin(caller)
    config_store.validate(kind, text)
    if kind == "statemachine":
        config_store.check_stranded(session, text)
    return {"kind": kind, "valid": True}


@router.put(
    "/config/{kind}",
    status_code=201,
    summary="Store a new version (validated; the service uses it without restart)",
)
def put_config(
    kind: config_store.Kind, text: ConfigText, session: Db, caller: Caller
) -> dict[str, Any]:
    _admin(caller)
    v = config_store.save(session, kind, text, caller.user_id)
    session.commit()
    return v.to_dict(content=False) | _live(kind)
