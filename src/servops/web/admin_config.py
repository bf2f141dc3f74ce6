"""Admin pages for the versioned config: ``/app/admin`` and ``/app/admin/config/{kind}``.

A text editor per kind (SLA policies with calendars, routing, state machine) with line
numbers, a Validate button (HTMX: the error from :mod:`servops.service.config_store`, its
line highlighted), Save (a new version, append-only) and the history with author, time and
a diff view. The checks are the API's (:func:`servops.service.config_store.validate`,
``save``); nothing here parses YAML itself. Its strings join the web catalogue on import.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from servops.api.deps import Db, PathId  # noqa: TC001 (FastAPI resolves them)
from servops.api.routes.admin import startup_text
from servops.errors import ConfigError, ConflictError, NotFoundError
from servops.service import access, config_store
from servops.web.deps import PageCaller  # noqa: TC001 (FastAPI resolves it)
from servops.web.forms import Form  # noqa: TC001 (FastAPI resolves it)
from servops.web.i18n import MESSAGES
from servops.web.templating import render

__all__ = ["EN", "ZH", "error_line", "router"]

router = APIRouter(prefix="/app", include_in_schema=False)

KindPath = Annotated[config_store.Kind, Path()]

EN: dict[str, str] = {
    "admin.title": "Administration",
    "admin.intro": "Edit the service's configuration. Every save is a new version; the running service uses the newest one.",
    "admin.kind.sla": "SLA policies and calendars",
    "admin.kind.routing": "Routing",
    "admin.kind.statemachine": "State machine",
    "admin.source": "In force: {source}",
    "admin.validate": "Validate",
    "admin.save": "Save as new version",
    "admin.valid": "Valid.",
    "admin.invalid": "Not valid",
    "admin.line": "line {line}",
    "admin.history": "History",
    "admin.no_history": "No version stored yet: the start-up configuration is in force.",
    "admin.version": "Version",
    "admin.author": "Author",
    "admin.time": "Saved at",
    "admin.diff": "Changes from the version before",
    "admin.back": "Back to the editor",
    "admin.statemachine_note": "A saved state machine applies at once: the next request uses its states and transitions (ticket pages, API, queues, wallboard), and open SLA clocks follow its pending (paused) states from the next ticket change or worker tick. States that tickets are still in cannot be removed.",
}
ZH: dict[str, str] = {
    "admin.title": "系统管理",
    "admin.intro": "编辑服务配置。每次保存都是一个新版本；运行中的服务使用最新版本。",
    "admin.kind.sla": "SLA 策略与工作日历",
    "admin.kind.routing": "分派规则",
    "admin.kind.statemachine": "状态机",
    "admin.source": "当前生效：{source}",
    "admin.validate": "校验",
    "admin.save": "保存为新版本",
    "admin.valid": "校验通过。",
    "admin.invalid": "校验未通过",
    "admin.line": "第 {line} 行",
    "admin.history": "历史版本",
    "admin.no_history": "尚未保存任何版本：使用启动时的配置。",
    "admin.version": "版本",
    "admin.author": "作者",
    "admin.time": "保存时间",
    "admin.diff": "与上一版本相比的改动",
    "admin.back": "返回编辑器",
    "admin.statemachine_note": "保存的状态机立即生效：下一个请求即使用其状态与流转（工单页、API、队列、看板）；未结束的 SLA 计时从工单下一次变更或后台下一次计时起按其待定（暂停）状态计算。仍有工单处于的状态不能删除。",
}
for _lang, _strings in (("en", EN), ("zh", ZH)):
    for _key, _text in _strings.items():
        MESSAGES[_lang].setdefault(_key, _text)  # type: ignore[index]

_LINE = re.compile(r"\bline (\d+)\b")


def error_line(message: str) -> int | None:
    """The line a config error names (``… (sla, line 5): …``), or None."""
    m = _LINE.search(message)
    return int(m[1]) if m else None


def _admin(me: access.Principal) -> None:
    access.require_role(me, "admin")


def _editor(
    request: Request,
    me: access.Principal,
    session: Db,
    kind: config_store.Kind,
    text: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    cur = config_store.current(session, kind)
    if cur is not None:
        content, source = cur.content, f"v{cur.id}"
    else:
        content, source = startup_text(request, kind)
    shown = content if text is None else text
    return render(
        request,
        "admin_config.html.j2",
        me=me,
        kind=kind,
        kinds=config_store.KINDS,
        content=shown,
        lines=max(1, shown.count("\n") + 1),
        source=source,
        history=list(reversed(config_store.history(session, kind))),
        error=error,
        error_at=None if error is None else error_line(error),
        oob=False,
        status_code=status_code,
    )


@router.get("/admin")
def admin_home(request: Request, me: PageCaller, session: Db) -> HTMLResponse:
    _admin(me)
    return _editor(request, me, session, "sla")


@router.get("/admin/config/{kind}")
def admin_config(
    kind: KindPath, request: Request, me: PageCaller, session: Db
) -> HTMLResponse:
    _admin(me)
    return _editor(request, me, session, kind)


def _check(session: Db, kind: config_store.Kind, text: str) -> str | None:
    try:
        config_store.validate(kind, text)
        if kind == "statemachine":
            config_store.check_stranded(session, text)
    except (ConfigError, ConflictError) as exc:
        return str(exc)
    return None


@router.post("/admin/config/{kind}/validate")
def admin_validate(
    kind: KindPath, request: Request, me: PageCaller, session: Db, form: Form
) -> HTMLResponse:
    _admin(me)
    text = (form.values.get("content") or [""])[0]
    error = _check(session, kind, text)
    return render(
        request,
        "admin_config_result.html.j2",
        me=me,
        error=error,
        error_at=None if error is None else error_line(error),
        lines=max(1, text.count("\n") + 1),
        oob=True,
    )


@router.post("/admin/config/{kind}")
def admin_save(
    kind: KindPath, request: Request, me: PageCaller, session: Db, form: Form
) -> Response:
    _admin(me)
    text = (form.values.get("content") or [""])[0]
    error = _check(session, kind, text)
    if error is not None:
        return render(
            request,
            "admin_config_result.html.j2",
            me=me,
            error=error,
            error_at=error_line(error),
            lines=max(1, text.count("\n") + 1),
            oob=True,
        )
    config_store.save(session, kind, text, me.user_id)
    session.commit()
    return Response(
        status_code=201, headers={"HX-Redirect": f"/app/admin/config/{kind}"}
    )


@router.get("/admin/config/{kind}/versions/{version_id}")
def admin_version(
    kind: KindPath,
    version_id: PathId,
    request: Request,
    me: PageCaller,
    session: Db,
) -> HTMLResponse:
    _admin(me)
    for v in config_store.history(session, kind):
        if v.id == version_id:
            return render(
                request,
                "admin_version.html.j2",
                me=me,
                kind=kind,
                v=v,
                diff=config_store.diff(session, kind, version_id),
            )
    msg = f"{kind} version {version_id} does not exist."
    raise NotFoundError(msg)
