"""What CloudWarden tells people: the diagnosis, a test, an action's result, the recovery.

Each function turns stored facts into an `OutboundMessage` (channels decide how to show it) and
`enqueue_everywhere` puts it in the outbox for every enabled channel of the workspace.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cloudwarden.actions.catalog import REMEDIATIONS
from cloudwarden.alerts import channel_store, outbox
from cloudwarden.alerts.channels.base import Button, MessageKind, OutboundMessage, TemplateRef
from cloudwarden.store import models
from cloudwarden.store.alerting import ActionProposal, OutboxMessage

TEXT_LIMIT = 900  # WhatsApp's interactive body allows 1024 characters
APPROVE_PREFIX = "approve:"
TEMPLATE_NAME = "cloudwarden_incident"  # the template customers register (docs/whatsapp.md)


def diagnosis_message(
    *, incident: models.Incident, result: dict[str, Any], proposal: ActionProposal | None, url: str
) -> OutboundMessage:
    hypotheses = result.get("hypotheses") or []
    top = hypotheses[0] if hypotheses else None
    summary = str(result.get("summary") or "")
    narration = (result.get("narration") or {}).get("text") or summary
    facts: list[tuple[str, str]] = [
        ("Alarm", incident.alarm_name),
        ("Opened", incident.opened_at.isoformat()),
    ]
    if top:
        facts += [
            ("Likely cause", f"{top['fault']} on {top['resource_name']}"),
            ("Confidence", f"{round(float(top['confidence']) * 100)}%"),
        ]
    lines = [narration.strip()]
    buttons: tuple[Button, ...] = ()
    if proposal is not None:
        lines.append(f"Proposed fix: {_title(proposal)}. Reply Approve to run it (consent valid 90 s).")
        buttons = (Button(id=f"{APPROVE_PREFIX}{proposal.id}", title="Approve fix"),)
    text = _cut("\n\n".join(line for line in lines if line), TEXT_LIMIT)
    cause = f"{top['fault']} on {top['resource_name']}" if top else "no root cause stands out"
    return OutboundMessage(
        kind="diagnosis",
        subject=f"[CloudWarden] {incident.alarm_name}: {cause}",
        text=text,
        facts=tuple(facts),
        url=url,
        buttons=buttons,
        template=TemplateRef(name=TEMPLATE_NAME, body_parameters=(incident.alarm_name, _cut(cause, 200))),
    )


def failure_message(*, incident: models.Incident, reason: str, url: str) -> OutboundMessage:
    """The alarm went off and could not be investigated: people still need to know where they are."""
    text = _cut(
        f"The alarm {incident.alarm_name} went off at {incident.opened_at.isoformat()}. CloudWarden could "
        f"not investigate it: {reason}",
        TEXT_LIMIT,
    )
    return OutboundMessage(
        kind="diagnosis",
        subject=f"[CloudWarden] {incident.alarm_name}: not investigated",
        text=text,
        facts=(("Alarm", incident.alarm_name), ("Opened", incident.opened_at.isoformat())),
        url=url,
        template=TemplateRef(name=TEMPLATE_NAME, body_parameters=(incident.alarm_name, "not investigated")),
    )


def test_message(*, workspace_name: str, url: str) -> OutboundMessage:
    text = (
        f"This is a test alert from CloudWarden for the workspace {workspace_name}. "
        "If you can read it, alarms will reach you here."
    )
    return OutboundMessage(
        kind="test",
        subject="[CloudWarden] Test alert",
        text=text,
        url=url,
        template=TemplateRef(name=TEMPLATE_NAME, body_parameters=("test alert", "no action needed")),
    )


def action_message(
    *, incident: models.Incident, proposal: ActionProposal, kind: MessageKind, text: str, url: str
) -> OutboundMessage:
    subjects = {
        "action_result": f"[CloudWarden] {incident.alarm_name}: {_title(proposal)} {proposal.status}",
        "recovery": f"[CloudWarden] {incident.alarm_name}: "
        + ("recovered" if proposal.recovered else "not recovered"),
        "refusal": f"[CloudWarden] {incident.alarm_name}: {_title(proposal)} refused",
    }
    return OutboundMessage(
        kind=kind,
        subject=subjects.get(kind, f"[CloudWarden] {incident.alarm_name}"),
        text=_cut(text, TEXT_LIMIT),
        facts=(("Action", _title(proposal)), ("Resource", proposal.resource)),
        url=url,
        template=TemplateRef(name=TEMPLATE_NAME, body_parameters=(incident.alarm_name, _cut(text, 200))),
    )


def enqueue_everywhere(
    *, db: Session, workspace_id: str, message: OutboundMessage, key: str, incident_id: str | None
) -> list[OutboxMessage]:
    rows: list[OutboxMessage] = []
    for channel in channel_store.listed(db=db, workspace_id=workspace_id, enabled_only=True):
        rows += outbox.enqueue(
            db=db,
            workspace_id=workspace_id,
            channel=channel,
            message=message,
            key=key,
            incident_id=incident_id,
        )
    return rows


def incident_url(public_url: str, incident: models.Incident) -> str:
    return f"{public_url}/api/v1/workspaces/{incident.workspace_id}/incidents/{incident.id}"


def _title(proposal: ActionProposal) -> str:
    remediation = REMEDIATIONS.get(proposal.action)
    name = proposal.resource.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return f"{remediation.title if remediation else proposal.action} ({name})"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
