"""The issue's scenario in Debian Chromium: submit → live queue → reply → clock → resolve.

Two browser contexts (customer and agent) on a live server; the agent's queue page is
open before the customer submits and must show the ticket within 2 s without a reload.
No console errors; screenshots at 1400 and 390 px wide are written to ``tmp_path`` (and
to ``tests/artifacts/`` when that directory is git-ignored).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser import chromium
from tests.web_flow import BrowserFlow, keep_screenshots

if TYPE_CHECKING:
    from pathlib import Path

    from tests.unit.web.conftest import Web
    from tests.web_flow import LiveServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
]  # ~55 s: a database, a server, Chromium


def test_customer_to_agent_flow_in_chromium(
    web: Web, live: LiveServer, tmp_path: Path
) -> None:
    web.route_everything_to("Support")  # the agent's group
    shots: list[Path] = []
    with chromium() as browser:
        customer = browser.new_context(viewport={"width": 1400, "height": 900})
        agent = browser.new_context(viewport={"width": 1400, "height": 900})
        flow = BrowserFlow(live.url, customer.new_page(), agent.new_page())
        requests: list[str] = []
        for page in (flow.customer, flow.agent):
            flow.watch(page)
            page.on("request", lambda r: requests.append(r.url))
        flow.log_in(flow.customer, "customer@example.test", "pw-customer-123")
        flow.log_in(flow.agent, "agent@example.test", "pw-agent-123")
        flow.open_agent_queue()
        before = flow.agent.evaluate(
            "performance.getEntriesByType('navigation').length"
        )
        number = flow.customer_submits(
            "Laptop will not boot", "Black screen since today."
        )
        waited = flow.queue_shows_ticket(within_s=2.0)
        assert waited < 2.0
        # no reload: still the same document
        assert (
            flow.agent.evaluate("performance.getEntriesByType('navigation').length")
            == before
        )
        assert flow.agent.url.endswith("/app/queue/groups")
        shots.append(flow.screenshot(flow.agent, tmp_path / "queue-1400.png", 1400))
        shots.append(flow.screenshot(flow.agent, tmp_path / "queue-390.png", 390))
        flow.agent.set_viewport_size({"width": 1400, "height": 900})
        flow.agent_opens_ticket()
        # the countdown is filled in and ticking (app.js, every second); a locator,
        # since live refreshes replace the element
        flow.agent.wait_for_selector("#clock-first_response .left:not(:empty)")
        left = flow.agent.locator("#clock-first_response .left")
        first = left.inner_text()
        flow.agent.wait_for_timeout(2100)
        assert left.inner_text() != first
        flow.agent_replies_publicly("Please hold the power button for 10 s.")
        assert (
            flow.agent.locator("#clock-first_response").get_attribute("data-stage")
            == "met"
        )
        shots.append(flow.screenshot(flow.agent, tmp_path / "ticket-1400.png", 1400))
        shots.append(flow.screenshot(flow.agent, tmp_path / "ticket-390.png", 390))
        flow.agent.set_viewport_size({"width": 1400, "height": 900})
        survey = flow.agent_resolves()
        assert survey is not None
        assert "/app/surveys/" in survey
        # the customer sees the public reply and the state, live
        flow.customer.goto(f"{live.url}/app/tickets/{number}")
        assert "Please hold the power button" in flow.customer.content()
        assert (
            flow.customer.locator("#ticket-state").get_attribute("data-state")
            == "resolved"
        )
        shots.append(
            flow.screenshot(flow.customer, tmp_path / "portal-ticket-390.png", 390)
        )
        flow.customer.goto(f"{live.url}/app/portal")
        shots.append(flow.screenshot(flow.customer, tmp_path / "portal-1400.png", 1400))
        # the agent switches to Chinese: the queue page follows the cookie
        flow.agent.goto(f"{live.url}/app/lang/zh?next=/app/queue/groups")
        assert flow.agent.locator("h1").inner_text() == "我所在组的队列"
        shots.append(flow.screenshot(flow.agent, tmp_path / "queue-zh-390.png", 390))
        assert flow.errors == []
        outside = [u for u in requests if not u.startswith(live.url)]
        assert outside == []
    keep_screenshots(shots)
