"""Shared fixtures: one simulated AWS account per test session, reset before each test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.server import SimulatorServer
from cloudwarden.store.db import make_engine

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


def throwaway_postgres_schema(server_url: str, prefix: str = "cw_test") -> Iterator[str]:
    """A URL whose connections work in a schema of their own on the server, dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(server_url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        url = make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()
