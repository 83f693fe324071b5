"""Proposal → approval (a consent) → execution through the actions role → watching for recovery.

    proposal = propose(db=db, incident=i, account=a, result=diagnosis_json)    # by the investigation
    issued = approve(db=db, workspace_id=ws, proposal_id=p, user_id=u, approver="a@b", via="api")
    started = start(db=db, workspace_id=ws, token=issued.token, user_id=u, actor="a@b", action=...,
                    resource=..., params=...)          # spends the consent; commit, then queue
    execute(ctx=ctx, workspace_id=ws, proposal_id=p)   # the worker: preconditions, the call
    check_recovery(ctx=ctx, ...)                       # the worker: until the alarm is OK or time is up

Every step is in the audit log: proposal, approval, refusal (with its reason), execution and its
result, recovery. Actions run only with the account's actions role (the stack's EnableActions),
never with the read role.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudwarden.actions import consent, specs
from cloudwarden.alerts import notify
from cloudwarden.audit import service as audit
from cloudwarden.errors import CloudWardenError, NotFound, UsageError
from cloudwarden.identity.access import holds
from cloudwarden.store import models
from cloudwarden.store.alerting import ActionProposal, ProposalStatus
from cloudwarden.store.tenancy import Membership, User
from cloudwarden.store.types import utcnow

if TYPE_CHECKING:
    from cloudwarden.worker.context import Context


class ActionsNotEnabled(UsageError):
    code = "actions_not_enabled"


@dataclass
class Followups:
    messages: list[str] = field(default_factory=list)  # outbox ids to deliver
    watch: bool = False  # keep watching the alarm


@dataclass
class Started:
    proposal: ActionProposal | None
    error: CloudWardenError | None = None  # a refusal: commit (the audit entry), then raise it


def propose(
    *, db: Session, incident: models.Incident, account: models.Account, result: dict[str, Any]
) -> ActionProposal | None:
    """The top hypothesis's suggested remediation, if it has one, as a proposal (once)."""
    hypotheses = result.get("hypotheses") or []
    suggestion = hypotheses[0].get("suggested_action") if hypotheses else None
    if not suggestion:
        return None
    resource = str(hypotheses[0]["resource"])
    existing = db.scalars(
        select(ActionProposal).where(
            ActionProposal.incident_id == incident.id,
            ActionProposal.action == suggestion["name"],
            ActionProposal.resource == resource,
        )
    ).first()
    if existing is not None:
        return existing
    try:
        spec, params = specs.from_suggestion(suggestion["name"], suggestion.get("params") or {})
    except UsageError:
        return None  # the engine suggested something the catalog cannot run: propose nothing
    proposal = ActionProposal(
        workspace_id=incident.workspace_id,
        incident_id=incident.id,
        account_id=account.id,
        action=spec.name,
        resource=resource,
        params=params.model_dump(mode="json"),
        status=ProposalStatus.PROPOSED.value,
        result={},
    )
    db.add(proposal)
    db.flush()
    audit.record(
        db,
        workspace_id=incident.workspace_id,
        action="action.propose",
        actor="cloudwarden",
        target_type="action_proposal",
        target_id=proposal.id,
        details={"action": spec.name, "resource": resource, "incident": incident.id},
    )
    return proposal


def get(*, db: Session, workspace_id: str, proposal_id: str, lock: bool = False) -> ActionProposal:
    query = select(ActionProposal).where(ActionProposal.id == proposal_id)
    proposal = db.scalars(query.with_for_update() if lock else query).first()
    if proposal is None or proposal.workspace_id != workspace_id:
        raise NotFound("no such action proposal")
    return proposal


def approve(
    *,
    db: Session,
    workspace_id: str,
    proposal_id: str,
    user_id: str,
    approver: str,
    via: Literal["api", "console", "whatsapp"],
    now: datetime | None = None,
) -> consent.Issued:
    """Issue a consent for the proposal (the caller checked the approver's role)."""
    proposal = get(db=db, workspace_id=workspace_id, proposal_id=proposal_id, lock=True)
    if proposal.status not in (ProposalStatus.PROPOSED.value, ProposalStatus.APPROVED.value):
        raise UsageError(f"this action is {proposal.status}; it cannot be approved again")
    account = db.get(models.Account, proposal.account_id)
    if account is None or not account.actions_role_arn:
        raise ActionsNotEnabled(
            "actions are not enabled for this account",
            hint="update the onboarding stack with EnableActions=true and register its ActionsRoleArn",
        )
    issued = consent.issue(db=db, proposal=proposal, approver_id=user_id, approver=approver, via=via, now=now)
    proposal.status = ProposalStatus.APPROVED.value
    audit.record(
        db,
        workspace_id=workspace_id,
        action="action.approve",
        actor=approver,
        actor_id=user_id,
        target_type="action_proposal",
        target_id=proposal.id,
        details={
            "via": via,
            "consent": issued.consent.id,
            "expires_at": issued.consent.expires_at.isoformat(),
        },
    )
    return issued


def start(
    *,
    db: Session,
    workspace_id: str,
    token: str,
    user_id: str,
    actor: str,
    action: str,
    resource: str,
    params: dict[str, Any],
    now: datetime | None = None,
) -> Started:
    """Spend the consent and mark its proposal `executing` (queue execute_action after commit)."""
    try:
        spent = consent.redeem(
            db=db,
            workspace_id=workspace_id,
            token=token,
            user_id=user_id,
            action=action,
            resource=resource,
            params=params,
            now=now,
        )
        proposal = get(db=db, workspace_id=workspace_id, proposal_id=spent.proposal_id, lock=True)
        if proposal.status != ProposalStatus.APPROVED.value:
            raise UsageError(f"this action is {proposal.status}; it cannot run again")
    except CloudWardenError as refused:
        audit.record(
            db,
            workspace_id=workspace_id,
            action="action.refuse",
            actor=actor,
            actor_id=user_id,
            outcome="denied",
            target_type="action",
            target_id=resource[:2048],
            details={
                "action": action,
                "reason": getattr(refused, "reason", refused.code),
                "message": refused.message,
            },
        )
        return Started(None, refused)
    proposal.status = ProposalStatus.EXECUTING.value
    proposal.executed_at = now or utcnow()
    proposal.executed_by = actor
    proposal.result = {}
    audit.record(
        db,
        workspace_id=workspace_id,
        action="action.start",
        actor=actor,
        actor_id=user_id,
        target_type="action_proposal",
        target_id=proposal.id,
        details={"action": action, "resource": resource, "consent": spent.id},
    )
    return Started(proposal)


def responder_by_phone(*, db: Session, workspace_id: str, number: str) -> tuple[User, Membership] | None:
    """The member whose phone is `number`, if their role may approve actions (`actions:approve`:
    responder or above, a narrower role for the actions module included)."""
    row = db.execute(
        select(User, Membership)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.workspace_id == workspace_id,
            Membership.removed_at.is_(None),
            User.phone == number,
            User.deleted_at.is_(None),
        )
    ).first()
    if row is None:
        return None
    user, membership = row
    return (user, membership) if holds(membership, "actions:approve") else None


def report(
    *,
    db: Session,
    ctx: Context,
    proposal: ActionProposal,
    kind: Literal["action_result", "recovery", "refusal"],
    text: str,
) -> list[str]:
    incident = db.get(models.Incident, proposal.incident_id)
    if incident is None:
        return []
    message = notify.action_message(
        incident=incident,
        proposal=proposal,
        kind=kind,
        text=text,
        url=notify.incident_url(ctx.settings.public_url, incident),
    )
    rows = notify.enqueue_everywhere(
        db=db,
        workspace_id=proposal.workspace_id,
        message=message,
        key=f"{kind}:{proposal.id}",
        incident_id=incident.id,
    )
    return [row.id for row in rows]
