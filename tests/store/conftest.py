"""Database fixtures: every store test runs on a SQLite file and on PostgreSQL.

PostgreSQL tests each get a schema of their own (dropped afterwards), so runs are independent,
can run in parallel and can run twice against the same server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cloudwarden.store import service
from cloudwarden.store.db import make_engine, migrate, session_factory
from cloudwarden.store.models import Account, Incident
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID


@pytest.fixture
def bare_engine(database_url: str) -> Iterator[Engine]:
    """An engine on an empty database (no migrations run)."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(bare_engine: Engine) -> Engine:
    migrate(bare_engine)
    return bare_engine


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def db(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is rolled back at the end unless the test commits it."""
    session = factory()
    yield session
    session.rollback()
    session.close()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def new_account(db: Session, *, name: str = "prod", role_arn: str | None = None) -> Account:
    role_arn = role_arn or f"arn:aws:iam::{uuid.uuid4().int % 10**12:012d}:role/CloudWardenReadOnly"
    return service.create_account(
        db=db, workspace_id=DEFAULT_WORKSPACE_ID, name=name, role_arn=role_arn, regions=["eu-west-1"]
    )


def new_incident(
    db: Session, account: Account, *, dedup_key: str | None = None, opened_at: str = "2025-11-20T10:00:00"
) -> Incident:
    incident, created = service.record_incident(
        db=db,
        workspace_id=DEFAULT_WORKSPACE_ID,
        account_id=account.id,
        alarm_name="api-5xx",
        alarm_arn="arn:aws:cloudwatch:eu-west-1:123456789012:alarm:api-5xx",
        region="eu-west-1",
        opened_at=at(opened_at),
        notification={"AlarmName": "api-5xx", "NewStateValue": "ALARM"},
        dedup_key=dedup_key or str(uuid.uuid4()),
    )
    assert created
    return incident
