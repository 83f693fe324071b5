"""Evidence, metric datapoints and diagnoses stored for an incident."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from cloudwarden.store import service
from cloudwarden.store.db import session_scope
from cloudwarden.store.models import IncidentState
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID

from .conftest import at, new_account, new_incident


def test_evidence_round_trip(db: Session) -> None:
    incident = new_incident(db, new_account(db))
    records = service.add_evidence(
        db=db,
        workspace_id=DEFAULT_WORKSPACE_ID,
        incident_id=incident.id,
        items=[
            {
                "source": "cloudtrail",
                "kind": "change",
                "resource": "arn:aws:ecs:eu-west-1:123456789012:service/web/api",
                "observed_at": "2025-11-20T09:58:00Z",
                "summary": "UpdateService by deploy-bot",
                "data": {"eventName": "UpdateService", "taskDefinition": "api:42"},
            },
            {
                "source": "ecs",
                "kind": "service-event",
                "resource": "api",
                "observed_at": at("2025-11-20T09:55:00"),
                "summary": "service api has reached a steady state",
            },
        ],
    )
    assert len(records) == 2
    stored = service.list_evidence(db=db, workspace_id=DEFAULT_WORKSPACE_ID, incident_id=incident.id)
    assert [record.source for record in stored] == ["ecs", "cloudtrail"]  # by observation time
    assert stored[1].data == {"eventName": "UpdateService", "taskDefinition": "api:42"}
    assert stored[1].observed_at == at("2025-11-20T09:58:00")
    assert stored[0].data == {}


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"source": "ecs", "kind": "x", "resource": "r", "summary": "s"}, r"missing \['observed_at'\]"),
        (
            {
                "source": "ecs",
                "kind": "x",
                "resource": "r",
                "summary": "s",
                "observed_at": "2025-11-20T09:00:00Z",
                "extra": 1,
            },
            r"unknown \['extra'\]",
        ),
        (
            {"source": "ecs", "kind": "x", "resource": "r", "summary": "s", "observed_at": "yesterday"},
            "not an ISO 8601",
        ),
        (
            {
                "source": "ecs",
                "kind": "x",
                "resource": "r",
                "summary": "s",
                "observed_at": "2025-11-20T09:00:00Z",
                "data": {"at": datetime.now(UTC)},
            },
            "model_dump",
        ),
    ],
)
def test_malformed_evidence_is_refused_with_a_reason(
    db: Session, item: dict[str, object], message: str
) -> None:
    incident = new_incident(db, new_account(db))
    with pytest.raises(ValueError, match=message):
        service.add_evidence(db=db, workspace_id=DEFAULT_WORKSPACE_ID, incident_id=incident.id, items=[item])
    assert service.list_evidence(db=db, workspace_id=DEFAULT_WORKSPACE_ID, incident_id=incident.id) == []


def test_evidence_for_a_missing_incident_is_refused(db: Session) -> None:
    with pytest.raises(service.NotFoundError):
        service.add_evidence(
            db=db, workspace_id=DEFAULT_WORKSPACE_ID, incident_id=str(uuid.uuid4()), items=[]
        )


def test_metric_datapoints_round_trip_in_time_order(factory: sessionmaker[Session]) -> None:
    start = at("2025-11-20T09:00:00")
    with session_scope(factory) as db:
        incident = new_incident(db, new_account(db))
        service.add_metric_series(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            incident_id=incident.id,
            resource="arn:aws:ecs:eu-west-1:123456789012:service/web/api",
            namespace="AWS/ECS",
            metric_name="CPUUtilization",
            stat="Average",
            dimensions={"ClusterName": "web", "ServiceName": "api"},
            datapoints=[
                (start + timedelta(minutes=2), 97.5),
                (start, 12.25),
                (start + timedelta(minutes=1), 40),
            ],
        )
        incident_id = incident.id

    with session_scope(factory) as db:
        (series,) = service.list_metric_series(
            db=db, workspace_id=DEFAULT_WORKSPACE_ID, incident_id=incident_id
        )
        assert series.points == [
            (start, 12.25),
            (start + timedelta(minutes=1), 40.0),
            (start + timedelta(minutes=2), 97.5),
        ]
        assert series.datapoints[0] == ["2025-11-20T09:00:00+00:00", 12.25]
        assert series.dimensions == {"ClusterName": "web", "ServiceName": "api"}


def test_non_finite_datapoints_are_refused(db: Session) -> None:
    incident = new_incident(db, new_account(db))
    with pytest.raises(ValueError, match="not a finite number"):
        service.add_metric_series(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            incident_id=incident.id,
            resource="r",
            namespace="AWS/ECS",
            metric_name="CPUUtilization",
            stat="Average",
            datapoints=[(at("2025-11-20T09:00:00"), math.inf)],
        )


DIAGNOSIS = {
    "causes": [
        {
            "resource": "arn:aws:rds:eu-west-1:123456789012:db:orders",
            "fault": "connection-exhaustion",
            "confidence": 0.82,
            "evidence": ["DatabaseConnections at 100% of max_connections", "too many clients — 53300"],
        },
        {"resource": "api", "fault": "bad-deploy", "confidence": 0.11, "evidence": []},
    ],
    "gaps": ["evidence unavailable: cloudtrail:LookupEvents denied"],
    "window": {"start": "2025-11-20T07:00:00+00:00", "end": "2025-11-20T10:00:00+00:00"},
    "narrated": None,
    "replayable": True,
}


def test_diagnosis_round_trip(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as db:
        incident = new_incident(db, new_account(db))
        saved = service.save_diagnosis(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            incident_id=incident.id,
            result=DIAGNOSIS,
            top_resource="arn:aws:rds:eu-west-1:123456789012:db:orders",
            top_fault="connection-exhaustion",
            confidence=0.82,
            aws_calls=37,
            duration_ms=4210,
        )
        incident_id, saved_id = incident.id, saved.id

    with session_scope(factory) as db:
        latest = service.latest_diagnosis(db=db, workspace_id=DEFAULT_WORKSPACE_ID, incident_id=incident_id)
        assert latest is not None and latest.id == saved_id
        assert latest.result == DIAGNOSIS
        assert (latest.top_fault, latest.confidence, latest.aws_calls, latest.duration_ms) == (
            "connection-exhaustion",
            0.82,
            37,
            4210,
        )
        diagnosed = service.get_incident(db=db, workspace_id=DEFAULT_WORKSPACE_ID, incident_id=incident_id)
        assert diagnosed is not None and diagnosed.state == IncidentState.DIAGNOSED


def test_latest_diagnosis_is_the_newest(db: Session) -> None:
    incident = new_incident(db, new_account(db))
    assert service.latest_diagnosis(db=db, workspace_id=DEFAULT_WORKSPACE_ID, incident_id=incident.id) is None
    first = service.save_diagnosis(
        db=db,
        workspace_id=DEFAULT_WORKSPACE_ID,
        incident_id=incident.id,
        result={"n": 1},
        top_resource=None,
        top_fault=None,
        confidence=0.2,
        aws_calls=1,
        duration_ms=1,
    )
    second = service.save_diagnosis(
        db=db,
        workspace_id=DEFAULT_WORKSPACE_ID,
        incident_id=incident.id,
        result={"n": 2},
        top_resource="db",
        top_fault="storage-full",
        confidence=0.9,
        aws_calls=2,
        duration_ms=2,
    )
    db.execute(
        update(type(first)).where(type(first).id == first.id).values(created_at=at("2025-01-01T00:00:00"))
    )
    latest = service.latest_diagnosis(db=db, workspace_id=DEFAULT_WORKSPACE_ID, incident_id=incident.id)
    assert latest is not None and latest.id == second.id


@pytest.mark.parametrize("confidence", [-0.1, 1.5, math.nan])
def test_confidence_outside_zero_to_one_is_refused(db: Session, confidence: float) -> None:
    incident = new_incident(db, new_account(db))
    with pytest.raises(ValueError, match="between 0 and 1"):
        service.save_diagnosis(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            incident_id=incident.id,
            result={},
            top_resource=None,
            top_fault=None,
            confidence=confidence,
            aws_calls=0,
            duration_ms=0,
        )
