"""Shared fixtures: the tiny hand-countable log, real logs from ../shared/data, DuckDB."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pytest

import servops as so
from tests.paths import DATA

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def tiny_log() -> so.EventLog:
    """Five cases, 18 events, countable by hand (tests/data/tiny.csv).

    c1 Register→Triage→Resolve→Close; c2 Register→Triage→Escalate→Resolve→Close;
    c3 like c1; c4 Register→Resolve→Close; c5 Register→Triage (still open).
    """
    return so.read_log(DATA / "tiny.csv")


@pytest.fixture
def duckdb_con() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(":memory:")
    yield con
    con.close()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261121)
