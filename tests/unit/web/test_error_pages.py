"""Error pages under /app (HTML in the layout and language; the API keeps JSON); asset caching."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from servops.api.errors import install_error_handlers
from servops.web.errors import install_page_errors
from servops.web.i18n import LANG_COOKIE, MESSAGES
from tests.unit.api.conftest import client_class

if TYPE_CHECKING:
    from tests.unit.web.conftest import Web


def test_unknown_page_is_an_html_404_in_the_layout_and_language(web: Web) -> None:
    agent = web.login("agent")
    r = agent.get("/app/no-such-page")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert MESSAGES["en"]["error.not_found"] in r.text
    assert 'href="/app/queue"' in r.text  # the navigation of a logged-in agent
    agent.cookies.set(LANG_COOKIE, "zh")
    try:
        zh = agent.get("/app/tickets/T-1/no-such-part")
    finally:
        agent.cookies.set(LANG_COOKIE, "en")
    assert zh.status_code == 404
    assert MESSAGES["zh"]["error.not_found"] in zh.text
    assert MESSAGES["en"]["error.not_found"] not in zh.text
    assert '<html lang="zh-Hans">' in zh.text


def test_htmx_and_anonymous_and_wrong_method(web: Web) -> None:
    agent = web.login("agent")
    htmx = agent.get("/app/nowhere", headers={"HX-Request": "true"})
    assert htmx.status_code == 404
    assert htmx.headers["content-type"].startswith("text/plain")
    anonymous = client_class()(web.app).get("/app/nowhere")
    assert anonymous.status_code == 404
    assert MESSAGES["en"]["error.not_found"] in anonymous.text
    wrong = agent.delete("/app/wallboard")
    assert wrong.status_code == 405
    assert wrong.headers["content-type"].startswith("text/html")


def test_forbidden_page_is_html(web: Web) -> None:
    r = web.login("agent").get("/app/admin")
    assert r.status_code == 403
    assert MESSAGES["en"]["error.forbidden"] in r.text


def test_api_paths_keep_json(web: Web) -> None:
    r = web.world.call("agent", "GET", "/no-such-endpoint")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not Found"}
    r = web.world.call("agent", "GET", "/tickets/T-999999")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["type"]


def test_a_crash_on_a_page_is_an_html_500_without_the_exception_text() -> None:
    app = FastAPI()
    install_error_handlers(app)
    install_page_errors(app)

    @app.get("/app/boom")
    def page_boom() -> None:
        msg = "secret detail"
        raise RuntimeError(msg)

    @app.get("/boom")
    def api_boom() -> None:
        msg = "secret detail"
        raise RuntimeError(msg)

    client = client_class()(app, raise_server_exceptions=False)
    client.cookies.set(LANG_COOKIE, "zh")
    r = client.get("/app/boom")
    assert r.status_code == 500
    assert MESSAGES["zh"]["error.server"] in r.text
    assert "secret detail" not in r.text
    api = client.get("/boom")
    assert api.status_code == 500
    assert api.text == "Internal Server Error"


def test_versioned_assets_are_cached_by_the_browser(web: Web) -> None:
    from servops import __version__

    client = web.login("supervisor")
    page = client.get("/app/wallboard")
    head = page.text.split("</head>", 1)[0]
    assert f"/static/wallboard.css?v={__version__}" in head  # before the body paints
    r = client.get(f"/static/htmx.min.js?v={__version__}")
    assert r.status_code == 200
    assert "immutable" in r.headers["cache-control"]
    plain = client.get("/static/htmx.min.js")
    assert "immutable" not in plain.headers.get("cache-control", "")


def test_a_page_request_failing_validation_is_an_html_422_naming_the_field(
    web: Web,
) -> None:
    agent = web.login("agent")
    r = agent.get("/app/queue/rows?scope=everyone")
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
    assert "query.scope" in r.text
    assert 'href="/app/queue"' in r.text  # in the layout, with the navigation
    htmx = agent.get("/app/queue/rows?scope=everyone", headers={"HX-Request": "true"})
    assert htmx.status_code == 422
    assert htmx.headers["content-type"].startswith("text/plain")
    assert htmx.text.startswith("query.scope: ")
    api = web.world.call("agent", "GET", "/tickets?limit=not-a-number")
    assert api.status_code == 422
    assert api.json()["errors"][0]["field"] == "query.limit"
