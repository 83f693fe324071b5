"""Retention: every table declares a class, and purge deletes exactly what is past it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from cloudwarden.store import service
from cloudwarden.store.base import Base
from cloudwarden.store.db import session_scope
from cloudwarden.store.models import Account, Diagnosis, EvidenceRecord, Incident, MetricSeries
from cloudwarden.store.retention import (
    MAX_AGE,
    MissingRetentionError,
    Retention,
    RetentionClass,
    mapped_models,
    purge,
    retention_of,
)
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID
from cloudwarden.store.types import UTCDateTime

from .conftest import at, new_account, new_incident

NOW = at("2025-11-23T12:00:00")
NOTHING_PURGED = dict.fromkeys(Base.metadata.tables, 0)

# Declarations


def test_every_model_declares_a_retention_class_on_a_timestamp_column() -> None:
    models = mapped_models()
    assert models, "no models registered"
    for model in models:
        retention = retention_of(model)  # raises for a model without one
        column = model.__table__.c[retention.timestamp]
        assert isinstance(column.type, UTCDateTime), f"{model.__name__}.{retention.timestamp}"
    assert {model.__table__.name for model in models} == set(Base.metadata.tables)


def test_the_documented_policy() -> None:
    assert {model.__name__: retention_of(model).retention_class for model in mapped_models()} == {
        "Account": RetentionClass.ACCOUNT_METADATA,
        "Incident": RetentionClass.DIAGNOSES,
        "EvidenceRecord": RetentionClass.FINDINGS_AND_EVENTS,
        "MetricSeries": RetentionClass.METRIC_DATAPOINTS,
        "Diagnosis": RetentionClass.DIAGNOSES,
        "Workspace": RetentionClass.WORKSPACE_DATA,
        "User": RetentionClass.WORKSPACE_DATA,
        "Membership": RetentionClass.WORKSPACE_DATA,
        "DataKeyRecord": RetentionClass.WORKSPACE_DATA,
        "Invitation": RetentionClass.EXPIRED_CREDENTIALS,
        "RefreshFamily": RetentionClass.EXPIRED_CREDENTIALS,
        "RefreshToken": RetentionClass.EXPIRED_CREDENTIALS,
        "ApiToken": RetentionClass.EXPIRED_CREDENTIALS,
        "AuditEntry": RetentionClass.AUDIT_LOG,
        "Alert": RetentionClass.FINDINGS_AND_EVENTS,
        "ChannelRecord": RetentionClass.WORKSPACE_DATA,
        "OutboxMessage": RetentionClass.DIAGNOSES,
        "WhatsAppWindow": RetentionClass.FINDINGS_AND_EVENTS,
        "ActionProposal": RetentionClass.DIAGNOSES,
        "Consent": RetentionClass.DIAGNOSES,
        "InvestigationJob": RetentionClass.FINDINGS_AND_EVENTS,
        "PostureScan": RetentionClass.DIAGNOSES,
        "PostureResult": RetentionClass.DIAGNOSES,
        "PostureIssue": RetentionClass.DIAGNOSES,
        "PostureSuppression": RetentionClass.DIAGNOSES,
        "ExternalFinding": RetentionClass.FINDINGS_AND_EVENTS,
    }
    assert {
        RetentionClass.METRIC_DATAPOINTS: timedelta(days=30),
        RetentionClass.FINDINGS_AND_EVENTS: timedelta(days=7),
        RetentionClass.DIAGNOSES: timedelta(days=90),
        RetentionClass.ACCOUNT_METADATA: None,
        RetentionClass.WORKSPACE_DATA: None,
        RetentionClass.EXPIRED_CREDENTIALS: timedelta(days=7),
        RetentionClass.AUDIT_LOG: timedelta(days=400),
    } == MAX_AGE


def test_a_model_without_a_retention_class_is_reported() -> None:
    class OtherBase(DeclarativeBase):
        pass

    class Undeclared(OtherBase):
        __tablename__ = "undeclared"
        id: Mapped[str] = mapped_column(String(36), primary_key=True)

    class WrongColumn(OtherBase):
        __tablename__ = "wrong_column"
        __retention__ = Retention(RetentionClass.DIAGNOSES, "created_at")
        id: Mapped[str] = mapped_column(String(36), primary_key=True)

    with pytest.raises(MissingRetentionError, match="Undeclared declares no retention class"):
        retention_of(Undeclared)
    with pytest.raises(MissingRetentionError, match="'created_at', which is not a column"):
        retention_of(WrongColumn)


# Purge by age


def count(db: Session, model: type[Base]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def add_child(db: Session, model: type[Base], incident: Incident) -> Base:
    """One row of `model` under `incident`, created through the service."""
    if model is EvidenceRecord:
        (record,) = service.add_evidence(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            incident_id=incident.id,
            items=[{"source": "ecs", "kind": "event", "resource": "api", "observed_at": NOW, "summary": "s"}],
        )
        return record
    if model is MetricSeries:
        return service.add_metric_series(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            incident_id=incident.id,
            resource="api",
            namespace="AWS/ECS",
            metric_name="CPUUtilization",
            stat="Average",
            datapoints=[(NOW, 1.0)],
        )
    return service.save_diagnosis(
        db=db,
        workspace_id=DEFAULT_WORKSPACE_ID,
        incident_id=incident.id,
        result={"causes": []},
        top_resource=None,
        top_fault=None,
        confidence=0.5,
        aws_calls=1,
        duration_ms=1,
    )


def age(row: Base, when: timedelta) -> None:
    setattr(row, retention_of(type(row)).timestamp, NOW - when)


@pytest.mark.parametrize(
    ("model", "limit"),
    [
        (EvidenceRecord, timedelta(days=7)),
        (MetricSeries, timedelta(days=30)),
        (Diagnosis, timedelta(days=90)),
    ],
    ids=["evidence-7d", "metrics-30d", "diagnoses-90d"],
)
def test_purge_removes_rows_just_past_their_limit(
    factory: sessionmaker[Session], model: type[Base], limit: timedelta
) -> None:
    with session_scope(factory) as db:
        incident = new_incident(db, new_account(db))
        age(incident, timedelta(days=1))
        kept, at_limit, gone = (add_child(db, model, incident) for _ in range(3))
        age(kept, limit - timedelta(minutes=1))
        age(at_limit, limit)
        age(gone, limit + timedelta(minutes=1))
        kept_ids = {kept.id, at_limit.id}  # type: ignore[attr-defined]

    with session_scope(factory) as db:
        counts = purge(db, now=NOW)

    assert counts == {**NOTHING_PURGED, model.__tablename__: 1}
    with session_scope(factory) as db:
        assert set(db.scalars(select(model.id))) == kept_ids  # type: ignore[attr-defined]
        assert count(db, Incident) == 1 and count(db, Account) == 1


def test_purge_removes_incidents_past_90_days_with_everything_under_them(
    factory: sessionmaker[Session],
) -> None:
    with session_scope(factory) as db:
        account = new_account(db)
        kept = new_incident(db, account)
        gone = new_incident(db, account)
        age(kept, timedelta(days=90) - timedelta(minutes=1))
        age(gone, timedelta(days=90) + timedelta(minutes=1))
        for incident in (kept, gone):
            for model in (EvidenceRecord, MetricSeries, Diagnosis):
                age(add_child(db, model, incident), timedelta(days=1))  # each young on its own
        kept_id = kept.id

    with session_scope(factory) as db:
        counts = purge(db, now=NOW)

    assert counts == {
        **NOTHING_PURGED,
        "incidents": 1,
        "evidence_records": 1,
        "metric_series": 1,
        "diagnoses": 1,
    }
    with session_scope(factory) as db:
        assert list(db.scalars(select(Incident.id))) == [kept_id]
        for model in (EvidenceRecord, MetricSeries, Diagnosis):
            assert list(db.scalars(select(model.incident_id))) == [kept_id]


def test_open_accounts_are_kept_however_old(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as db:
        connected = new_account(db, name="connected")
        service.mark_connected(db=db, account=connected, probe={})
        disconnected = new_account(db, name="disconnected")
        service.mark_disconnected(db=db, account=disconnected, reason="role deleted")
        for account in (connected, disconnected):
            account.created_at = NOW - timedelta(days=5 * 365)

    with session_scope(factory) as db:
        assert purge(db, now=NOW) == NOTHING_PURGED
        assert {
            account.name for account in service.list_accounts(db=db, workspace_id=DEFAULT_WORKSPACE_ID)
        } == {"connected", "disconnected"}


# Purge of closed accounts


def test_closing_an_account_purges_it_and_everything_below_it(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as db:
        closed, kept = new_account(db, name="closed"), new_account(db, name="kept")
        for account in (closed, kept):
            incident = new_incident(db, account)
            for model in (EvidenceRecord, MetricSeries, Diagnosis):
                add_child(db, model, incident)
        service.close_account(db=db, account=closed)
        closed.closed_at = NOW - timedelta(seconds=1)
        kept_id = kept.id

    with session_scope(factory) as db:
        counts = purge(db, now=NOW)

    assert counts == {
        **NOTHING_PURGED,
        **dict.fromkeys(("accounts", "incidents", "evidence_records", "metric_series", "diagnoses"), 1),
    }
    with session_scope(factory) as db:
        assert [
            account.id
            for account in service.list_accounts(
                db=db, workspace_id=DEFAULT_WORKSPACE_ID, include_closed=True
            )
        ] == [kept_id]
        assert list(db.scalars(select(Incident.account_id))) == [kept_id]
        for model in (EvidenceRecord, MetricSeries, Diagnosis):
            assert count(db, model) == 1
        # A second run finds nothing more to do.
        assert purge(db, now=NOW) == NOTHING_PURGED


def test_purge_defaults_to_now_and_the_session_forgets_purged_rows(db: Session) -> None:
    account = new_account(db)
    incident = new_incident(db, account)
    service.close_account(db=db, account=account)
    account_id, incident_id = account.id, incident.id

    counts = purge(db)

    assert counts["accounts"] == 1 and counts["incidents"] == 1
    assert service.get_account(db=db, workspace_id=DEFAULT_WORKSPACE_ID, account_id=account_id) is None
    assert service.list_incidents(db=db, workspace_id=DEFAULT_WORKSPACE_ID) == []
    assert service.get_incident(db=db, workspace_id=DEFAULT_WORKSPACE_ID, incident_id=incident_id) is None


def test_the_audit_log_is_kept_as_long_as_configured(factory: sessionmaker[Session]) -> None:
    from cloudwarden.audit import service as audit
    from cloudwarden.store.retention import configured_ages
    from cloudwarden.store.tenancy import AuditEntry

    with session_scope(factory) as db:
        audit.record(
            db, workspace_id=DEFAULT_WORKSPACE_ID, action="test.old", actor="t", at=NOW - timedelta(days=120)
        )
        audit.record(
            db, workspace_id=DEFAULT_WORKSPACE_ID, action="test.new", actor="t", at=NOW - timedelta(days=10)
        )
    with session_scope(factory) as db:
        kept = purge(db, NOW, ages=configured_ages(audit_retention_days=400))
        assert kept["audit_entries"] == 0
    with session_scope(factory) as db:
        purged = purge(db, NOW, ages=configured_ages(audit_retention_days=90))
        assert purged["audit_entries"] == 1
        assert db.scalars(select(AuditEntry.action)).all() == ["test.new"]
