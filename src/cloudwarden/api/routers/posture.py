"""Posture audits: start a scan (202: a task runs it), read scans, reports and suppressions."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from cloudwarden.api.auth import allow
from cloudwarden.api.deps import SessionDep
from cloudwarden.api.schemas import ApiInput
from cloudwarden.identity.access import Access
from cloudwarden.posture import flows, service
from cloudwarden.posture.outputs import stream
from cloudwarden.store import models
from cloudwarden.store.posture import PostureScan, PostureSuppression
from cloudwarden.worker import context as worker_context

router = APIRouter(tags=["posture"])
BASE = "/workspaces/{workspace_id}"
PostureRead = Annotated[Access, Depends(allow("posture:read"))]
PostureScanWrite = Annotated[Access, Depends(allow("posture:scan"))]
PostureSuppress = Annotated[Access, Depends(allow("posture:suppress"))]
MEDIA = {"json": "application/json", "csv": "text/csv", "ocsf": "application/json", "html": "text/html"}


class ScanQueued(BaseModel):
    status: Literal["queued"] = "queued"
    account_id: str
    requested_at: datetime = Field(description="A scan that starts after this time answers the request")


class ScanOut(BaseModel):
    id: str
    account_id: str
    started_at: datetime
    finished_at: datetime
    regions: list[str]
    checks: int
    api_calls: int
    counts: dict[str, int] = Field(description="Results by status: PASS, FAIL, ERROR, NOT_APPLICABLE")
    scores: dict[str, Any] = Field(description="Per framework: passed, failed, unknown, share, score")
    changes: dict[str, int] = Field(description="Since the previous scan: new, open, recurring, resolved")
    unavailable: dict[str, str] = Field(description="What could not be read (service@region: reason)")
    external: dict[str, Any] | None = Field(
        default=None,
        description="Security Hub, GuardDuty and Inspector findings the scan read: total, counts "
        "(source -> severity -> findings), sources (source@region -> what the service said); null "
        "when the scan did not read them. The findings themselves are in the report (kept 7 days)",
    )

    @classmethod
    def of(cls, scan: PostureScan) -> ScanOut:
        return cls.model_validate(scan, from_attributes=True)


class SuppressionIn(ApiInput):
    check_id: str = Field(min_length=3, max_length=128)
    resource_id: str = Field(default="*", min_length=1, max_length=2048, description="A resource id or glob")
    account_id: str | None = Field(default=None, max_length=64, description="None: every account")
    reason: str = Field(min_length=10, max_length=2000)
    owner: str = Field(min_length=1, max_length=320)
    days: int = Field(default=90, ge=1, le=365, description="Until it expires and the findings reopen")


class SuppressionOut(BaseModel):
    id: str
    check_id: str
    resource_id: str
    account_id: str | None
    reason: str
    owner: str
    created_by: str
    created_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, suppression: PostureSuppression) -> SuppressionOut:
        return cls.model_validate(suppression, from_attributes=True)


@router.post(
    f"{BASE}/accounts/{{account_id}}/posture/scans", status_code=202, summary="Scan an account's posture"
)
def start_scan(account_id: str, granted: PostureScanWrite, db: SessionDep) -> ScanQueued:
    queued = flows.request_scan(
        db=db,
        dispatcher=worker_context.get().dispatcher,
        workspace_id=granted.workspace_id,
        account_id=account_id,
    )
    return ScanQueued(account_id=queued.account_id, requested_at=queued.requested_at)


@router.get(f"{BASE}/posture/scans", summary="An account's scans, oldest first (the trend)")
def list_scans(
    granted: PostureRead, db: SessionDep, account_id: str, limit: Annotated[int, Query(ge=1, le=200)] = 30
) -> list[ScanOut]:
    account = service.account_of(db=db, workspace_id=granted.workspace_id, account_id=account_id)
    return [
        ScanOut.of(s)
        for s in service.scans(db=db, workspace_id=granted.workspace_id, account_id=account.id, limit=limit)
    ]


@router.get(f"{BASE}/posture/scans/{{scan_id}}", summary="One scan's summary and scores")
def get_scan(scan_id: str, granted: PostureRead, db: SessionDep) -> ScanOut:
    return ScanOut.of(_scan(db, granted.workspace_id, scan_id))


@router.get(
    f"{BASE}/posture/scans/{{scan_id}}/report",
    summary="One scan's report: JSON, CSV, OCSF Detection Findings or self-contained HTML",
    response_class=Response,
    responses={200: {"content": {media: {} for media in sorted(set(MEDIA.values()))}}},
)
def get_report(
    scan_id: str,
    granted: PostureRead,
    db: SessionDep,
    format: Literal["json", "csv", "ocsf", "html"] = "json",
) -> Response:
    scan = _scan(db, granted.workspace_id, scan_id)
    account = db.get(models.Account, scan.account_id)
    assert account is not None
    chunks = stream(flows.report_of(db=db, scan=scan, account=account), format)
    # Sent a finding at a time, never whole in memory. The report's head is built here, inside the
    # request's transaction, so a failure to read it is an error status, not a truncated 200; the
    # rest reads only what report_of loaded (the session closes before the body is sent).
    head = next(chunks, "")
    headers = {"Content-Disposition": f'attachment; filename="posture-{scan.id}.{format}"'}
    return StreamingResponse(
        (chunk.encode() for chunk in itertools.chain([head], chunks)),
        media_type=MEDIA[format],
        headers=headers,
    )


@router.get(f"{BASE}/posture/suppressions", summary="Suppressions in force")
def list_suppressions(granted: PostureRead, db: SessionDep) -> list[SuppressionOut]:
    return [SuppressionOut.of(s) for s in service.suppressions(db=db, workspace_id=granted.workspace_id)]


@router.post(
    f"{BASE}/posture/suppressions", status_code=201, summary="Suppress a check's failures until a date"
)
def add_suppression(body: SuppressionIn, granted: PostureSuppress, db: SessionDep) -> SuppressionOut:
    made = flows.suppress(
        db=db,
        workspace_id=granted.workspace_id,
        actor=granted.principal.label,
        account_id=body.account_id,
        check_id=body.check_id,
        resource_id=body.resource_id,
        reason=body.reason,
        owner=body.owner,
        days=body.days,
    )
    return SuppressionOut.of(made)


def _scan(db: Any, workspace_id: str, scan_id: str) -> PostureScan:
    return service.get_scan(db=db, workspace_id=workspace_id, scan_id=scan_id)  # NotFound: 404
