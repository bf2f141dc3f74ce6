"""Shared fixtures of the simulation tests: the demo service desk and its twin."""

from __future__ import annotations

import pytest

import servops as so
from servops.demo.generator import generate_service_desk
from servops.sim import Model, discover_model


@pytest.fixture(scope="session")
def demo_log() -> so.EventLog:
    """The demo's service-desk log (1,200 tickets, seed 5)."""
    return so.read_log(generate_service_desk(cases=1200, seed=5).events)


@pytest.fixture(scope="session")
def demo_twin(demo_log: so.EventLog) -> Model:
    """The twin discovered from :func:`demo_log`."""
    return discover_model(demo_log)
