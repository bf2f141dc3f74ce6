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
from servops.web.i18n import LANG_COOKIE, LANGUAGES, NATIVE_NAMES, choose_language
from servops.web.i18n import translate as _translate

if TYPE_CHECKING:
    from fastapi import Request
    from jinja2 import Environment

    from servops.service.access import Principal, Role
    from servops.web.i18n import Language

__all__ = ["NAV", "NavItem", "language_of", "navigation", "render"]


@dataclass(frozen=True)
class NavItem:
    """A navigation entry: message key, path, lowest role that sees it, exact role only."""

    key: str
    path: str
    roles: tuple[Role, ...]


#: The navigation. An entry is shown when the caller has one of its roles and the app has
#: a route at its path (pages other helpers mount appear once they exist).
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
    paths = {getattr(r, "path", None) for r in request.app.routes}
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


@cache
def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("servops.web", "templates"),
        autoescape=select_autoescape(("html", "j2")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["languages"] = [(code, NATIVE_NAMES[code]) for code in LANGUAGES]
    env.globals["version"] = __version__
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
            static=static,
            nav=navigation(request, me),
            **context,
        )
    )
    return HTMLResponse(html, status_code=status_code, headers=headers)
