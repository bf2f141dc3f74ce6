"""axe-core on every page of the web app, in Debian Chromium: no serious or critical issue.

axe-core comes from the npm registry through ``scripts/install-axe`` (``.ci/run`` runs
it) into ``.ci/axe/``; it is injected from that file, never from a CDN. Without it (or
without Chromium) the test is skipped with the reason. Each page is checked as the role
that sees it, in English at 1400 and 390 px wide and in Chinese at 1400 px.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser import CHROMIUM_ARGS, chromium_path
from tests.web_flow import BrowserFlow

if TYPE_CHECKING:
    from tests.unit.web.conftest import Web
    from tests.web_flow import LiveServer

pytestmark = pytest.mark.browser

AXE = Path(__file__).parents[3] / ".ci" / "axe" / "axe.min.js"
BLOCKING = ("serious", "critical")


def _axe(page: Any) -> list[dict[str, Any]]:
    """The serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']}))"
        ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    return [v for v in result if v["impact"] in BLOCKING]


def test_no_serious_violations_on_any_page(web: Web, live: LiveServer) -> None:
    exe = chromium_path()
    if exe is None:
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run scripts/install-axe")
    sync_api = pytest.importorskip("playwright.sync_api")
    t = web.ticket("customer", subject="Accessible?", priority="P2")
    number = t["number"]
    r = web.world.call(
        "agent", "POST", f"/tickets/{number}/transition", json={"to": "resolved"}
    )
    survey = r.json()["survey_url"]
    survey_path = "/app/surveys/" + survey.rsplit("/", 1)[1]
    pages = {
        None: ["/app/login", survey_path],
        "customer": ["/app/portal", "/app/portal/new", f"/app/tickets/{number}"],
        "agent": ["/app/queue", "/app/queue/groups", f"/app/tickets/{number}"],
        "supervisor": [
            "/app/wallboard",
            "/app/scorecards",
            "/app/scorecards?by=team",
        ],
    }
    found: dict[str, list[dict[str, Any]]] = {}
    checked = 0
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            for who, paths in pages.items():
                for lang in ("en", "zh"):
                    ctx = browser.new_context(
                        viewport={"width": 1400, "height": 900},
                        locale="zh-CN" if lang == "zh" else "en-US",
                        extra_http_headers={
                            "Accept-Language": "zh-CN" if lang == "zh" else "en"
                        },
                    )
                    page = ctx.new_page()
                    if who is not None:
                        BrowserFlow(live.url, page, page).log_in(
                            page, f"{who}@example.test", f"pw-{who}-123"
                        )
                    for path in paths:
                        for width in (1400, 390) if lang == "en" else (1400,):
                            page.set_viewport_size({"width": width, "height": 900})
                            page.goto(f"{live.url}{path}")
                            if path == "/app/wallboard":
                                page.wait_for_selector("#analytics h3", timeout=30_000)
                            bad = _axe(page)
                            checked += 1
                            if bad:
                                found[f"{who} {lang} {width}px {path}"] = bad
                    ctx.close()
        finally:
            browser.close()
    assert checked == 3 * sum(len(p) for p in pages.values())
    assert found == {}, json.dumps(found, indent=1, ensure_ascii=False)
