"""The worker's half of an action: run it through the actions role, then watch the alarm.

Execution is recorded in three steps so that a worker killed mid-way never runs an action twice:
the proposal is marked started (committed) before the AWS call; a task that finds it started but
without an outcome does not call again: it verifies what the first call did. Recovery is the
alarm back in OK (an OK alert that resolved the incident, or the alarm's state read through the
read role), reported to every channel, once.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudwarden.actions import flows as action_flows
from cloudwarden.actions import specs
from cloudwarden.audit import service as audit
from cloudwarden.errors import CloudWardenError
from cloudwarden.store import models
from cloudwarden.store.alerting import ProposalStatus
from cloudwarden.store.types import utcnow

if TYPE_CHECKING:
    from cloudwarden.worker.context import Context


def _region(resource: str, account: models.Account) -> str:
    parts = resource.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else account.regions[0]


def execute(*, ctx: Context, workspace_id: str, proposal_id: str) -> action_flows.Followups:
    with ctx.workspace_session(workspace_id) as db:
        proposal = action_flows.get(db=db, workspace_id=workspace_id, proposal_id=proposal_id, lock=True)
        if proposal.status != ProposalStatus.EXECUTING.value or "outcome" in proposal.result:
            return action_flows.Followups()
        resumed = "started_at" in proposal.result
        if not resumed:
            proposal.result = {"started_at": utcnow().isoformat()}
        account = db.get(models.Account, proposal.account_id)
        assert account is not None
        role_arn, external_id = account.actions_role_arn, account.external_id
        region = _region(proposal.resource, account)
        action, params = proposal.action, dict(proposal.params)
    status, outcome = _run(ctx, role_arn, external_id, region, action, params, resumed=resumed)
    with ctx.workspace_session(workspace_id) as db:
        proposal = action_flows.get(db=db, workspace_id=workspace_id, proposal_id=proposal_id, lock=True)
        if "outcome" in proposal.result:
            return action_flows.Followups()
        proposal.status = status
        proposal.result = {**proposal.result, **outcome}
        audit.record(
            db,
            workspace_id=workspace_id,
            action="action.execute",
            actor=proposal.executed_by or "cloudwarden",
            outcome="success" if status == ProposalStatus.SUCCEEDED.value else "failure",
            target_type="action_proposal",
            target_id=proposal.id,
            details={"action": action, "resource": proposal.resource, **outcome},
        )
        text = (
            f"{outcome['detail']} CloudWarden is watching the alarm and will report when it recovers."
            if status == ProposalStatus.SUCCEEDED.value
            else f"The action did not run: {outcome['detail']}"
        )
        messages = action_flows.report(db=db, ctx=ctx, proposal=proposal, kind="action_result", text=text)
    return action_flows.Followups(messages=messages, watch=status == ProposalStatus.SUCCEEDED.value)


def _run(
    ctx: Context,
    role_arn: str | None,
    external_id: str,
    region: str,
    action: str,
    params: dict[str, Any],
    *,
    resumed: bool,
) -> tuple[str, dict[str, Any]]:
    if not role_arn:
        return ProposalStatus.REFUSED.value, {
            "outcome": "refused",
            "detail": "actions are not enabled for this account",
        }
    try:
        spec, model = specs.from_suggestion(action, params)
        session = ctx.broker.session(role_arn=role_arn, external_id=external_id, region=region)

        def clients(service: str) -> Any:
            return session.client(service, region=region)

        if resumed:  # a run before this one may have made the call: look, do not call again
            check = spec.verify(clients, model)
            return (
                ProposalStatus.SUCCEEDED.value if check.succeeded else ProposalStatus.FAILED.value,
                {"outcome": "resumed", "detail": check.detail},
            )
        spec.preconditions(clients, model)
        result = spec.execute(clients, model)
    except specs.ActionRefused as refused:
        return ProposalStatus.REFUSED.value, {"outcome": "refused", "detail": str(refused)}
    except CloudWardenError as exc:
        return ProposalStatus.FAILED.value, {"outcome": "failed", "detail": exc.message}
    except ClientError as exc:
        error = exc.response.get("Error", {})
        detail = f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip()
        return ProposalStatus.FAILED.value, {"outcome": "failed", "detail": detail}
    except BotoCoreError as exc:
        return ProposalStatus.FAILED.value, {
            "outcome": "failed",
            "detail": f"AWS could not be reached: {exc}",
        }
    return ProposalStatus.SUCCEEDED.value, {
        "outcome": "executed",
        "detail": result.summary,
        "call": result.as_dict(),
    }


def check_recovery(
    *, ctx: Context, workspace_id: str, proposal_id: str, deadline: datetime
) -> action_flows.Followups:
    with ctx.workspace_session(workspace_id) as db:
        proposal = action_flows.get(db=db, workspace_id=workspace_id, proposal_id=proposal_id)
        incident = db.get(models.Incident, proposal.incident_id)
        account = db.get(models.Account, proposal.account_id)
        if proposal.recovered is not None or incident is None or account is None:
            return action_flows.Followups()
        executed_at = proposal.executed_at or utcnow()
        recovered = incident.resolved_at is not None and incident.resolved_at >= executed_at
        alarm_name, role_arn, external_id = incident.alarm_name, account.role_arn, account.external_id
        region = incident.region
    state = None
    if not recovered:
        state = _alarm_state(ctx, role_arn, external_id, region, alarm_name)
        recovered = state == "OK"
    now = utcnow()
    if not recovered and now < deadline:
        return action_flows.Followups(watch=True)
    with ctx.workspace_session(workspace_id) as db:
        proposal = action_flows.get(db=db, workspace_id=workspace_id, proposal_id=proposal_id, lock=True)
        if proposal.recovered is not None:
            return action_flows.Followups()
        proposal.recovered = recovered
        proposal.recovery_checked_at = now
        incident = db.get(models.Incident, proposal.incident_id)
        if recovered and incident is not None and incident.resolved_at is None:
            incident.resolved_at = now
        audit.record(
            db,
            workspace_id=workspace_id,
            action="action.recovery",
            actor="cloudwarden",
            outcome="success" if recovered else "failure",
            target_type="action_proposal",
            target_id=proposal.id,
            details={"alarm": alarm_name, "recovered": recovered, "state": state},
        )
        text = (
            f"The alarm {alarm_name} is back to OK after the action."
            if recovered
            else f"The alarm {alarm_name} has not recovered by {deadline.isoformat()} (state: {state or 'unknown'})."
        )
        messages = action_flows.report(db=db, ctx=ctx, proposal=proposal, kind="recovery", text=text)
    return action_flows.Followups(messages=messages)


def _alarm_state(ctx: Context, role_arn: str, external_id: str, region: str, alarm_name: str) -> str | None:
    try:
        session = ctx.broker.session(role_arn=role_arn, external_id=external_id, region=region)
        alarms = session.client("cloudwatch", region=region).describe_alarms(AlarmNames=[alarm_name])
    except (CloudWardenError, ClientError, BotoCoreError):
        return None  # not known this time; the next check asks again
    found = alarms.get("MetricAlarms", []) + alarms.get("CompositeAlarms", [])
    return str(found[0]["StateValue"]) if found else None
