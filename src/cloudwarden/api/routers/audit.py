"""The workspace's audit log: read it a page at a time, export it (CSV or JSON), verify its chain.

An export takes the log's content out of the service, so it is itself audited ("audit.export").
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from cloudwarden.api.auth import allow
from cloudwarden.api.deps import SessionDep
from cloudwarden.audit import service as audit
from cloudwarden.identity.access import Access
from cloudwarden.store.tenancy import AuditEntry

router = APIRouter(tags=["audit"])
AUDIT = "/workspaces/{workspace_id}/audit"
MAX_PAGE = 1000

AuditRead = Annotated[Access, Depends(allow("audit:read"))]


class AuditEntryOut(BaseModel):
    seq: int
    at: datetime
    actor_id: str | None
    actor: str
    action: str
    target_type: str | None
    target_id: str | None
    source_ip: str | None
    outcome: str
    details: dict[str, Any]
    hash: str

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        return cls.model_validate({name: getattr(entry, name) for name in cls.model_fields})


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_after_seq: int | None = Field(description="Pass as `after_seq` for the next page; null on the last")


class Verification(BaseModel):
    ok: bool
    checked: int = Field(description="Entries checked")
    first_broken: int | None = Field(default=None, description="The seq of the first entry whose link fails")
    reason: str | None = None


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


@router.get(AUDIT, summary="Audit entries in order, after a sequence number")
def list_entries(
    granted: AuditRead,
    db: SessionDep,
    after_seq: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> AuditPage:
    rows = audit.entries(db, workspace_id=granted.workspace_id, after_seq=after_seq, limit=limit + 1)
    page = rows[:limit]
    return AuditPage(
        items=[AuditEntryOut.of(e) for e in page],
        next_after_seq=page[-1].seq if len(rows) > limit else None,
    )


@router.get(
    f"{AUDIT}/export",
    summary="The audit log as a file: CSV, JSON or JSON Lines (the export is audited)",
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {}, "application/json": {}, "application/x-ndjson": {}},
            "description": "The entries, oldest first",
        }
    },
)
def export_entries(
    granted: AuditRead,
    db: SessionDep,
    fmt: Annotated[Literal["csv", "json", "jsonl"], Query(alias="format")] = "csv",
    since: Annotated[datetime | None, Query(description="From this time (UTC unless given)")] = None,
    until: Annotated[datetime | None, Query(description="Before this time (UTC unless given)")] = None,
    action: Annotated[
        str | None, Query(max_length=64, description='An action, or its family ("channel": channel.*)')
    ] = None,
    actor: Annotated[str | None, Query(max_length=320, description="Part of the actor's label")] = None,
    outcome: Annotated[Literal["success", "denied", "failure"] | None, Query()] = None,
) -> Response:
    exported = audit.export_file(
        db,
        workspace_id=granted.workspace_id,
        fmt=fmt,
        actor=granted.principal.label,
        actor_id=granted.principal.user_id,
        source_ip=granted.principal.source_ip,
        since=_aware(since),
        until=_aware(until),
        action=action,
        actor_filter=actor,
        outcome=outcome,
    )
    return Response(
        content=exported.content,
        media_type=exported.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{exported.filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get(f"{AUDIT}/verify", summary="Check the whole hash chain; names the first broken link")
def verify_chain(granted: AuditRead, db: SessionDep) -> Verification:
    verdict = audit.verify(db, workspace_id=granted.workspace_id)
    return Verification(
        ok=verdict.ok, checked=verdict.checked, first_broken=verdict.first_broken, reason=verdict.reason
    )
