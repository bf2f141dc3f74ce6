"""The admin's SLA policy editor in Debian Chromium: a valid change becomes a version with
its author, time and diff; an invalid YAML shows its line and reason and stores nothing.

Screenshots of the editor (with the error) at 1400 and 390 px go to ``tmp_path`` (and
``tests/artifacts/`` when git ignores it); axe-core finds no serious or critical
violation on the editor and the version page.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from tests.browser import chromium
from tests.pg import connect
from tests.unit.web.test_accessibility import AXE, _axe
from tests.web_flow import BrowserFlow, keep_screenshots

if TYPE_CHECKING:
    from pathlib import Path

    from tests.unit.web.conftest import Web
    from tests.web_flow import LiveServer

pytestmark = pytest.mark.browser

OLD_HOURS = 'mon-fri: "08:00-18:00"'
NEW_HOURS = 'mon-fri: "08:00-19:00"'
LATER_HOURS = 'mon-fri: "07:30-19:00"'


def _stored(web: Web) -> int:
    with connect(web.world.url) as con:
        return int(
            con.run("SELECT count(*) FROM config_versions WHERE kind = 'sla'")[0][0]
        )


def test_admin_edits_the_sla_policies_in_chromium(
    web: Web, live: LiveServer, tmp_path: Path
) -> None:
    shots: list[Path] = []
    violations: dict[str, object] = {}
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        flow = BrowserFlow(live.url, page, page)
        flow.watch(page)
        flow.log_in(page, "admin@example.test", "pw-admin-123")
        page.goto(f"{live.url}/app/admin")
        assert OLD_HOURS in page.locator("#cfg-content").input_value()  # the demo's
        versions_before = page.locator("tr[data-version]").count()
        stored_before = _stored(web)
        if AXE.exists():
            violations["editor"] = _axe(page)

        # a valid change: validate, then save (twice: the second version's diff
        # is against the first; the first one's is against no stored version)
        for old, new in ((OLD_HOURS, NEW_HOURS), (NEW_HOURS, LATER_HOURS)):
            text = page.locator("#cfg-content").input_value()
            page.locator("#cfg-content").fill(text.replace(old, new, 1))
            page.click("button[hx-post$='/validate']")
            page.wait_for_selector("#cfg-result [data-valid=true]", timeout=10_000)
            with page.expect_navigation():
                page.click("#cfg-form button[type=submit]")
        rows = page.locator("tr[data-version]")
        assert rows.count() == versions_before + 2
        assert _stored(web) == stored_before + 2
        newest = rows.first
        cells = newest.locator("td").all_inner_texts()
        assert cells[1] == "Admin"  # who
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", cells[2])  # when
        assert LATER_HOURS in page.locator("#cfg-content").input_value()
        newest.locator("a").click()
        page.wait_for_selector(".cfg-diff")
        assert page.locator(".cfg-diff del").all_inner_texts() == [
            f"-      {NEW_HOURS}"
        ]
        assert page.locator(".cfg-diff ins").all_inner_texts() == [
            f"+      {LATER_HOURS}"
        ]
        assert "Admin" in page.locator("main").inner_text()
        if AXE.exists():
            violations["version"] = _axe(page)

        # an invalid YAML: the line and the reason, nothing stored
        page.goto(f"{live.url}/app/admin/config/sla")
        lines = page.locator("#cfg-content").input_value().splitlines()
        bad = "\n".join([*lines[:5], "  oops: [unclosed", *lines[5:]])
        page.locator("#cfg-content").fill(bad)
        page.click("#cfg-form button[type=submit]")
        error = page.wait_for_selector("#cfg-result p.error", timeout=10_000)
        assert error is not None
        text = error.inner_text()
        assert "not valid YAML" in text
        line = int(error.get_attribute("data-error-line") or 0)
        assert line in (6, 7)  # the inserted line, or where YAML notices it
        assert f"line {line}" in text
        assert page.locator(f'.cfg-gutter mark[data-line="{line}"]').count() == 1
        assert _stored(web) == stored_before + 2
        assert page.locator("tr[data-version]").count() == versions_before + 2
        if AXE.exists():
            violations["editor with error"] = _axe(page)
        gutter = page.locator("#cfg-gutter").inner_text().split()
        assert gutter == [str(i) for i in range(1, len(bad.splitlines()) + 1)]
        for width in (1400, 390):
            page.set_viewport_size({"width": width, "height": 900})
            box = page.locator("#cfg-content").bounding_box()
            assert box is not None
            assert box["width"] > width / 2  # the text, not the gutter, is wide
            shot = tmp_path / f"admin-sla-error-{width}.png"
            page.screenshot(path=str(shot), full_page=True)
            shots.append(shot)
        assert flow.errors == []
    keep_screenshots(shots)
    if not AXE.exists():
        pytest.skip("axe-core is not installed (scripts/install-axe): not checked")
    assert all(v == [] for v in violations.values()), json.dumps(violations, indent=1)
