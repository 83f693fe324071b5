"""Every tenant-owned row carries its workspace, and another workspace's rows are not found."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from cloudwarden.store import service
from cloudwarden.store.db import migrate, session_factory, session_scope
from cloudwarden.store.models import Account, Diagnosis, EvidenceRecord, Incident, MetricSeries
from cloudwarden.store.retention import purge
from cloudwarden.store.service import NotFoundError
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID, Workspace
from cloudwarden.store.types import utcnow

from .conftest import at, new_account, new_incident

ROLE = "arn:aws:iam::123456789012:role/CloudWardenReadOnly"
TENANT_TABLES = (Account, Incident, EvidenceRecord, MetricSeries, Diagnosis)


def _other_workspace(db: Session) -> str:
    workspace = Workspace(name="Other", slug=f"other-{uuid.uuid4().hex[:8]}")
    db.add(workspace)
    db.flush()
    return workspace.id


def _fill(db: Session, workspace_id: str, role_arn: str = ROLE) -> Incident:
    account = service.create_account(
        db=db, workspace_id=workspace_id, name="prod", role_arn=role_arn, regions=["eu-west-1"]
    )
    incident, _ = service.record_incident(
        db=db,
        workspace_id=workspace_id,
        account_id=account.id,
        alarm_name="api-5xx",
        alarm_arn="arn:aws:cloudwatch:eu-west-1:123456789012:alarm:api-5xx",
        region="eu-west-1",
        opened_at=at("2025-11-20T10:00:00"),
        notification={},
        dedup_key=str(uuid.uuid4()),
    )
    service.add_evidence(
        db=db,
        workspace_id=workspace_id,
        incident_id=incident.id,
        items=[
            {"source": "cloudtrail", "kind": "k", "resource": "r", "observed_at": utcnow(), "summary": "s"}
        ],
    )
    service.add_metric_series(
        db=db,
        workspace_id=workspace_id,
        incident_id=incident.id,
        resource="r",
        namespace="AWS/ECS",
        metric_name="CPUUtilization",
        stat="Average",
        datapoints=[(utcnow(), 1.0)],
    )
    service.save_diagnosis(
        db=db,
        workspace_id=workspace_id,
        incident_id=incident.id,
        result={},
        top_resource=None,
        top_fault=None,
        confidence=0.5,
        aws_calls=1,
        duration_ms=1,
    )
    return incident


def test_another_workspaces_rows_are_not_found(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as db:
        other = _other_workspace(db)
        theirs = _fill(db, other)
        ours = _fill(db, DEFAULT_WORKSPACE_ID)  # the same role, in another workspace: allowed
        assert {a.id for a in service.list_accounts(db=db, workspace_id=DEFAULT_WORKSPACE_ID)} == {
            ours.account_id
        }
        assert (
            service.get_account(db=db, workspace_id=DEFAULT_WORKSPACE_ID, account_id=theirs.account_id)
            is None
        )
        assert service.get_incident(db=db, workspace_id=DEFAULT_WORKSPACE_ID, incident_id=theirs.id) is None
        assert service.list_incidents(db=db, workspace_id=DEFAULT_WORKSPACE_ID) == [ours]
        assert service.list_evidence(db=db, workspace_id=DEFAULT_WORKSPACE_ID, incident_id=theirs.id) == []
        assert (
            service.latest_diagnosis(db=db, workspace_id=DEFAULT_WORKSPACE_ID, incident_id=theirs.id) is None
        )
        with pytest.raises(NotFoundError):
            service.add_evidence(db=db, workspace_id=DEFAULT_WORKSPACE_ID, incident_id=theirs.id, items=[])
        with pytest.raises(NotFoundError):
            service.record_incident(
                db=db,
                workspace_id=DEFAULT_WORKSPACE_ID,
                account_id=ours.account_id,
                alarm_name="a",
                alarm_arn="b",
                region="eu-west-1",
                opened_at=at("2025-11-20T10:00:00"),
                notification={},
                dedup_key=theirs.dedup_key,  # their delivery id names their incident
            )
        for model in TENANT_TABLES:
            owners = set(db.scalars(select(model.workspace_id)))  # type: ignore[attr-defined]
            assert owners == {other, DEFAULT_WORKSPACE_ID}, model.__name__


def test_closing_a_workspace_purges_everything_it_owns_and_nothing_else(
    factory: sessionmaker[Session],
) -> None:
    with session_scope(factory) as db:
        other = _other_workspace(db)
        _fill(db, other)
        _fill(db, DEFAULT_WORKSPACE_ID)
        workspace = db.get(Workspace, other)
        assert workspace is not None
        workspace.closed_at = utcnow()
    with session_scope(factory) as db:
        purge(db)
    with session_scope(factory) as db:
        assert db.get(Workspace, other) is None
        for model in TENANT_TABLES:
            owners = set(db.scalars(select(model.workspace_id)))  # type: ignore[attr-defined]
            assert owners == {DEFAULT_WORKSPACE_ID}, model.__name__


def test_migrating_an_existing_store_puts_its_rows_in_the_default_workspace(bare_engine: Engine) -> None:
    migrate(bare_engine, "0002_tenancy")
    with bare_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO accounts (id, name, role_arn, external_id, regions, status, created_at) "
                "VALUES ('a1', 'prod', :role, 'x1', '[\"eu-west-1\"]', 'connected', :now)"
            ),
            {"role": ROLE, "now": at("2025-11-20T10:00:00").replace(tzinfo=None)},
        )
        connection.execute(
            text(
                "INSERT INTO incidents (id, account_id, alarm_name, alarm_arn, region, state, opened_at, "
                "received_at, notification, dedup_key) VALUES ('i1', 'a1', 'api', 'arn', 'eu-west-1', 'open', "
                ":now, :now, '{}', 'd1')"
            ),
            {"now": at("2025-11-20T10:00:00").replace(tzinfo=None)},
        )
    migrate(bare_engine)
    with session_scope(session_factory(bare_engine)) as db:
        assert db.get(Workspace, DEFAULT_WORKSPACE_ID) is not None
        assert db.scalar(select(Account.workspace_id)) == DEFAULT_WORKSPACE_ID
        assert db.scalar(select(Incident.workspace_id)) == DEFAULT_WORKSPACE_ID
        assert db.scalar(select(func.count()).select_from(Workspace)) == 1
        assert [a.id for a in service.list_accounts(db=db, workspace_id=DEFAULT_WORKSPACE_ID)] == ["a1"]


def test_the_helpers_work_in_the_default_workspace(db: Session) -> None:
    incident = new_incident(db, new_account(db))
    assert incident.workspace_id == DEFAULT_WORKSPACE_ID
