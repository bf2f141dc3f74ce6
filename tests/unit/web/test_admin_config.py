"""Admin config pages: editor per kind, HTMX validate with the error line, save, history."""

from __future__ import annotations

import re

import pytest

GOOD = "strategy: round_robin\n"
BAD = "strategy: round_robin\ngroups:\n  L2: fastest\n"


@pytest.mark.parametrize("who", ["customer", "agent", "supervisor"])
def test_non_admins_get_403(web, who) -> None:
    r = web.login(who).get("/app/admin/config/routing")
    assert r.status_code == 403
    r = web.post(who, "/app/admin/config/routing", {"content": GOOD})
    assert r.status_code == 403


def test_editor_renders_in_english_and_chinese(web) -> None:
    c = web.login("admin")
    en = c.get("/app/admin/config/sla", headers={"Accept-Language": "en"})
    assert en.status_code == 200
    assert "SLA policies and calendars" in en.text
    assert 'id="cfg-content"' in en.text
    assert "calendars:" in en.text  # the start-up KPI config (the demo's)
    zh = c.get("/app/admin/config/statemachine", headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 200
    assert "状态机" in zh.text
    assert "校验" in zh.text
    assert "initial: new" in zh.text
    assert c.get("/app/admin").status_code == 200


def test_validate_shows_the_error_line_highlighted(web) -> None:
    r = web.post("admin", "/app/admin/config/routing/validate", {"content": BAD})
    assert r.status_code == 200
    assert 'data-error-line="3"' in r.text
    assert "unknown strategy &#39;fastest&#39;" in r.text
    assert re.search(r'<mark data-line="3">3</mark>', r.text)
    assert 'hx-swap-oob="true"' in r.text
    ok = web.post("admin", "/app/admin/config/routing/validate", {"content": GOOD})
    assert 'data-valid="true"' in ok.text
    assert "<mark" not in ok.text


def test_save_then_history_and_diff(web) -> None:
    bad = web.post("admin", "/app/admin/config/routing", {"content": BAD})
    assert 'data-error-line="3"' in bad.text
    r = web.post("admin", "/app/admin/config/routing", {"content": GOOD})
    assert r.status_code == 201
    assert r.headers["HX-Redirect"] == "/app/admin/config/routing"
    r = web.post(
        "admin", "/app/admin/config/routing", {"content": "strategy: least_loaded\n"}
    )
    assert r.status_code == 201
    page = web.login("admin").get("/app/admin/config/routing").text
    ids = [int(x) for x in re.findall(r'data-version="(\d+)"', page)]
    assert len(ids) == 2
    assert ids == sorted(ids, reverse=True)  # newest first
    assert "strategy: least_loaded" in page
    diff = web.login("admin").get(f"/app/admin/config/routing/versions/{ids[0]}")
    assert diff.status_code == 200
    assert "<del>-strategy: round_robin</del>" in diff.text
    assert "<ins>+strategy: least_loaded</ins>" in diff.text
    assert "Admin" in diff.text


def test_save_without_the_csrf_header_is_refused(web) -> None:
    c = web.login("admin")
    r = c.post("/app/admin/config/routing", data={"content": GOOD})
    assert r.status_code == 403
