"""What a WhatsApp webhook delivery does: statuses move outbox rows on, a tap on "Approve" approves.

Verified over the raw body with the channel's app secret before anything in it is read. Kept:
the message statuses (on the outbox rows) and, per number, when it last wrote (the 24-hour
window) with the ids of inbound messages already handled (Meta re-delivers). Not kept: any text.
A button reply approving a proposal counts only from the number of a member whose role may
approve actions (responder or above); the approval then spends its consent at once and queues
the execution. A refusal is audited and told to the sender.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from cloudwarden.actions import flows as action_flows
from cloudwarden.alerts import channel_store, notify, outbox
from cloudwarden.alerts.channels import configs
from cloudwarden.alerts.channels import whatsapp_webhook as wa
from cloudwarden.alerts.channels.base import OutboundMessage
from cloudwarden.alerts.errors import InvalidAlert, InvalidSignature
from cloudwarden.audit import service as audit
from cloudwarden.errors import CloudWardenError, NotFound
from cloudwarden.store.alerting import ChannelRecord

if TYPE_CHECKING:
    from cloudwarden.worker.context import Context


WINDOW_CLOSED = 131047  # Meta: "re-engagement message": more than 24 hours since the user wrote


@dataclass
class Outcome:
    tasks: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # queued after the commit


def whatsapp_config(
    db: Session, *, workspace_id: str, channel_id: str, keys: Any = None
) -> configs.WhatsAppConfig:

    try:
        record = channel_store.get(db=db, workspace_id=workspace_id, channel_id=channel_id)
    except NotFound:
        raise NotFound("no such WhatsApp channel") from None
    config = channel_store.config_of(db=db, keys=keys, record=record)
    if not isinstance(config, configs.WhatsAppConfig):
        raise NotFound("no such WhatsApp channel")
    return config


def handshake(
    config: configs.WhatsAppConfig, *, mode: str | None, token: str | None, challenge: str | None
) -> str:
    params = {
        k: v
        for k, v in (("hub.mode", mode), ("hub.verify_token", token), ("hub.challenge", challenge))
        if v is not None
    }
    try:
        return wa.verify_handshake(params, config.verify_token.get_secret_value())
    except wa.WebhookError as exc:
        raise InvalidSignature(str(exc)) from None


def receive_whatsapp(
    db: Session, *, ctx: Context, workspace_id: str, channel_id: str, body: bytes, signature: str | None
) -> Outcome:
    record = channel_store.get(db=db, workspace_id=workspace_id, channel_id=channel_id)
    config = whatsapp_config(db, workspace_id=workspace_id, channel_id=channel_id, keys=ctx.keys)
    try:
        wa.verify_signature(body, signature, config.app_secret.get_secret_value())
    except wa.WebhookError as exc:
        raise InvalidSignature(str(exc)) from None
    try:
        batch = wa.parse_webhook(body)
    except wa.WebhookError as exc:
        raise InvalidAlert(str(exc)) from None
    outcome = Outcome()
    for status in batch.statuses:
        error = "; ".join(f"{e.code}: {e.title}" for e in status.errors) or None
        row = outbox.apply_status(
            db=db, workspace_id=workspace_id, provider_id=status.wamid, status=status.status, error=error
        )
        if (
            row is not None
            and status.status == "failed"
            and any(e.code == WINDOW_CLOSED for e in status.errors)
        ):
            # Meta accepted free-form text, then found the 24-hour window closed: the template instead.
            channel_store.close_window(db, channel_id=channel_id, number=row.recipient)
            copies = outbox.enqueue(
                db=db,
                workspace_id=workspace_id,
                channel=record,
                message=outbox.from_payload(row.payload),
                key=f"template:{row.id}",
                incident_id=row.incident_id,
                recipients=[row.recipient],
            )
            outcome.tasks += [
                ("deliver_message", {"workspace_id": workspace_id, "message_id": c.id}) for c in copies
            ]
    for inbound in batch.messages:
        channel_store.note_inbound(
            db,
            workspace_id=workspace_id,
            channel_id=channel_id,
            number=inbound.from_number,
            message_id=inbound.message_id,
        )
    for reply in batch.button_replies:
        first_time = channel_store.note_inbound(
            db,
            workspace_id=workspace_id,
            channel_id=channel_id,
            number=reply.from_number,
            message_id=reply.message_id,
        )
        if first_time and reply.button_id.startswith(notify.APPROVE_PREFIX):
            _approve(db, ctx=ctx, record=record, reply=reply, outcome=outcome)
    return outcome


def _approve(
    db: Session, *, ctx: Context, record: ChannelRecord, reply: wa.ButtonReply, outcome: Outcome
) -> None:
    workspace_id = record.workspace_id
    proposal_id = reply.button_id.removeprefix(notify.APPROVE_PREFIX)
    member = action_flows.responder_by_phone(db=db, workspace_id=workspace_id, number=reply.from_number)
    actor = f"whatsapp:+{reply.from_number}"
    if member is None:
        audit.record(
            db,
            workspace_id=workspace_id,
            action="action.refuse",
            actor=actor,
            outcome="denied",
            target_type="action_proposal",
            target_id=proposal_id[:2048],
            details={"reason": "not_a_responder", "via": "whatsapp"},
        )
        _tell(
            db,
            record,
            reply,
            "You cannot approve actions from this number: it is not a responder's.",
            outcome,
        )
        return
    user, _ = member
    try:
        proposal = action_flows.get(db=db, workspace_id=workspace_id, proposal_id=proposal_id)
        issued = action_flows.approve(
            db=db,
            workspace_id=workspace_id,
            proposal_id=proposal.id,
            user_id=user.id,
            approver=user.email,
            via="whatsapp",
        )
    except CloudWardenError as exc:
        _tell(db, record, reply, f"The action was not approved: {exc.message}", outcome)
        return
    started = action_flows.start(
        db=db,
        workspace_id=workspace_id,
        token=issued.token,
        user_id=user.id,
        actor=user.email,
        action=proposal.action,
        resource=proposal.resource,
        params=dict(proposal.params),
    )
    if started.error is not None:
        _tell(db, record, reply, f"The action was refused: {started.error.message}", outcome)
        return
    outcome.tasks.append(("execute_action", {"workspace_id": workspace_id, "proposal_id": proposal.id}))


def _tell(db: Session, record: ChannelRecord, reply: wa.ButtonReply, text: str, outcome: Outcome) -> None:
    message = OutboundMessage(kind="refusal", subject="[CloudWarden] Not approved", text=text)
    rows = outbox.enqueue(
        db=db,
        workspace_id=record.workspace_id,
        channel=record,
        message=message,
        key=f"reply:{reply.message_id}",
        recipients=[reply.from_number],
    )
    outcome.tasks += [
        ("deliver_message", {"workspace_id": record.workspace_id, "message_id": r.id}) for r in rows
    ]
