"""Shared fixtures: one simulated AWS account per test session, reset before each test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.server import SimulatorServer
from cloudwarden.store.db import make_engine
from cloudwarden.store.models import Account

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


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of the test's own: a SQLite file in a directory that does not exist yet
    (make_engine creates it), or a throwaway schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'cloudwarden.db'}"
        return
    server_url: str = request.getfixturevalue("postgres_url")
    yield from throwaway_postgres_schema(server_url)


@pytest.fixture
def migrated_store(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on the test's own database (SQLite and PostgreSQL), migrated to the head."""
    from cloudwarden.store import db as store_db

    engine = store_db.make_engine(database_url)
    store_db.migrate(engine)
    yield store_db.session_factory(engine)
    engine.dispose()


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


def add_connected_account(db: Session, aws_account_id: str, *, name: str = "prod") -> Account:
    """An account of the default workspace whose read role has been connected."""
    from cloudwarden.store import models
    from cloudwarden.store import service as store_service
    from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID

    account = store_service.create_account(
        db=db,
        workspace_id=DEFAULT_WORKSPACE_ID,
        name=name,
        role_arn=f"arn:aws:iam::{aws_account_id}:role/CloudWardenReadOnly",
        regions=["us-east-1"],
    )
    account.status = models.AccountStatus.CONNECTED.value
    return account
