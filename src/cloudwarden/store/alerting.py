"""Tables of the alert loop: alerts received, channels, the delivery outbox, proposals and consents.

An alert is every alarm transition CloudWarden heard of (SNS, EventBridge, the poller), stored
before it is acknowledged; several alerts of one transition share one incident. A channel holds
a workspace's delivery settings, its secrets sealed apart (vault/). The outbox keeps one row per
message to one recipient: the worker sends it, retries it with backoff and gives up into `dead`.
A proposal is a remediation a diagnosis offered; a consent is one person's single-use, 90-second
approval of exactly that action on exactly that resource with exactly those parameters.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cloudwarden.store.base import Base, Retention, RetentionClass
from cloudwarden.store.types import UTCDateTime, json_document, utcnow

ARN_LENGTH = 2048
DIGEST_LENGTH = 64


def _new_id() -> str:
    import uuid

    return str(uuid.uuid4())


class AlertSource(StrEnum):
    SNS = "sns"
    EVENTBRIDGE = "eventbridge"
    POLLER = "poller"


class Alert(Base):
    """One notification of an alarm's state change, as it arrived."""

    __tablename__ = "alerts"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.FINDINGS_AND_EVENTS, "received_at")
    __table_args__ = (
        # The same delivery twice (an SNS retry, a replay) is stored once.
        UniqueConstraint("workspace_id", "source", "delivery_id"),
        CheckConstraint("source IN ('sns', 'eventbridge', 'poller')", name="source"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    delivery_id: Mapped[str] = mapped_column(String(255))  # SNS MessageId, EventBridge event id, ...
    alarm_name: Mapped[str] = mapped_column(String(255))
    alarm_arn: Mapped[str] = mapped_column(String(ARN_LENGTH))
    region: Mapped[str] = mapped_column(String(32))
    new_state: Mapped[str] = mapped_column(String(32))
    old_state: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # The incident this transition opened or joined (only transitions into ALARM open one).
    incident_id: Mapped[str | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), index=True
    )


class ChannelKind(StrEnum):
    WHATSAPP = "whatsapp"
    SLACK = "slack"
    EMAIL = "email"
    SNS = "sns"


class ChannelRecord(Base):
    """A workspace's delivery channel: settings in the clear, secrets sealed (one envelope token)."""

    __tablename__ = "channels"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.WORKSPACE_DATA, "removed_at")
    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        CheckConstraint("kind IN ('whatsapp', 'slack', 'email', 'sns')", name="kind"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    settings: Mapped[dict[str, Any]] = mapped_column(json_document())  # never a secret
    sealed_secrets: Mapped[str | None] = mapped_column(Text)  # envelope token of a JSON object
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    SENT = "sent"  # the provider accepted it
    DELIVERED = "delivered"  # the provider says it reached the device (WhatsApp)
    READ = "read"
    FAILED = "failed"  # the provider reported a failure after accepting it
    DEAD = "dead"  # given up: out of attempts or refused for good


# A status only moves forward; WhatsApp statuses arrive out of order and more than once.
STATUS_RANK = {"pending": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4, "dead": 4}


class OutboxMessage(Base):
    """One message to one recipient on one channel, and how its delivery went."""

    __tablename__ = "outbox_messages"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.DIAGNOSES, "created_at")
    __table_args__ = (
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
        CheckConstraint(
            "status IN ('pending', 'sent', 'delivered', 'read', 'failed', 'dead')", name="status"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    incident_id: Mapped[str | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    # What makes a message the same message when a task runs twice: (incident, kind, channel, recipient).
    dedup_key: Mapped[str] = mapped_column(String(512), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(320))
    payload: Mapped[dict[str, Any]] = mapped_column(json_document())  # the OutboundMessage
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer(), default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_id: Mapped[str | None] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WhatsAppWindow(Base):
    """When a number last wrote to the workspace's WhatsApp number: free-form replies are allowed
    for 24 hours after. The only trace of the conversation kept besides message statuses."""

    __tablename__ = "whatsapp_windows"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.FINDINGS_AND_EVENTS, "last_inbound_at")
    __table_args__ = (UniqueConstraint("channel_id", "number"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(32))
    last_inbound_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Inbound message ids already handled (Meta re-delivers): the last few, oldest first.
    seen_message_ids: Mapped[list[str]] = mapped_column(json_document(), default=list)


class ProposalStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"  # a consent was issued and not yet used
    EXECUTING = "executing"
    SUCCEEDED = "succeeded"  # the action ran and its own verification passed
    FAILED = "failed"
    REFUSED = "refused"  # a precondition failed at execution time


class ActionProposal(Base):
    """A remediation a diagnosis proposed for one resource, and what became of it."""

    __tablename__ = "action_proposals"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.DIAGNOSES, "created_at")
    __table_args__ = (
        UniqueConstraint("incident_id", "action", "resource"),
        CheckConstraint(
            "status IN ('proposed', 'approved', 'executing', 'succeeded', 'failed', 'refused')",
            name="status",
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(64))
    resource: Mapped[str] = mapped_column(String(ARN_LENGTH))
    params: Mapped[dict[str, Any]] = mapped_column(json_document())
    status: Mapped[str] = mapped_column(String(16), default=ProposalStatus.PROPOSED.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    executed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    executed_by: Mapped[str | None] = mapped_column(String(320))
    result: Mapped[dict[str, Any]] = mapped_column(json_document(), default=dict)
    # After execution: did the alarm return to OK (None until known)?
    recovered: Mapped[bool | None] = mapped_column()
    recovery_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Consent(Base):
    """A single-use approval, valid 90 seconds, bound to workspace, approver, action, resource and
    parameters (their canonical digest). Only a digest of its secret is stored."""

    __tablename__ = "consents"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.DIAGNOSES, "issued_at")

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[str] = mapped_column(
        ForeignKey("action_proposals.id", ondelete="CASCADE"), index=True
    )
    approver_id: Mapped[str] = mapped_column(String(36))  # a user id (the audit log names them)
    approver: Mapped[str] = mapped_column(String(320))
    via: Mapped[str] = mapped_column(String(16))  # "api" or "whatsapp"
    action: Mapped[str] = mapped_column(String(64))
    resource: Mapped[str] = mapped_column(String(ARN_LENGTH))
    params_digest: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    secret_digest: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class InvestigationJob(Base):
    """An investigation someone asked for through the API: queued, run by a worker, then done or
    failed. Stored, so any server process can report it and a restart forgets nothing."""

    __tablename__ = "investigation_jobs"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.FINDINGS_AND_EVENTS, "created_at")
    __table_args__ = (CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    alarm_name: Mapped[str] = mapped_column(String(255))
    lookback_minutes: Mapped[int] = mapped_column(Integer())
    actor: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    incident_id: Mapped[str | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
