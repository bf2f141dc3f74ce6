"""Logging in through the page, the redirect of anonymous visitors, language choice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.unit.api.conftest import client_class

if TYPE_CHECKING:
    from tests.unit.web.conftest import Web


def test_anonymous_page_redirects_to_login(web: Web) -> None:
    client = client_class()(web.app, follow_redirects=False)
    r = client.get("/app")
    assert r.status_code == 303
    assert r.headers["location"] == "/app/login?next=/app"
    r = client.get("/app", headers={"HX-Request": "true"})
    assert r.status_code == 401
    assert r.headers["HX-Redirect"] == "/app/login?next=/app"


def test_login_page_renders_and_wrong_password_is_401(web: Web) -> None:
    client = client_class()(web.app, follow_redirects=False)
    page = client.get("/app/login")
    assert page.status_code == 200
    assert 'name="password"' in page.text
    assert "/static/htmx.min.js" in page.text
    r = client.post(
        "/app/login", data={"email": "agent@example.test", "password": "nope"}
    )
    assert r.status_code == 401
    assert "Wrong email or password." in r.text
    assert "servops_session" not in client.cookies


def test_login_sets_session_and_csrf_and_sends_role_home(web: Web) -> None:
    for who, home in (("customer", "/app/portal"), ("agent", "/app/queue")):
        client = web.login(who)
        assert client.cookies["servops_session"]
        assert client.cookies["servops_csrf"]
        r = client.get("/app")
        assert r.status_code == 303
        assert r.headers["location"] == home


def test_login_next_is_only_a_local_path(web: Web) -> None:
    client = client_class()(web.app, follow_redirects=False)
    data = {"email": "agent@example.test", "password": "pw-agent-123"}
    r = client.post("/app/login", data=data | {"next": "//evil.example/x"})
    assert r.headers["location"] == "/app"
    r = client.post("/app/login", data=data | {"next": "/app/queue/groups"})
    assert r.headers["location"] == "/app/queue/groups"


def test_language_cookie_and_accept_language(web: Web) -> None:
    client = client_class()(web.app, follow_redirects=False)
    assert "登录" in client.get("/app/login", headers={"Accept-Language": "zh-CN"}).text
    r = client.get("/app/lang/zh?next=/app/login")
    assert r.status_code == 303
    assert r.headers["location"] == "/app/login"
    page = client.get("/app/login", headers={"Accept-Language": "en"})
    assert 'lang="zh-Hans"' in page.text
    assert "电子邮箱" in page.text
    assert client.get("/app/lang/fr").status_code == 422


def test_static_assets_are_served_from_the_package(web: Web) -> None:
    client = client_class()(web.app)
    js = client.get("/static/htmx.min.js")
    assert js.status_code == 200
    assert "htmx" in js.text[:200]
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/static/htmx.LICENSE.txt").text.startswith("Zero-Clause BSD")
