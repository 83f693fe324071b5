"""A workspace's delivery channels (WhatsApp, Slack, email, SNS), its intake addresses, test alerts.

Secrets a channel is given (tokens, app secrets, passwords, webhook URLs) are sealed on arrival
and never returned: a channel shows its settings and which secrets are set. Admins manage
channels; every member can see them and send a test alert.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from cloudwarden.alerts import channel_admin, channel_store
from cloudwarden.alerts import testing as alert_testing
from cloudwarden.alerts.channels import configs
from cloudwarden.api.auth import allow
from cloudwarden.api.deps import SessionDep, settings_of
from cloudwarden.api.schemas import ApiInput
from cloudwarden.config import Settings
from cloudwarden.identity.access import Access
from cloudwarden.store.alerting import ChannelRecord
from cloudwarden.worker import context as worker_context

router = APIRouter(tags=["channels"])
CHANNELS = "/workspaces/{workspace_id}/channels"
INTAKE = "/workspaces/{workspace_id}/intake"

ChannelsRead = Annotated[Access, Depends(allow("channels:read"))]
ChannelsWrite = Annotated[Access, Depends(allow("channels:write"))]
AccountsRead = Annotated[Access, Depends(allow("accounts:read"))]
AccountsWrite = Annotated[Access, Depends(allow("accounts:write"))]


class ChannelIn(ApiInput):
    name: str = Field(min_length=1, max_length=64)
    config: configs.ChannelConfig


class ChannelChange(ApiInput):
    enabled: bool = Field(
        description="false pauses the channel: nothing new, nor anything queued, goes to it"
    )


class ChannelOut(BaseModel):
    id: str
    name: str
    kind: str
    enabled: bool
    settings: dict[str, Any]
    secrets_set: list[str] = Field(description="Which secret fields are stored (never their values)")
    webhook_url: str | None = Field(description="WhatsApp: the callback URL to give Meta")
    created_at: datetime

    @classmethod
    def of(cls, record: ChannelRecord, settings: Settings) -> ChannelOut:
        return cls(
            id=record.id,
            name=record.name,
            kind=record.kind,
            enabled=record.enabled,
            settings=dict(record.settings),  # never a secret: those are sealed apart
            secrets_set=channel_admin.secrets_set(record),
            webhook_url=channel_admin.whatsapp_webhook_url(public_url=settings.public_url, record=record),
            created_at=record.created_at,
        )


@router.get(CHANNELS, summary="The workspace's delivery channels")
def list_channels(granted: ChannelsRead, db: SessionDep, request: Request) -> list[ChannelOut]:
    return [
        ChannelOut.of(r, settings_of(request))
        for r in channel_store.listed(db=db, workspace_id=granted.workspace_id)
    ]


@router.post(CHANNELS, status_code=201, summary="Add a channel (its secrets are sealed, never shown again)")
def create_channel(body: ChannelIn, granted: ChannelsWrite, db: SessionDep, request: Request) -> ChannelOut:
    record = channel_admin.add(
        db=db,
        keys=request.app.state.identity.keys,
        workspace_id=granted.workspace_id,
        name=body.name,
        config=body.config,
        actor=granted.principal.label,
        actor_id=granted.principal.user_id,
        source_ip=granted.principal.source_ip,
    )
    return ChannelOut.of(record, settings_of(request))


@router.patch(f"{CHANNELS}/{{channel_id}}", summary="Pause or resume a channel")
def change_channel(
    channel_id: str, body: ChannelChange, granted: ChannelsWrite, db: SessionDep, request: Request
) -> ChannelOut:
    record = channel_admin.set_enabled(
        db=db,
        workspace_id=granted.workspace_id,
        channel_id=channel_id,
        enabled=body.enabled,
        actor=granted.principal.label,
        actor_id=granted.principal.user_id,
        source_ip=granted.principal.source_ip,
    )
    return ChannelOut.of(record, settings_of(request))


@router.delete(f"{CHANNELS}/{{channel_id}}", status_code=204, summary="Remove a channel and its secrets")
def remove_channel(channel_id: str, granted: ChannelsWrite, db: SessionDep) -> None:
    channel_admin.remove(
        db=db,
        workspace_id=granted.workspace_id,
        channel_id=channel_id,
        actor=granted.principal.label,
        actor_id=granted.principal.user_id,
        source_ip=granted.principal.source_ip,
    )


class TestResult(BaseModel):
    channel: str
    kind: str
    recipient: str
    status: str = Field(description="sent, pending (will be retried) or dead")
    error: str | None


@router.post(f"{CHANNELS}/test", summary="Send a test alert through every enabled channel, now")
def send_test_alert(granted: ChannelsRead, db: SessionDep) -> list[TestResult]:
    db.commit()  # the test runs in transactions of its own
    results = alert_testing.send_test(
        ctx=worker_context.get(), workspace_id=granted.workspace_id, actor=granted.principal.label
    )
    return [TestResult(**r.__dict__) for r in results]


class IntakeOut(BaseModel):
    sns_url: str = Field(description="Subscribe it (HTTPS) to the account's alerts topic")
    eventbridge_url: str = Field(description="The API destination's endpoint")
    eventbridge_header: str = Field(description="The API destination connection's API-key header name")
    eventbridge_secret_set: bool


class IntakeSecretOut(BaseModel):
    secret: str = Field(description="Shown once: the API-key value of the EventBridge connection")


@router.get(INTAKE, summary="Where this workspace receives alarms (SNS, EventBridge)")
def intake_addresses(granted: AccountsRead, db: SessionDep, request: Request) -> IntakeOut:
    addresses = channel_admin.intake_addresses(
        db=db, public_url=settings_of(request).public_url, workspace_id=granted.workspace_id
    )
    return IntakeOut(**addresses.__dict__)


@router.post(f"{INTAKE}/secret", summary="Make a new EventBridge intake secret (the old one stops working)")
def rotate_intake_secret(granted: AccountsWrite, db: SessionDep) -> IntakeSecretOut:
    principal = granted.principal
    secret = channel_admin.rotate_intake_secret(
        db=db,
        workspace_id=granted.workspace_id,
        actor=principal.label,
        actor_id=principal.user_id,
        source_ip=principal.source_ip,
    )
    return IntakeSecretOut(secret=secret)
