"""``create_app(freeze_gc=True, warm_pool=True)``: a server process's start-up (issue 17)."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

import pytest

from servops.api import ServiceSettings, create_app
from servops.api.app import GC_THRESHOLD
from tests.unit.api.conftest import client_class

if TYPE_CHECKING:
    from collections.abc import Iterator

    State = tuple[tuple[int, int, int], int]

#: Never connected: with ``migrate=False`` the start-up asks no database.
URL = "postgresql://nobody:x@127.0.0.1:9/none"


@pytest.fixture
def collector() -> Iterator[State]:
    """The collector's state before the test, checked unchanged after it."""
    before = (gc.get_threshold(), gc.get_freeze_count())
    yield before
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def test_a_server_app_freezes_its_start_up_objects(collector: State) -> None:
    threshold, frozen = collector
    app = create_app(ServiceSettings(URL, migrate=False), freeze_gc=True)
    with client_class()(app):
        # the app and its routes are in the permanent generation: a full collection
        # does not traverse them
        assert gc.get_freeze_count() > frozen + 10_000
        assert gc.get_threshold() == GC_THRESHOLD
    assert gc.get_threshold() == threshold
    assert gc.get_freeze_count() == frozen


def test_an_app_leaves_the_collector_alone_by_default(collector: State) -> None:
    threshold, frozen = collector
    with client_class()(create_app(ServiceSettings(URL, migrate=False))):
        assert gc.get_freeze_count() == frozen
        assert gc.get_threshold() == threshold


def test_a_server_app_opens_its_pool_at_start_up(pg_url: str) -> None:
    settings = ServiceSettings(pg_url, migrate=False, pool_size=3)
    app = create_app(settings, warm_pool=True)
    with client_class()(app):
        pool = app.state.engine.pool
        assert pool.checkedin() == 3  # before any request: open, idle
        assert pool.checkedout() == 0
    cold = create_app(settings)
    with client_class()(cold):
        assert cold.state.engine.pool.checkedin() == 0  # connected at first use
