"""The API under test: one migrated database per module, users of every role with tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.pg import _pg_template, pg_server, pg_url

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi.testclient import TestClient

__all__ = ["_pg_template", "pg_server", "pg_url"]

ROLES = ("customer", "agent", "supervisor", "admin")


class Clock:
    """A settable UTC clock (starts at the real time; tests move it)."""

    def __init__(self) -> None:
        self.t = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **kw: float) -> None:
        self.t += timedelta(**kw)


@dataclass
class World:
    """Who is who in the test database, with a token per user (all their scopes)."""

    client: TestClient
    clock: Clock
    url: str
    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    orgs: dict[str, int] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def call(self, who: str | None, method: str, path: str, **kw: Any) -> Any:
        headers = kw.pop("headers", {}) | (self.h(who) if who else {})
        return self.client.request(method, path, headers=headers, **kw)


SCOPES = {
    "customer": ["tickets:read", "tickets:write"],
    "agent": ["tickets:read", "tickets:write", "alerts"],
    "supervisor": ["tickets:read", "tickets:write", "alerts"],
    "admin": ["tickets:read", "tickets:write", "alerts", "admin"],
}


def seed_world(url: str, world: World) -> None:
    from servops.service import access
    from servops.service.db import make_engine, make_sessionmaker
    from servops.service.models import Group, GroupMember, Organisation, User

    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as s:
            for name in ("Acme", "Globex"):
                o = Organisation(name=name)
                s.add(o)
                s.flush()
                world.orgs[name] = o.id
            people = [
                ("admin", "admin", None, None),
                ("supervisor", "supervisor", None, None),
                ("agent", "agent", None, 100),
                ("agent2", "agent", None, 100),
                ("customer", "customer", "Acme", None),
                ("customer_acme2", "customer", "Acme", None),
                ("customer_globex", "customer", "Globex", None),
            ]
            for key, role, org, cap in people:
                u = User(
                    email=f"{key}@example.test",
                    name=key.title(),
                    role=role,
                    organisation_id=world.orgs.get(org) if org else None,
                    password_hash=access.hash_password(f"pw-{key}-123"),
                    active=True,
                    skills=[],
                    capacity=cap,
                )
                s.add(u)
                s.flush()
                world.ids[key] = u.id
                _, text = access.create_token(
                    s,
                    u.id,
                    scopes=SCOPES[role],
                    expires_in=timedelta(days=30),
                    now=world.clock,
                )
                world.tokens[key] = text
            g = Group(name="Support", supervisor_id=world.ids["supervisor"])
            s.add(g)
            s.flush()
            world.groups["Support"] = g.id
            s.add_all(
                GroupMember(group_id=g.id, user_id=world.ids[k])
                for k in ("agent", "agent2")
            )
            s.commit()
    finally:
        engine.dispose()


def client_class() -> type[TestClient]:
    """Starlette's TestClient (it warns that plain httpx is deprecated in favour of httpx2)."""
    import warnings

    from starlette.exceptions import StarletteDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from fastapi.testclient import TestClient
    return TestClient


@pytest.fixture(scope="module")
def world(pg_url: str) -> Iterator[World]:
    TestClient = client_class()

    from servops.api import ServiceSettings, create_app

    clock = Clock()
    settings = ServiceSettings(
        database_url=pg_url,
        secret_key=b"test-key-" * 4,
        now=clock,
        public_url="http://testserver",
        pool_size=4,
    )
    with TestClient(create_app(settings)) as client:
        w = World(client=client, clock=clock, url=pg_url)
        seed_world(pg_url, w)
        yield w
