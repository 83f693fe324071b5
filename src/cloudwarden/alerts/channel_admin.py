"""A workspace's channels as people manage them (API and console): audited adds and removals,
what may be shown of a channel, its recent deliveries, and where the workspace's alarms arrive.

    record = add(db=db, keys=keys, workspace_id=ws, name="ops", config=SlackConfig(...), actor=..., ...)
    secrets_set(record)               # ["webhook_url"]: which secrets are stored, never their values
    intake_addresses(db=db, public_url=url, workspace_id=ws).sns_url

Never commits: the request does.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudwarden.alerts import channel_store
from cloudwarden.alerts.channels import configs
from cloudwarden.alerts.intake import eventbridge
from cloudwarden.audit import service as audit
from cloudwarden.crypto.providers import KeyProvider
from cloudwarden.errors import NotFound
from cloudwarden.store.alerting import ChannelRecord, OutboxMessage
from cloudwarden.store.tenancy import Workspace

SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    "whatsapp": configs.WhatsAppConfig.SECRET_FIELDS,
    "slack": configs.SlackConfig.SECRET_FIELDS,
    "email": configs.EmailConfig.SECRET_FIELDS,
    "sns": configs.SnsConfig.SECRET_FIELDS,
}


@dataclass(frozen=True)
class Delivery:
    """One outbox row with the channel it went through."""

    message: OutboxMessage
    channel: str  # the channel's name
    channel_kind: str  # whatsapp, slack, email, sns


@dataclass(frozen=True)
class IntakeAddresses:
    sns_url: str  # subscribe it (HTTPS) to the account's alerts topic
    eventbridge_url: str  # the API destination's endpoint
    eventbridge_header: str  # the API destination connection's API-key header name
    eventbridge_secret_set: bool


def add(
    *,
    db: Session,
    keys: KeyProvider,
    workspace_id: str,
    name: str,
    config: configs.ChannelConfig,
    actor: str,
    actor_id: str | None,
    source_ip: str | None,
) -> ChannelRecord:
    """A new channel (its secrets sealed), audited as "channel.create"."""
    record = channel_store.create(db=db, keys=keys, workspace_id=workspace_id, name=name, config=config)
    audit.record(
        db,
        workspace_id=workspace_id,
        action="channel.create",
        actor=actor,
        actor_id=actor_id,
        target_type="channel",
        target_id=record.id,
        source_ip=source_ip,
        details={"kind": record.kind, "name": record.name},
    )
    return record


def remove(
    *,
    db: Session,
    workspace_id: str,
    channel_id: str,
    actor: str,
    actor_id: str | None,
    source_ip: str | None,
) -> ChannelRecord:
    """Remove a channel and its sealed secrets, audited as "channel.remove"; NotFound when absent."""
    record = channel_store.get(db=db, workspace_id=workspace_id, channel_id=channel_id)
    channel_store.remove(record=record)
    audit.record(
        db,
        workspace_id=workspace_id,
        action="channel.remove",
        actor=actor,
        actor_id=actor_id,
        target_type="channel",
        target_id=record.id,
        source_ip=source_ip,
    )
    return record


def set_enabled(
    *,
    db: Session,
    workspace_id: str,
    channel_id: str,
    enabled: bool,
    actor: str,
    actor_id: str | None,
    source_ip: str | None,
) -> ChannelRecord:
    """Pause a channel (nothing new goes to it, and what is queued for it is given up) or resume
    it; audited as "channel.disable" or "channel.enable" when it changes. NotFound when absent."""
    record = channel_store.get(db=db, workspace_id=workspace_id, channel_id=channel_id)
    if record.enabled == enabled:
        return record
    record.enabled = enabled
    audit.record(
        db,
        workspace_id=workspace_id,
        action="channel.enable" if enabled else "channel.disable",
        actor=actor,
        actor_id=actor_id,
        target_type="channel",
        target_id=record.id,
        source_ip=source_ip,
        details={"name": record.name},
    )
    return record


def secrets_set(record: ChannelRecord) -> list[str]:
    """The secret fields a channel holds (their names only: values never leave the vault)."""
    return list(SECRET_FIELDS[record.kind]) if record.sealed_secrets else []


def whatsapp_webhook_url(*, public_url: str, record: ChannelRecord) -> str | None:
    """WhatsApp: the callback URL to give Meta for this channel; None for other kinds."""
    if record.kind != "whatsapp":
        return None
    return f"{public_url}/api/v1/intake/workspaces/{record.workspace_id}/whatsapp/{record.id}"


def recent_deliveries(*, db: Session, workspace_id: str, limit: int = 25) -> list[Delivery]:
    """The workspace's latest outbox rows, newest first (removed channels' included)."""
    rows = db.execute(
        select(OutboxMessage, ChannelRecord.name, ChannelRecord.kind)
        .join(ChannelRecord, ChannelRecord.id == OutboxMessage.channel_id)
        .where(OutboxMessage.workspace_id == workspace_id)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id)
        .limit(limit)
    ).all()
    return [Delivery(message=message, channel=name, channel_kind=kind) for message, name, kind in rows]


def intake_addresses(*, db: Session, public_url: str, workspace_id: str) -> IntakeAddresses:
    base = f"{public_url}/api/v1/intake/workspaces/{workspace_id}"
    workspace = db.get(Workspace, workspace_id)
    return IntakeAddresses(
        sns_url=f"{base}/sns",
        eventbridge_url=f"{base}/eventbridge",
        eventbridge_header=eventbridge.SECRET_HEADER,
        eventbridge_secret_set=bool(workspace and workspace.intake_secret_hash),
    )


def rotate_intake_secret(
    *, db: Session, workspace_id: str, actor: str, actor_id: str | None, source_ip: str | None
) -> str:
    """A new EventBridge intake secret, returned once (only its digest is kept); the old one stops
    working at once. Audited ("intake.secret.rotate")."""
    workspace = db.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound("no such workspace")
    secret = eventbridge.new_secret()
    workspace.intake_secret_hash = eventbridge.digest(secret)
    audit.record(
        db,
        workspace_id=workspace_id,
        action="intake.secret.rotate",
        actor=actor,
        actor_id=actor_id,
        target_type="workspace",
        target_id=workspace_id,
        source_ip=source_ip,
    )
    return secret
