"""The web app over real HTTP: a live uvicorn server, an SSE reader, the browser flow.

``LiveServer`` runs :func:`servops.api.create_app` on uvicorn in a thread (a free local
port, the real clock) so that Server-Sent Events stream and Chromium can load the pages.
``read_events`` reads an SSE stream until a condition holds. ``BrowserFlow`` drives the
issue's scenario step by step in Playwright (customer submits → the agent's queue shows
the ticket without reload → public reply → first-response clock stops → resolve), so
later steps (survey, wallboard, scorecards, accessibility) can continue from it.
``keep_screenshots`` checks a test's screenshots and keeps them in ``tests/artifacts/``.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import httpx

#: Screenshots are copied here when git ignores it (they are not committed).
ARTIFACTS = Path(__file__).parent / "artifacts"


def keep_screenshots(shots: Sequence[Path]) -> None:
    """Check each screenshot has content and copy them to ``tests/artifacts/`` if ignored."""
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(ARTIFACTS / "probe.png")],
        cwd=ARTIFACTS.parent,
        check=False,
        capture_output=True,
    )
    if ignored.returncode == 0:
        ARTIFACTS.mkdir(exist_ok=True)
        for shot in shots:
            shutil.copy(shot, ARTIFACTS / shot.name)
    for shot in shots:
        assert shot.stat().st_size > 5_000, shot


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """The service with its web app on ``http://127.0.0.1:<port>`` until ``stop()``."""

    def __init__(self, database_url: str, **settings: Any) -> None:
        import uvicorn

        from servops.api import ServiceSettings, create_app

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = ServiceSettings(
            database_url=database_url,
            secret_key=b"live-test-key" * 3,
            public_url=self.url,
            pool_size=4,
            **settings,
        )
        config = uvicorn.Config(
            create_app(self.settings),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                msg = f"the live server on {self.url} did not start"
                raise RuntimeError(msg)
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def login(client: httpx.Client, email: str, password: str) -> None:
    """Log ``client`` in through the login form (session and CSRF cookies)."""
    r = client.post("/app/login", data={"email": email, "password": password})
    assert r.status_code == 303, r.text


@dataclass
class SseEvent:
    id: int | None
    event: str | None
    data: dict[str, Any] | None


@dataclass
class SseRead:
    events: list[SseEvent] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


def read_events(
    client: httpx.Client,
    path: str,
    *,
    until: Callable[[SseRead], bool],
    headers: dict[str, str] | None = None,
    timeout_s: float = 10.0,
) -> SseRead:
    """Read the SSE stream at ``path`` until ``until(read)`` holds (then disconnect).

    Raises AssertionError when ``timeout_s`` passes first.
    """
    out = SseRead()
    current: dict[str, str] = {}
    deadline = time.monotonic() + timeout_s
    with client.stream("GET", path, headers=headers or {}, timeout=timeout_s) as r:
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith(":"):
                out.comments.append(line[1:].strip())
            elif line == "":
                if "data" in current or "id" in current:
                    out.events.append(
                        SseEvent(
                            id=int(current["id"]) if "id" in current else None,
                            event=current.get("event"),
                            data=json.loads(current["data"])
                            if "data" in current
                            else None,
                        )
                    )
                current = {}
            else:
                name, _, value = line.partition(":")
                current[name] = value.removeprefix(" ")
            if until(out):
                return out
            if time.monotonic() > deadline:
                break
    msg = f"the stream {path} did not reach the condition in {timeout_s} s: {out}"
    raise AssertionError(msg)


@dataclass
class BrowserFlow:
    """The issue's browser scenario on a live server, one method per step.

    ``customer`` and ``agent`` are Playwright pages (separate browser contexts, so
    separate sessions); console errors of both are collected in ``errors``.
    """

    base: str
    customer: Any
    agent: Any
    errors: list[str] = field(default_factory=list)
    number: str | None = None
    survey_url: str | None = None

    def watch(self, page: Any) -> None:
        page.on(
            "console",
            lambda m: (
                self.errors.append(f"console: {m.text}") if m.type == "error" else None
            ),
        )
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

    def log_in(self, page: Any, email: str, password: str) -> None:
        page.goto(f"{self.base}/app/login")
        page.fill("#email", email)
        page.fill("#password", password)
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert "/app/login" not in page.url, f"{email} could not log in"

    def open_agent_queue(self) -> None:
        self.agent.goto(f"{self.base}/app/queue/groups")
        self.agent.wait_for_selector("#live-status[data-state=open]", timeout=10_000)

    def customer_submits(self, subject: str, text: str) -> str:
        self.customer.goto(f"{self.base}/app/portal/new")
        self.customer.fill("#subject", subject)
        self.customer.fill("#text", text)
        self.customer.click("main button[type=submit]")
        self.customer.wait_for_url(re.compile(r".*/app/tickets/T-\d+$"))
        self.number = self.customer.url.rsplit("/", 1)[1]
        return self.number

    def queue_shows_ticket(self, *, within_s: float = 2.0) -> float:
        """Seconds until the agent's open queue page shows the ticket (no reload)."""
        assert self.number is not None
        start = time.monotonic()
        self.agent.wait_for_selector(
            f'tr[data-number="{self.number}"]', timeout=within_s * 1000
        )
        return time.monotonic() - start

    def agent_opens_ticket(self) -> None:
        self.agent.click(f'tr[data-number="{self.number}"] a')
        self.agent.wait_for_selector("#clock-first_response")

    def agent_replies_publicly(self, body: str) -> None:
        self.agent.fill("#reply-body", body)
        self.agent.check("input[name=visibility][value=public]")
        self.agent.click("#reply-h ~ form button[type=submit]")
        self.agent.wait_for_selector(
            "#clock-first_response[data-stage=met]", timeout=5_000
        )

    def agent_resolves(self) -> str | None:
        self.agent.click("button[data-to=resolved]")
        self.agent.wait_for_selector(
            "#ticket-state[data-state=resolved]", timeout=5_000
        )
        link = self.agent.locator("#survey-link a")
        self.survey_url = link.get_attribute("href") if link.count() else None
        return self.survey_url

    def screenshot(self, page: Any, path: Path, width: int) -> Path:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(path), full_page=True)
        return path
