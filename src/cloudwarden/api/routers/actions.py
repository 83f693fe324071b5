"""Remediations with consent: what was proposed, approving one (a 90-second, single-use consent),
executing it with that consent, and what came of it.

    POST .../actions/proposals/{id}/approve        -> {"consent": "cw_consent_...", "expires_at": ...}
    POST .../actions/executions {consent, action, resource, params}   -> 202, the proposal `executing`

Execution runs on the worker through the account's actions role; a refused consent (used,
expired, someone else's, for other parameters, another workspace's) is audited, then answered
403 `consent_refused` with the reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from cloudwarden.actions import flows
from cloudwarden.api.auth import allow
from cloudwarden.api.deps import SessionDep
from cloudwarden.api.schemas import ApiInput
from cloudwarden.identity.access import Access
from cloudwarden.store.alerting import ActionProposal
from cloudwarden.worker import context as worker_context

router = APIRouter(tags=["actions"])
ACTIONS = "/workspaces/{workspace_id}/actions"

ActionsRead = Annotated[Access, Depends(allow("actions:read"))]
ActionsApprove = Annotated[Access, Depends(allow("actions:approve"))]


class ProposalOut(BaseModel):
    id: str
    incident_id: str
    action: str
    resource: str
    params: dict[str, Any]
    status: str
    created_at: datetime
    executed_at: datetime | None
    executed_by: str | None
    result: dict[str, Any]
    recovered: bool | None = Field(
        description="After execution: whether the alarm returned to OK (null: not yet known)"
    )

    @classmethod
    def of(cls, p: ActionProposal) -> ProposalOut:
        return cls(
            id=p.id,
            incident_id=p.incident_id,
            action=p.action,
            resource=p.resource,
            params=p.params,
            status=p.status,
            created_at=p.created_at,
            executed_at=p.executed_at,
            executed_by=p.executed_by,
            result=p.result,
            recovered=p.recovered,
        )


class ConsentOut(BaseModel):
    consent: str = Field(
        description="Single use, valid 90 seconds, for exactly this action, resource and params"
    )
    expires_at: datetime
    action: str
    resource: str
    params: dict[str, Any]


class ExecutionIn(ApiInput):
    consent: str = Field(min_length=1, max_length=200)
    action: str = Field(min_length=1, max_length=64)
    resource: str = Field(min_length=1, max_length=2048)
    params: dict[str, Any]


@router.get(f"{ACTIONS}/proposals", summary="Proposed remediations, newest first")
def list_proposals(
    granted: ActionsRead, db: SessionDep, incident_id: Annotated[str | None, Query(max_length=36)] = None
) -> list[ProposalOut]:
    query = select(ActionProposal).where(ActionProposal.workspace_id == granted.workspace_id)
    if incident_id:
        query = query.where(ActionProposal.incident_id == incident_id)
    return [
        ProposalOut.of(p) for p in db.scalars(query.order_by(ActionProposal.created_at.desc()).limit(200))
    ]


@router.get(f"{ACTIONS}/proposals/{{proposal_id}}", summary="One proposal and what came of it")
def get_proposal(proposal_id: str, granted: ActionsRead, db: SessionDep) -> ProposalOut:
    return ProposalOut.of(flows.get(db=db, workspace_id=granted.workspace_id, proposal_id=proposal_id))


@router.post(
    f"{ACTIONS}/proposals/{{proposal_id}}/approve", summary="Approve: a consent valid 90 seconds, once"
)
def approve_proposal(proposal_id: str, granted: ActionsApprove, db: SessionDep) -> ConsentOut:
    issued = flows.approve(
        db=db,
        workspace_id=granted.workspace_id,
        proposal_id=proposal_id,
        user_id=granted.principal.user_id,
        approver=granted.principal.label,
        via="api",
    )
    consent = issued.consent
    proposal = flows.get(db=db, workspace_id=granted.workspace_id, proposal_id=proposal_id)
    return ConsentOut(
        consent=issued.token,
        expires_at=consent.expires_at,
        action=consent.action,
        resource=consent.resource,
        params=proposal.params,
    )


@router.post(f"{ACTIONS}/executions", status_code=202, summary="Execute an approved action with its consent")
def execute_action(body: ExecutionIn, granted: ActionsApprove, db: SessionDep) -> ProposalOut:
    started = flows.start(
        db=db,
        workspace_id=granted.workspace_id,
        token=body.consent,
        user_id=granted.principal.user_id,
        actor=granted.principal.label,
        action=body.action,
        resource=body.resource,
        params=body.params,
    )
    db.commit()  # the refusal's audit entry, or the spent consent, before anything else
    if started.error is not None:
        raise started.error
    assert started.proposal is not None
    worker_context.get().dispatcher.send(
        "execute_action", workspace_id=granted.workspace_id, proposal_id=started.proposal.id
    )
    return ProposalOut.of(started.proposal)
