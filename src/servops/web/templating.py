"""Rendering pages: one Jinja2 environment over ``servops/web/templates``.

Every page gets ``t`` (the translator for the page's language), ``lang``, the caller
(``me``, or None on the login page), the role-based navigation (``nav``) and ``static``
(the URL of a vendored asset). Templates are autoescaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from fastapi.responses import HTMLResponse

from servops import __version__
from servops.web.i18n import (
    LANG_COOKIE,
    LANGUAGES,
    MESSAGES,
    NATIVE_NAMES,
    choose_language,
)
from servops.web.i18n import translate as _translate

if TYPE_CHECKING:
    from fastapi import Request
    from jinja2 import Environment

    from servops.service.access import Principal, Role
    from servops.web.i18n import Language

__all__ = ["NAV", "NavItem", "duration", "language_of", "navigation", "render"]


@dataclass(frozen=True)
class NavItem:
    """A navigation entry: its message key, its path and the roles that see it."""

    key: str
    path: str
    roles: tuple[Role, ...]


#: The navigation. An entry is shown when the caller has one of its roles and a mounted
#: page module has a route at its path (pages other helpers add appear once mounted).
NAV: tuple[NavItem, ...] = (
    NavItem("nav.portal", "/app/portal", ("customer",)),
    NavItem("nav.new_ticket", "/app/portal/new", ("customer",)),
    NavItem("nav.queue", "/app/queue", ("agent", "supervisor", "admin")),
    NavItem("nav.group_queue", "/app/queue/groups", ("agent", "supervisor", "admin")),
    NavItem("nav.wallboard", "/app/wallboard", ("supervisor", "admin")),
    NavItem("nav.scorecards", "/app/scorecards", ("supervisor", "admin")),
    NavItem("nav.admin", "/app/admin", ("admin",)),
    NavItem("nav.api", "/docs", ("admin",)),
)


def navigation(request: Request, me: Principal | None) -> list[dict[str, Any]]:
    """The entries of :data:`NAV` this caller sees, with ``current`` marking the page."""
    if me is None:
        return []
    paths = getattr(request.app.state, "web_paths", frozenset()) | {"/docs"}
    here = request.url.path
    return [
        {"label": item.key, "path": item.path, "current": here == item.path}
        for item in NAV
        if me.role in item.roles and item.path in paths
    ]


def language_of(request: Request) -> Language:
    """The page language: the ``servops_lang`` cookie, else Accept-Language, else en."""
    return choose_language(
        request.cookies.get(LANG_COOKIE), request.headers.get("accept-language")
    )


def duration(seconds: float | None) -> str:
    """Seconds as ``[Nd ]hh:mm:ss`` (``—`` for None).

    >>> duration(3725), duration(90061.4), duration(None)
    ('01:02:05', '1d 01:01:01', '—')
    """
    if seconds is None:
        return "—"
    s = round(seconds)
    days, rest = divmod(s, 86400)
    h, rest = divmod(rest, 3600)
    m, sec = divmod(rest, 60)
    return (f"{days}d " if days else "") + f"{h:02d}:{m:02d}:{sec:02d}"


@cache
def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    from servops.service.queues import clock_state

    env = Environment(
        loader=PackageLoader("servops.web", "templates"),
        autoescape=select_autoescape(("html", "j2")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["languages"] = [(code, NATIVE_NAMES[code]) for code in LANGUAGES]
    env.globals["version"] = __version__
    env.globals["clock_state"] = clock_state
    env.globals["duration"] = duration
    return env


def render(
    request: Request,
    template: str,
    *,
    me: Principal | None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,  # noqa: ANN401 - template values
) -> HTMLResponse:
    """The page ``template`` for ``request`` in the caller's language."""
    lang = language_of(request)

    def t(key: str, **values: object) -> str:
        return _translate(lang, key, **values)

    def tv(prefix: str, value: str | None) -> str:
        """The translation of ``prefix.value`` if the catalogue has it, else ``value``.

        For names that are data (states from the state machine's YAML, SLA metrics).
        """
        if value is None:
            return "—"
        key = f"{prefix}.{value}"
        return t(key) if key in MESSAGES[lang] else value

    def static(name: str) -> str:
        return f"/static/{name}?v={__version__}"

    html = (
        _environment()
        .get_template(template)
        .render(
            request=request,
            me=me,
            lang=lang,
            t=t,
            tv=tv,
            static=static,
            nav=navigation(request, me),
            **context,
        )
    )
    return HTMLResponse(html, status_code=status_code, headers=headers)
