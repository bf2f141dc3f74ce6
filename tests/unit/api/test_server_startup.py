"""``create_app(freeze_gc=True, warm_pool=True)``: a server process's start-up (issue 17)."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import servops
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


def _rows(url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from servops.service.db import make_engine
    from servops.service.models import Base

    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return {
                t.name: int(c.execute(select(func.count()).select_from(t)).scalar_one())
                for t in Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()


@pytest.mark.parametrize("sla", [False, True])
def test_a_server_app_opens_and_warms_its_pool_at_start_up(
    pg_url: str, sla: bool
) -> None:
    # with SLA policies the commit hooks write timer rows: rolled back as well
    kpi = Path(servops.__file__).parent / "demo" / "kpi.yaml"
    settings = ServiceSettings(
        pg_url, migrate=False, pool_size=3, sla_config=kpi if sla else None
    )
    before = _rows(pg_url)
    app = create_app(settings, warm_pool=True)
    with client_class()(app) as client:
        pool = app.state.engine.pool
        assert pool.checkedin() == 3  # before any request: open, idle
        assert pool.checkedout() == 0
        # every pooled connection has rehearsed the writes: its statements are
        # prepared (a create's ticket and event INSERTs, an update's ticket UPDATE)
        held = [app.state.engine.raw_connection() for _ in range(3)]
        try:
            for raw in held:
                texts = " ".join(
                    sql for sql, _ in raw.driver_connection.servops_prepared
                )
                assert "INSERT INTO tickets" in texts
                assert "INSERT INTO events" in texts
                assert "UPDATE tickets" in texts
                assert ("INSERT INTO sla_timers" in texts) == sla
        finally:
            for raw in held:
                raw.close()
        assert _rows(pg_url) == before  # the rehearsal was rolled back
        assert client.get("/health").status_code == 200
    cold = create_app(ServiceSettings(pg_url, migrate=False, pool_size=3))
    with client_class()(cold):
        assert cold.state.engine.pool.checkedin() == 0  # connected at first use
