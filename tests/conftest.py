"""Shared fixtures: one simulated AWS account per test session, reset before each test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.server import SimulatorServer

POSTGRES_URL_ENV = "CLOUDWARDEN_TEST_POSTGRES_URL"
REDIS_URL_ENV = "CLOUDWARDEN_TEST_REDIS_URL"


@pytest.fixture(scope="session")
def simulator_server() -> Iterator[SimulatorServer]:
    # tick_seconds=0: tests drive alarm evaluation explicitly, so nothing fires behind their back.
    server = SimulatorServer(tick_seconds=0).start()
    yield server
    server.stop()


@pytest.fixture
def sim(simulator_server: SimulatorServer) -> Iterator[SimulatorClient]:
    """A clean simulated account (moto reset plus CloudWarden's extensions)."""
    client = SimulatorClient(simulator_server.endpoint)
    client.reset()
    yield client


@pytest.fixture
def postgres_url() -> str:
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_URL_ENV} (CI sets it)")
    return url
