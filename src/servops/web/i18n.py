"""The web app's languages: English and Simplified Chinese, one catalogue per language.

Every string on the pages is a key of :data:`MESSAGES` looked up with :func:`translate`
(``t("nav.queue")`` in the templates). The language is the user's choice (the
``servops_lang`` cookie, set by ``/app/lang/<code>``), else the best of the browser's
``Accept-Language``, else English.

Examples
--------
>>> translate("zh", "nav.queue")
'我的队列'
>>> choose_language(None, "zh-CN,zh;q=0.9,en;q=0.8")
'zh'
>>> choose_language("en", "zh-CN")
'en'
"""

from __future__ import annotations

from typing import Literal, get_args

from servops.errors import InvalidParameterError

__all__ = [
    "LANGUAGES",
    "LANG_COOKIE",
    "MESSAGES",
    "Language",
    "choose_language",
    "translate",
]

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
LANG_COOKIE = "servops_lang"

#: Language names shown in the switcher (each in its own language).
NATIVE_NAMES: dict[Language, str] = {"en": "English", "zh": "简体中文"}

EN: dict[str, str] = {
    "app.title": "servops service desk",
    "app.skip": "Skip to content",
    "nav.label": "Main",
    "nav.queue": "My queue",
    "nav.group_queue": "My groups' queues",
    "nav.portal": "My tickets",
    "nav.new_ticket": "New ticket",
    "nav.wallboard": "Wallboard",
    "nav.scorecards": "Scorecards",
    "nav.admin": "Admin",
    "nav.api": "API",
    "nav.logout": "Log out",
    "nav.language": "Language",
    "nav.signed_in_as": "Signed in as {name} ({role})",
    "role.customer": "customer",
    "role.agent": "agent",
    "role.supervisor": "supervisor",
    "role.admin": "admin",
    "login.title": "Log in",
    "login.email": "Email",
    "login.password": "Password",
    "login.submit": "Log in",
    "login.failed": "Wrong email or password.",
    "live.connected": "Live",
    "live.reconnecting": "Reconnecting…",
    "error.title": "Something went wrong",
    "error.not_found": "Not found, or you may not see it.",
    "error.back": "Back",
}

ZH: dict[str, str] = {
    "app.title": "servops 服务台",
    "app.skip": "跳到正文",
    "nav.label": "主导航",
    "nav.queue": "我的队列",
    "nav.group_queue": "我所在组的队列",
    "nav.portal": "我的工单",
    "nav.new_ticket": "新建工单",
    "nav.wallboard": "监控大屏",
    "nav.scorecards": "绩效卡",
    "nav.admin": "管理",
    "nav.api": "API",
    "nav.logout": "退出",
    "nav.language": "语言",
    "nav.signed_in_as": "当前用户：{name}（{role}）",
    "role.customer": "客户",
    "role.agent": "坐席",
    "role.supervisor": "主管",
    "role.admin": "管理员",
    "login.title": "登录",
    "login.email": "电子邮箱",
    "login.password": "密码",
    "login.submit": "登录",
    "login.failed": "邮箱或密码错误。",
    "live.connected": "实时",
    "live.reconnecting": "正在重新连接…",
    "error.title": "出错了",
    "error.not_found": "未找到，或您无权查看。",
    "error.back": "返回",
}

MESSAGES: dict[Language, dict[str, str]] = {"en": EN, "zh": ZH}


def translate(lang: Language, key: str, **values: object) -> str:
    """The message ``key`` in ``lang`` with ``{name}`` fields filled from ``values``.

    An unknown key is an error (a test checks every key the templates use exists in
    both languages), never a silent fallback.
    """
    try:
        text = MESSAGES[lang][key]
    except KeyError:
        msg = (
            f"no message {key!r} in the {lang!r} catalogue of servops.web.i18n; "
            "add it to both EN and ZH."
        )
        raise InvalidParameterError(msg) from None
    return text.format(**values) if values else text


def _as_language(code: str) -> Language | None:
    base = code.strip().lower().replace("_", "-").split("-")[0]
    for lang in LANGUAGES:
        if lang == base:
            return lang
    return None


def choose_language(cookie: str | None, accept_language: str | None) -> Language:
    """The page language: the cookie's choice, else the best of ``Accept-Language``, else en."""
    if cookie:
        chosen = _as_language(cookie)
        if chosen is not None:
            return chosen
    best: tuple[float, Language] | None = None
    for part in (accept_language or "").split(","):
        code, _, params = part.partition(";")
        lang = _as_language(code) if code.strip() not in ("", "*") else None
        if lang is None:
            continue
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                continue
        if best is None or q > best[0]:  # ties: the earlier entry wins
            best = (q, lang)
    return best[1] if best is not None and best[0] > 0 else "en"
