"""``deps.in_thread``: the session and settings come from the worker thread, not FastAPI.

No database: the app's session factory makes recording stand-ins, so the tests see which
thread made and closed each session, and in what order with the endpoint's body.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel

from servops.api.deps import (
    Caller,
    Db,
    PathId,
    Settings,
    get_principal,
    get_session,
    in_thread,
)
from servops.api.errors import install_error_handlers
from servops.errors import ConflictError
from servops.service.access import Principal
from tests.unit.api.conftest import client_class

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

MAIN = threading.main_thread()


@dataclass
class FakeSession:
    """Records what happened to it, and in which thread."""

    log: list[tuple[str, str]]
    closed: bool = False

    def note(self, what: str) -> None:
        self.log.append((what, threading.current_thread().name))

    def in_transaction(self) -> bool:
        return False  # what the endpoints leave after a commit

    def close(self) -> None:
        self.closed = True
        self.note("close")


@dataclass
class FakeFactory:
    made: list[FakeSession] = field(default_factory=list)
    log: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self) -> FakeSession:
        s = FakeSession(self.log)
        s.note("make")
        self.made.append(s)
        return s


class Out(BaseModel):
    id: int
    open: bool
    public_url: str


class In(BaseModel):
    fail: bool = False


def _app() -> tuple[FastAPI, FakeFactory, APIRouter]:
    router = APIRouter(prefix="/things")

    @in_thread(router.post("/{thing_id}", status_code=201))
    def write(thing_id: PathId, body: In, session: Db, settings: Settings) -> Out:
        """Write a thing."""
        session.note("body")  # type: ignore[attr-defined]
        if body.fail:
            msg = f"thing {thing_id} changed meanwhile."
            raise ConflictError(msg)
        return Out(id=thing_id, open=not session.closed, public_url=settings.public_url)  # type: ignore[attr-defined]

    @in_thread(router.get("/{thing_id}"))
    def read(thing_id: PathId, request: Request, session: Db, caller: Caller) -> Out:
        session.note("read")  # type: ignore[attr-defined]
        return Out(id=thing_id, open=True, public_url=str(request.url.path))

    @in_thread(router.delete("/{thing_id}", status_code=204))
    def remove(thing_id: PathId, session: Db) -> None:
        session.note("remove")  # type: ignore[attr-defined]

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    factory = FakeFactory()
    app.state.sessionmaker = factory
    app.state.settings = type("S", (), {"public_url": "http://svc"})()
    return app, factory, router


@pytest.fixture
def world() -> tuple[TestClient, FakeFactory]:
    app, factory, _ = _app()
    return client_class()(app), factory


def test_the_session_lives_in_the_worker_thread(
    world: tuple[TestClient, FakeFactory],
) -> None:
    client, factory = world
    r = client.post("/things/3", json={})
    assert r.status_code == 201, r.text
    assert r.json() == {"id": 3, "open": True, "public_url": "http://svc"}
    [session] = factory.made
    assert session.closed
    assert [what for what, _ in factory.log] == ["make", "body", "close"]
    threads = {thread for _, thread in factory.log}
    assert len(threads) == 1  # one hop: made, used and closed in the same thread
    assert MAIN.name not in threads


def test_an_error_closes_the_session_and_answers_as_before(
    world: tuple[TestClient, FakeFactory],
) -> None:
    client, factory = world
    r = client.post("/things/4", json={"fail": True})
    assert r.status_code == 409
    assert r.json()["detail"] == "thing 4 changed meanwhile."
    assert [s.closed for s in factory.made] == [True]
    # a request that fails validation makes no session at all
    assert client.post("/things/0", json={}).status_code == 422
    assert client.post("/things/5", json={"fail": "x"}).status_code == 422
    assert len(factory.made) == 1
    # nor does one that fails authentication: the caller is solved before the body
    r = client.get("/things/6")
    assert r.status_code == 401
    assert len(factory.made) == 1


def test_a_caller_and_the_request_still_come_from_fastapi(
    world: tuple[TestClient, FakeFactory], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, factory = world
    seen: list[Principal] = []
    principal = Principal(1, "agent", None, frozenset(), "token")

    async def fake_principal(_request: Request) -> Principal:
        seen.append(principal)
        return principal

    app: Any = client.app
    monkeypatch.setitem(app.dependency_overrides, get_principal, fake_principal)
    r = client.get("/things/7")
    assert r.status_code == 200, r.text
    assert r.json()["public_url"] == "/things/7"
    assert seen == [principal]
    assert [s.closed for s in factory.made] == [True]
    assert client.delete("/things/8").status_code == 204
    assert [what for what, _ in factory.log][-3:] == ["make", "remove", "close"]


def test_the_registered_route_hides_session_and_settings() -> None:
    app, _, router = _app()
    routes: dict[str, Any] = {getattr(r, "name", ""): r for r in router.routes}
    write = routes["write"]
    # neither is a FastAPI dependency (no generator to solve, no exit stack)
    assert write.dependant.dependencies == []
    calls = [d.call for r in routes.values() for d in r.dependant.dependencies]
    assert get_session not in calls
    assert write.response_model is Out
    assert routes["remove"].response_model is None
    spec = app.openapi()["paths"]["/things/{thing_id}"]
    assert [p["name"] for p in spec["post"]["parameters"]] == ["thing_id"]
    assert spec["post"]["description"] == "Write a thing."
    assert [p["name"] for p in spec["get"]["parameters"]] == ["thing_id"]
    assert "requestBody" in spec["post"]
