"""A workspace's channels: settings stored in the clear, secrets sealed, channels built to send.

    record = create(db=db, keys=keys, workspace_id=ws, name="on-call phones", config=WhatsAppConfig(...))
    channel = build(db=db, ctx=ctx, record=record)          # a Channel ready to send

Secret fields (each config's SECRET_FIELDS: tokens, app secrets, passwords, webhook URLs) are
sealed together as one envelope token bound to the channel's row; they are never returned by
the API and never logged. Nothing of a conversation is stored here.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudwarden.accounts.service import check_name
from cloudwarden.alerts.channels import configs
from cloudwarden.alerts.channels.base import Channel
from cloudwarden.alerts.flows import connected_account
from cloudwarden.aws.session import base_session
from cloudwarden.crypto.providers import KeyProvider
from cloudwarden.errors import NotFound, UsageError
from cloudwarden.store.alerting import ChannelRecord, WhatsAppWindow
from cloudwarden.store.types import utcnow
from cloudwarden.vault import service as vault

if TYPE_CHECKING:
    from cloudwarden.worker.context import Context

FIELD = "channels.secrets"
NAME_MAX = 64
WINDOW = timedelta(hours=24)


def create(
    *, db: Session, keys: KeyProvider, workspace_id: str, name: str, config: configs.ChannelConfig
) -> ChannelRecord:
    name = check_name(name, what="channel name", limit=NAME_MAX)
    if db.scalars(
        select(ChannelRecord).where(
            ChannelRecord.workspace_id == workspace_id,
            ChannelRecord.name == name,
            ChannelRecord.removed_at.is_(None),
        )
    ).first():
        raise UsageError(f"a channel named {name!r} exists already", hint="choose another name")
    record = ChannelRecord(workspace_id=workspace_id, name=name, kind=config.kind, settings={}, enabled=True)
    db.add(record)
    db.flush()
    _store_config(db, keys=keys, record=record, config=config)
    return record


def update(*, db: Session, keys: KeyProvider, record: ChannelRecord, config: configs.ChannelConfig) -> None:
    if config.kind != record.kind:
        raise UsageError(f"channel {record.name!r} is a {record.kind} channel, not {config.kind}")
    _store_config(db, keys=keys, record=record, config=config)
    record.updated_at = utcnow()


def listed(*, db: Session, workspace_id: str, enabled_only: bool = False) -> list[ChannelRecord]:
    query = select(ChannelRecord).where(
        ChannelRecord.workspace_id == workspace_id, ChannelRecord.removed_at.is_(None)
    )
    if enabled_only:
        query = query.where(ChannelRecord.enabled.is_(True))
    return list(db.scalars(query.order_by(ChannelRecord.created_at)))


def get(*, db: Session, workspace_id: str, channel_id: str) -> ChannelRecord:
    record = db.get(ChannelRecord, channel_id)
    if record is None or record.workspace_id != workspace_id or record.removed_at is not None:
        raise NotFound("no such channel")
    return record


def remove(*, record: ChannelRecord) -> None:
    record.removed_at = utcnow()
    record.enabled = False
    record.sealed_secrets = None  # nothing secret outlives the channel


def config_of(*, db: Session, keys: KeyProvider, record: ChannelRecord) -> configs.ChannelConfig:
    secrets: dict[str, Any] = {}
    if record.sealed_secrets:
        secrets = json.loads(
            vault.unseal(
                db,
                provider=keys,
                workspace_id=record.workspace_id,
                field=FIELD,
                row=record.id,
                token=record.sealed_secrets,
            )
        )
    return configs.load_channel_config(settings={**record.settings, "kind": record.kind}, secrets=secrets)


def window_open(db: Session, *, channel_id: str, number: str) -> bool:
    window = db.scalars(
        select(WhatsAppWindow).where(WhatsAppWindow.channel_id == channel_id, WhatsAppWindow.number == number)
    ).first()
    return window is not None and utcnow() - window.last_inbound_at < WINDOW


def close_window(db: Session, *, channel_id: str, number: str) -> None:
    """Meta says the number's 24-hour window is closed, whatever we last saw: templates until it writes."""
    window = db.scalars(
        select(WhatsAppWindow).where(WhatsAppWindow.channel_id == channel_id, WhatsAppWindow.number == number)
    ).first()
    if window is not None:
        window.last_inbound_at = utcnow() - WINDOW - timedelta(seconds=1)


def note_inbound(db: Session, *, workspace_id: str, channel_id: str, number: str, message_id: str) -> bool:
    """Remember that `number` wrote (it opens the 24-hour window); False when this message id was
    handled before (Meta re-delivers webhooks)."""
    window = db.scalars(
        select(WhatsAppWindow)
        .where(WhatsAppWindow.channel_id == channel_id, WhatsAppWindow.number == number)
        .with_for_update()
    ).first()
    if window is None:
        window = WhatsAppWindow(
            workspace_id=workspace_id,
            channel_id=channel_id,
            number=number,
            last_inbound_at=utcnow(),
            seen_message_ids=[],
        )
        db.add(window)
    if message_id in (window.seen_message_ids or []):
        return False
    window.last_inbound_at = utcnow()
    window.seen_message_ids = [*(window.seen_message_ids or [])[-49:], message_id]
    db.flush()
    return True


def build(*, db: Session, ctx: Context, record: ChannelRecord) -> Channel:
    """A channel ready to send, its secrets unsealed for this call only."""
    from cloudwarden.alerts.channels import email, slack, sns, whatsapp

    config = config_of(db=db, keys=ctx.keys, record=record)
    if isinstance(config, configs.WhatsAppConfig):
        return whatsapp.WhatsAppChannel(
            config,
            http=ctx.http,
            window_open=lambda number: window_open(db, channel_id=record.id, number=number),
        )
    if isinstance(config, configs.SlackConfig):
        return slack.SlackChannel(config, http=ctx.http)
    if isinstance(config, configs.EmailConfig):
        return email.EmailChannel(config)
    # Only a topic of an account connected to the workspace; published with CloudWarden's own
    # principal, which the onboarding stack's topic policy allows to publish (never the read role).
    connected_account(db, workspace_id=record.workspace_id, aws_account_id=config.topic_arn.split(":")[4])

    def client_factory(region: str) -> Any:
        return base_session(ctx.settings, region).client("sns", endpoint_url=ctx.settings.aws_endpoint())

    return sns.SnsChannel(config, client_factory=client_factory)


def _store_config(
    db: Session, *, keys: KeyProvider, record: ChannelRecord, config: configs.ChannelConfig
) -> None:
    record.settings = {k: v for k, v in config.public_settings().items() if k != "kind"}
    secrets = config.secret_values()
    record.sealed_secrets = (
        vault.seal(
            db,
            provider=keys,
            workspace_id=record.workspace_id,
            field=FIELD,
            row=record.id,
            value=json.dumps(secrets),
        )
        if secrets
        else None
    )
