"""Start an investigation of an alarm (202: it runs after the answer) and follow its status.

The request stores a job (`investigation_jobs`) and queues `run_investigation_job` after the
commit: a worker (`cloudwarden worker`) or, without a broker, the server's own task threads run
it. Poll GET .../investigations/{id} until `done` (with the incident) or `failed`; any server
process can answer, and a restart loses nothing (the sweep re-queues a job left queued).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from cloudwarden.api.auth import allow
from cloudwarden.api.deps import SessionDep, settings_of
from cloudwarden.api.schemas import ApiInput
from cloudwarden.errors import NotFound
from cloudwarden.identity.access import Access
from cloudwarden.incidents import service as incidents
from cloudwarden.store import models
from cloudwarden.store import service as store
from cloudwarden.store.alerting import InvestigationJob, JobStatus
from cloudwarden.store.types import utcnow
from cloudwarden.worker import context as worker_context

router = APIRouter(tags=["investigations"])
INVESTIGATIONS = "/workspaces/{workspace_id}/investigations"

InvestigationsWrite = Annotated[Access, Depends(allow("investigations:write"))]
IncidentsRead = Annotated[Access, Depends(allow("incidents:read"))]


class InvestigationIn(ApiInput):
    account_id: str = Field(min_length=1, max_length=64)
    alarm_name: str = Field(min_length=1, max_length=incidents.ALARM_NAME_MAX)
    lookback_minutes: int | None = Field(
        default=None,
        ge=15,
        le=24 * 60,
        description="Evidence window before the alarm (default: the service's)",
    )


class InvestigationError(BaseModel):
    code: str
    message: str


class InvestigationOut(BaseModel):
    id: str
    status: str = Field(description="queued, running, done or failed")
    account_id: str
    alarm_name: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    incident_id: str | None = Field(description="When done: the incident the diagnosis is stored under")
    error: InvestigationError | None = Field(description="When failed: why (codes as in error responses)")

    @classmethod
    def of(cls, job: InvestigationJob) -> InvestigationOut:
        error = (
            InvestigationError(code=job.error_code, message=job.error_message or "")
            if job.error_code is not None
            else None
        )
        return cls(
            id=job.id,
            status=job.status,
            account_id=job.account_id,
            alarm_name=job.alarm_name,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            incident_id=job.incident_id,
            error=error,
        )


@router.post(
    INVESTIGATIONS, status_code=202, summary="Investigate an alarm in an account (runs after the answer)"
)
def start_investigation(
    body: InvestigationIn, request: Request, granted: InvestigationsWrite, db: SessionDep
) -> InvestigationOut:
    account = store.get_account(db=db, workspace_id=granted.workspace_id, account_id=body.account_id)
    if account is None or account.status == models.AccountStatus.CLOSED:
        raise NotFound(
            "no such account", hint=f"list them with GET /api/v1/workspaces/{granted.workspace_id}/accounts"
        )
    alarm_name = incidents.check_alarm_name(body.alarm_name)
    settings = settings_of(request)
    job = InvestigationJob(
        workspace_id=granted.workspace_id,
        account_id=account.id,
        alarm_name=alarm_name,
        lookback_minutes=body.lookback_minutes or settings.lookback_minutes,
        actor=granted.principal.label,
        status=JobStatus.QUEUED.value,
        created_at=utcnow(),
    )
    db.add(job)
    db.commit()  # stored before it is queued: a worker must find it
    worker_context.get().dispatcher.send(
        "run_investigation_job", workspace_id=job.workspace_id, job_id=job.id
    )
    return InvestigationOut.of(job)


@router.get(f"{INVESTIGATIONS}/{{investigation_id}}", summary="An investigation's status")
def get_investigation(investigation_id: str, granted: IncidentsRead, db: SessionDep) -> InvestigationOut:
    job = db.get(InvestigationJob, investigation_id)
    if job is None or job.workspace_id != granted.workspace_id:
        raise NotFound("no such investigation")
    return InvestigationOut.of(job)
