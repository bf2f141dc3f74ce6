"""The web app under test: the API app with its pages, a real PostgreSQL, users of each role.

``web`` (module scope) is the app with SLA timers (the demo KPI config) on a fresh
database seeded as the API tests' world (:func:`tests.unit.api.conftest.seed_world`:
organisations Acme and Globex, an agent group "Support", a user per role, passwords
``pw-<key>-123``). ``web.login(who)`` is a TestClient logged in through the login form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from tests.pg import _pg_template, pg_server, pg_url
from tests.unit.api.conftest import Clock, World, client_class, seed_world
from tests.web_flow import LiveServer

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi import FastAPI
    from fastapi.testclient import TestClient

__all__ = ["_pg_template", "pg_server", "pg_url"]


def password_of(who: str) -> str:
    """The seeded password of a world user."""
    return f"pw-{who}-123"


@dataclass
class Web:
    """The app, the seeded world and logged-in clients per user."""

    app: FastAPI
    world: World
    clients: dict[str, TestClient] = field(default_factory=dict)

    def login(self, who: str) -> TestClient:
        """A client logged in as ``who`` through ``POST /app/login`` (cached per user)."""
        if who not in self.clients:
            client = client_class()(self.app, follow_redirects=False)
            r = client.post(
                "/app/login",
                data={"email": f"{who}@example.test", "password": password_of(who)},
            )
            assert r.status_code == 303, r.text
            self.clients[who] = client
        return self.clients[who]

    def csrf(self, who: str) -> dict[str, str]:
        """The CSRF header of ``who``'s session (as app.js sends with HTMX requests)."""
        client = self.login(who)
        return {"X-CSRF-Token": client.cookies["servops_csrf"], "HX-Request": "true"}

    def post(self, who: str, path: str, data: dict[str, Any]) -> Any:
        """An HTMX form post as ``who`` (with the CSRF header)."""
        return self.login(who).post(path, data=data, headers=self.csrf(who))

    def route_everything_to(self, group: str) -> None:
        """A first routing rule (set by the admin) that sends every new ticket to ``group``."""
        r = self.world.call(
            "admin",
            "POST",
            "/routing/rules",
            json={
                "position": 1,
                "name": f"all to {group}",
                "conditions": {},
                "group_id": self.world.groups[group],
            },
        )
        assert r.status_code == 201, r.text

    def ticket(self, who: str, **body: Any) -> dict[str, Any]:
        """Create a ticket through the API as ``who``; its JSON."""
        r = self.world.call(who, "POST", "/tickets", json=body)
        assert r.status_code == 201, r.text
        out: dict[str, Any] = r.json()
        return out


@pytest.fixture(scope="module")
def live(web: Web) -> Iterator[LiveServer]:
    """The same database served over real HTTP by uvicorn (real clock), for SSE and
    the browser; the demo KPI config keeps SLA timers."""
    from servops.cli.serve import DEMO_KPI

    server = LiveServer(web.world.url, sla_config=DEMO_KPI, migrate=False).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def web(pg_url: str) -> Iterator[Web]:
    from servops.api import ServiceSettings, create_app
    from servops.cli.serve import DEMO_KPI

    clock = Clock()
    settings = ServiceSettings(
        database_url=pg_url,
        secret_key=b"web-test-key" * 3,
        now=clock,
        public_url="http://testserver",
        sla_config=DEMO_KPI,
        pool_size=4,
    )
    app = create_app(settings)
    with client_class()(app) as client:
        world = World(client=client, clock=clock, url=pg_url)
        seed_world(pg_url, world)
        yield Web(app=app, world=world)
