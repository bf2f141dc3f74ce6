"""The issue's scenario to its end in Debian Chromium: … → resolved → rated → the
wallboard and the scorecards change.

Continues :class:`tests.web_flow.BrowserFlow` (customer submits, the agent's queue shows
it live, public reply, resolve) with the customer answering the survey, while a
supervisor watches the wallboard (which must show the new ticket without a reload) and
then the scorecards (whose answer count must grow by one). Screenshots of the wallboard
and the scorecards at 1400 and 390 px go to ``tmp_path`` (and ``tests/artifacts/`` when
git ignores it).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

import pytest

from tests.browser import chromium
from tests.web_flow import BrowserFlow, keep_screenshots

if TYPE_CHECKING:
    from pathlib import Path

    from tests.unit.web.conftest import Web
    from tests.web_flow import LiveServer

pytestmark = pytest.mark.browser


def _tile(page, name: str) -> int:
    return int(page.locator(f'[data-figure="{name}"]').inner_text())


def _desk(page) -> tuple[int, int]:
    """(decided tickets, survey answers) from the scorecard page's desk line."""
    text = page.locator('[data-figure="desk"]').inner_text()
    m = re.search(r"of (\d+) decided tickets; CSAT [^ ]+ from (\d+) answers", text)
    assert m is not None, text
    return int(m.group(1)), int(m.group(2))


def _wait_for(check, timeout_s: float) -> float:
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout_s:
            msg = f"not within {timeout_s} s"
            raise AssertionError(msg)
        time.sleep(0.1)
    return time.monotonic() - start


def test_flow_to_rating_changes_wallboard_and_scorecards(
    web: Web, live: LiveServer, tmp_path: Path
) -> None:
    web.route_everything_to("Support")  # the agent's group
    # one decided and rated ticket before, so the scorecard page has a desk line
    t = web.ticket("customer", subject="earlier", priority="P3")
    r = web.world.call(
        "agent", "POST", f"/tickets/{t['number']}/transition", json={"to": "resolved"}
    )
    token = r.json()["survey_url"].rsplit("/", 1)[1]
    assert web.world.call(
        None, "POST", f"/surveys/{token}", json={"csat": 3}
    ).is_success
    shots: list[Path] = []
    with chromium() as browser:
        size = {"width": 1400, "height": 900}
        flow = BrowserFlow(
            live.url,
            browser.new_context(viewport=size).new_page(),
            browser.new_context(viewport=size).new_page(),
        )
        boss = browser.new_context(viewport=size).new_page()
        requests: list[str] = []
        for page in (flow.customer, flow.agent, boss):
            flow.watch(page)
            page.on("request", lambda r: requests.append(r.url))
        flow.log_in(flow.customer, "customer@example.test", "pw-customer-123")
        flow.log_in(flow.agent, "agent@example.test", "pw-agent-123")
        flow.log_in(boss, "supervisor@example.test", "pw-supervisor-123")
        boss.goto(f"{live.url}/app/scorecards")
        decided0, answers0 = _desk(boss)
        boss.goto(f"{live.url}/app/wallboard")
        boss.wait_for_selector("#live-status[data-state=open]", timeout=10_000)
        open0 = _tile(boss, "open")
        arrivals0 = _tile(boss, "arrivals")
        flow.open_agent_queue()
        flow.customer_submits("Screen flickers", "Since the update this morning.")
        assert flow.queue_shows_ticket(within_s=2.0) < 2.0
        # the wallboard counts it without a reload (live event -> board fragment)
        navigations = boss.evaluate("performance.getEntriesByType('navigation').length")
        _wait_for(lambda: _tile(boss, "open") == open0 + 1, 6.0)
        assert _tile(boss, "arrivals") == arrivals0 + 1
        assert (
            boss.evaluate("performance.getEntriesByType('navigation').length")
            == navigations
        )
        flow.agent_opens_ticket()
        flow.agent_replies_publicly("Try another cable, please.")
        survey = flow.agent_resolves()
        assert survey is not None
        _wait_for(lambda: _tile(boss, "open") == open0, 6.0)
        # the customer rates it through the survey page
        flow.customer.goto(survey if "://" in survey else f"{live.url}{survey}")
        flow.customer.check("input[name=csat][value='5']")
        flow.customer.click("#survey button[type=submit]")
        flow.customer.wait_for_selector("#survey >> text=/[Tt]hank/", timeout=5_000)
        boss.goto(f"{live.url}/app/scorecards")
        decided1, answers1 = _desk(boss)
        assert (decided1, answers1) == (decided0 + 1, answers0 + 1)
        assert boss.locator("figure.chart svg").count() == 2  # on time, rating
        assert boss.locator("table.data tbody tr").count() >= 1
        for name, page_path in (
            ("scorecards", "/app/scorecards"),
            ("wallboard", "/app/wallboard"),
        ):
            boss.goto(f"{live.url}{page_path}")
            if name == "wallboard":
                boss.wait_for_selector("#analytics h3", timeout=30_000)
            for width in (1400, 390):
                shots.append(
                    flow.screenshot(boss, tmp_path / f"{name}-{width}.png", width)
                )
                # nothing wider than the viewport (no sideways scrolling page)
                scroll = boss.evaluate("document.documentElement.scrollWidth")
                assert scroll <= width + 1, (name, width, scroll)
            boss.set_viewport_size(size)
        assert flow.errors == []
        assert [u for u in requests if not u.startswith(live.url)] == []
    keep_screenshots(shots)
