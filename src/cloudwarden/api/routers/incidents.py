"""A workspace's incidents: the list (filters, cursor pagination) and one incident with its diagnosis.

Reading an incident shows its diagnosis and evidence (data from the customer's account), so each
read is written to the audit log ("incident.read"). Another workspace's incident is a 404.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from cloudwarden.api.auth import allow
from cloudwarden.api.deps import SessionDep
from cloudwarden.identity.access import Access
from cloudwarden.incidents import view
from cloudwarden.incidents.view import decode_cursor, encode_cursor
from cloudwarden.store import models
from cloudwarden.store import service as store

router = APIRouter(tags=["incidents"])
INCIDENTS = "/workspaces/{workspace_id}/incidents"
MAX_PAGE = 100
CURSOR_MAX = 200

IncidentsRead = Annotated[Access, Depends(allow("incidents:read"))]


class IncidentOut(BaseModel):
    id: str
    account_id: str
    alarm_name: str
    alarm_arn: str
    region: str
    state: models.IncidentState
    opened_at: datetime
    received_at: datetime

    @classmethod
    def of(cls, incident: models.Incident) -> IncidentOut:
        return cls(
            id=incident.id,
            account_id=incident.account_id,
            alarm_name=incident.alarm_name,
            alarm_arn=incident.alarm_arn,
            region=incident.region,
            state=models.IncidentState(incident.state),
            opened_at=incident.opened_at,
            received_at=incident.received_at,
        )


class IncidentPage(BaseModel):
    items: list[IncidentOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")


class DiagnosisOut(BaseModel):
    id: str
    created_at: datetime
    top_fault: str | None
    top_resource: str | None
    confidence: float
    summary: str | None
    causes: list[dict[str, Any]] = Field(
        description="The ranked hypotheses, best first (docs/diagnosis-schema.md)"
    )
    evidence_unavailable: list[str]
    narration: dict[str, Any] | None
    aws_calls: int
    duration_ms: int

    @classmethod
    def of(cls, diagnosis: models.Diagnosis) -> DiagnosisOut:
        result = diagnosis.result
        return cls(
            id=diagnosis.id,
            created_at=diagnosis.created_at,
            top_fault=diagnosis.top_fault,
            top_resource=diagnosis.top_resource,
            confidence=diagnosis.confidence,
            summary=result.get("summary"),
            causes=list(result.get("hypotheses") or []),
            evidence_unavailable=list(result.get("evidence_unavailable") or []),
            narration=result.get("narration"),
            aws_calls=diagnosis.aws_calls,
            duration_ms=diagnosis.duration_ms,
        )


class EvidenceOut(BaseModel):
    id: str
    source: str
    kind: str
    resource: str
    observed_at: datetime
    summary: str
    data: dict[str, Any]

    @classmethod
    def of(cls, record: models.EvidenceRecord) -> EvidenceOut:
        return cls(
            id=record.id,
            source=record.source,
            kind=record.kind,
            resource=record.resource,
            observed_at=record.observed_at,
            summary=record.summary,
            data=record.data,
        )


class IncidentDetail(IncidentOut):
    diagnosis: DiagnosisOut | None = Field(description="The latest diagnosis; null before the first")
    evidence: list[EvidenceOut]


@router.get(INCIDENTS, summary="Incidents, newest first, a page at a time")
def list_incidents(
    granted: IncidentsRead,
    db: SessionDep,
    account_id: Annotated[str | None, Query(max_length=64)] = None,
    state: models.IncidentState | None = None,
    since: Annotated[datetime | None, Query(description="Opened at or after (UTC unless given)")] = None,
    cursor: Annotated[str | None, Query(max_length=CURSOR_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> IncidentPage:
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    rows = store.list_incidents(
        db=db,
        workspace_id=granted.workspace_id,
        limit=limit + 1,
        account_id=account_id,
        state=state.value if state is not None else None,
        since=since,
        before=decode_cursor(cursor) if cursor else None,
    )
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1]) if len(rows) > limit else None
    return IncidentPage(items=[IncidentOut.of(i) for i in page], next_cursor=next_cursor)


@router.get(f"{INCIDENTS}/{{incident_id}}", summary="One incident with its latest diagnosis and evidence")
def get_incident(incident_id: str, granted: IncidentsRead, db: SessionDep) -> IncidentDetail:
    record = view.read(
        db=db, workspace_id=granted.workspace_id, incident_id=incident_id, principal=granted.principal
    )
    return IncidentDetail(
        **IncidentOut.of(record.incident).model_dump(),
        diagnosis=DiagnosisOut.of(record.diagnosis) if record.diagnosis else None,
        evidence=[EvidenceOut.of(e) for e in record.evidence],
    )
