"""Engine, sessions and migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, delete, func, inspect, select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from cloudwarden.store import service
from cloudwarden.store.base import Base
from cloudwarden.store.db import (
    current_revision,
    head_revision,
    make_engine,
    migrate,
    normalise_url,
    session_scope,
)
from cloudwarden.store.models import Account, Diagnosis, EvidenceRecord, Incident, MetricSeries
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID

from .conftest import new_account, new_incident


def schema_drift(engine: Engine, metadata: MetaData) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_migrate_creates_the_schema_the_models_describe(bare_engine: Engine) -> None:
    assert current_revision(bare_engine) is None

    migrate(bare_engine)

    assert current_revision(bare_engine) == head_revision()
    assert schema_drift(bare_engine, Base.metadata) == []
    tables = set(inspect(bare_engine).get_table_names())
    assert {"accounts", "incidents", "evidence_records", "metric_series", "diagnoses"} <= tables


def test_migrate_again_is_a_no_op_and_keeps_data(engine: Engine, factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as db:
        account_id = new_account(db).id

    migrate(engine)

    assert current_revision(engine) == head_revision()
    with session_scope(factory) as db:
        assert (
            service.get_account(db=db, workspace_id=DEFAULT_WORKSPACE_ID, account_id=account_id) is not None
        )


def migrate_in_a_process(url: str) -> str | None:
    engine = make_engine(url)
    try:
        migrate(engine)
        return current_revision(engine)
    finally:
        engine.dispose()


def test_processes_starting_together_can_all_migrate(database_url: str) -> None:
    # The API and the worker both migrate at start-up; neither may fail because the other won.
    processes = 3
    with ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        revisions = list(pool.map(migrate_in_a_process, [database_url] * processes))

    assert revisions == [head_revision()] * processes
    engine = make_engine(database_url)
    try:
        assert schema_drift(engine, Base.metadata) == []
    finally:
        engine.dispose()


def test_schema_comparison_notices_drift(engine: Engine) -> None:
    # Guards the test above against passing vacuously: a table the migrations lack is reported.
    metadata = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    Table("not_migrated", metadata, Column("id", Integer, primary_key=True), Column("x", String(5)))

    drift = schema_drift(engine, metadata)

    assert [entry[0] for entry in drift if isinstance(entry, tuple)] == ["add_table"]


def test_session_scope_commits_on_success(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as db:
        account_id = new_account(db).id

    with session_scope(factory) as db:
        assert (
            service.get_account(db=db, workspace_id=DEFAULT_WORKSPACE_ID, account_id=account_id) is not None
        )


def test_session_scope_rolls_back_on_error(factory: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError, match="boom"), session_scope(factory) as db:
        new_account(db, name="rolled-back")
        raise RuntimeError("boom")

    with session_scope(factory) as db:
        assert service.list_accounts(db=db, workspace_id=DEFAULT_WORKSPACE_ID) == []


def test_services_leave_the_commit_to_the_caller(factory: sessionmaker[Session]) -> None:
    db = factory()
    new_account(db)  # flushed, not committed
    db.rollback()
    db.close()

    with session_scope(factory) as db:
        assert db.scalar(select(func.count()).select_from(Account)) == 0


def test_datetimes_are_stored_as_utc_and_read_back_aware(factory: sessionmaker[Session]) -> None:
    tokyo = timezone(timedelta(hours=9))
    with session_scope(factory) as db:
        incident = new_incident(db, new_account(db))
        incident.opened_at = datetime(2025, 11, 20, 19, 30, 15, 123456, tzinfo=tokyo)
        incident_id = incident.id

    with session_scope(factory) as db:
        stored = service.get_incident(db=db, workspace_id=DEFAULT_WORKSPACE_ID, incident_id=incident_id)
        assert stored is not None
        assert stored.opened_at == datetime(2025, 11, 20, 10, 30, 15, 123456, tzinfo=UTC)
        assert stored.opened_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(db: Session) -> None:
    incident = new_incident(db, new_account(db))
    incident.opened_at = datetime(2025, 11, 20, 10, 0)
    with pytest.raises(StatementError, match="naive datetime"):
        db.flush()


def test_non_finite_numbers_in_json_are_refused_on_every_database(db: Session) -> None:
    # PostgreSQL rejects NaN in JSON; SQLite would store it. The engine makes both refuse it.
    incident = new_incident(db, new_account(db))
    incident.notification = {"score": math.nan}
    with pytest.raises((StatementError, ValueError), match="Out of range float values"):
        db.flush()


def test_overlong_strings_are_refused_on_every_database(db: Session) -> None:
    # PostgreSQL would refuse it and SQLite would keep it: both refuse it, naming the column.
    account = new_account(db)
    with pytest.raises(ValueError, match=r"accounts.name is 256 characters long; the limit is 255"):
        account.name = "x" * 256
        db.flush()


def test_a_long_dedup_key_fits(db: Session) -> None:
    # Manual investigations key incidents by alarm ARN and time, longer than an SNS MessageId.
    key = "manual:arn:aws:cloudwatch:eu-west-1:123456789012:alarm:" + "a" * 255 + ":2025-11-20T10:00:00+00:00"
    incident = new_incident(db, new_account(db), dedup_key=key)
    assert incident.dedup_key == key


def test_foreign_keys_cascade_in_the_database(factory: sessionmaker[Session]) -> None:
    # SQLite ignores foreign keys unless each connection turns them on.
    with session_scope(factory) as db:
        incident = new_incident(db, new_account(db))
        service.add_evidence(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            incident_id=incident.id,
            items=[
                {
                    "source": "ecs",
                    "kind": "event",
                    "resource": "svc",
                    "observed_at": incident.opened_at,
                    "summary": "s",
                }
            ],
        )
        service.add_metric_series(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            incident_id=incident.id,
            resource="svc",
            namespace="AWS/ECS",
            metric_name="CPUUtilization",
            stat="Average",
            datapoints=[(incident.opened_at, 1.0)],
        )
        service.save_diagnosis(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            incident_id=incident.id,
            result={},
            top_resource=None,
            top_fault=None,
            confidence=0.1,
            aws_calls=0,
            duration_ms=0,
        )

    with session_scope(factory) as db:
        db.execute(delete(Account))

    with session_scope(factory) as db:
        for model in (Incident, EvidenceRecord, MetricSeries, Diagnosis):
            assert db.scalar(select(func.count()).select_from(model)) == 0, model.__name__


def test_sqlite_engine_creates_its_directory_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "deeper" / "cloudwarden.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate(engine)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
    assert path.is_file()


def test_postgresql_urls_use_psycopg() -> None:
    assert normalise_url("postgresql://u@db:5432/cw").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@db/cw").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql+psycopg://u@db/cw").drivername == "postgresql+psycopg"


def test_unsupported_database_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database"):
        make_engine("mysql://u@db/cw")
