"""Open an HTML file in real headless Chromium (Debian's, via Playwright) for tests.

Nothing downloads a browser: Playwright drives ``/usr/bin/chromium``, which ``.ci/run``
installs with apt-get. Tests that need it use the ``browser_page`` helper and are skipped
with a clear reason when Chromium is absent.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def chromium() -> Iterator[Any]:
    """A Playwright ``Browser`` on Debian Chromium, closed at the end.

    The test is skipped when ``/usr/bin/chromium`` or Playwright is missing (``.ci/run``
    installs both; nothing downloads a browser).
    """
    exe = chromium_path()
    if exe is None:
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PageVisit:
    page: Any
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@contextmanager
def open_page(
    html: Path, *, width: int = 1280, height: int = 900
) -> Iterator[PageVisit]:
    """Load ``html`` in headless Chromium; collect console errors, page errors, requests."""
    with chromium() as browser:
        page = browser.new_page(viewport={"width": width, "height": height})
        visit = PageVisit(page)
        page.on(
            "console",
            lambda m: (
                visit.console_errors.append(m.text) if m.type == "error" else None
            ),
        )
        page.on("pageerror", lambda e: visit.page_errors.append(str(e)))
        page.on("request", lambda r: visit.requests.append(r.url))
        page.goto(html.resolve().as_uri())
        page.wait_for_load_state("load")
        yield visit


def external_requests(visit: PageVisit) -> list[str]:
    """Requests that left the file (anything but file: and data: URLs)."""
    return [u for u in visit.requests if not u.startswith(("file:", "data:", "about:"))]


def screenshot(
    visit: PageVisit, path: Path, check: Callable[[bytes], None] | None = None
) -> Path:
    """Save a full-page PNG screenshot and return its path."""
    data = visit.page.screenshot(path=str(path), full_page=True)
    if check is not None:
        check(data)
    return path
