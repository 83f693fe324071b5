"""The durable outbox: every message is a row first, then attempts with backoff, then `dead`.

    rows = enqueue(db=db, workspace_id=ws, channel=record, message=msg, incident_id=i, key="diagnosis")
    db.commit(); for row in rows: dispatcher.send("deliver_message", ...)
    outcome = attempt(row, channel=built, now=now)    # in the deliver task, under the row's lock

A message is the same message when it has the same (incident, key, channel, recipient): enqueueing
it again (a task run twice) finds the first row. A send the provider refused for good, or one
that failed MAX_ATTEMPTS times, goes `dead` with the reason; a retryable failure waits
BASE_DELAY * 2^(attempt-1) seconds (at most MAX_DELAY, or what the provider asked for).
The provider's later statuses (WhatsApp: delivered, read, failed) only move a row forward.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloudwarden.alerts.channels.base import (
    Button,
    Channel,
    DeliveryFailed,
    OutboundMessage,
    TemplateRef,
)
from cloudwarden.store.alerting import STATUS_RANK, ChannelRecord, DeliveryStatus, OutboxMessage
from cloudwarden.store.types import utcnow

MAX_ATTEMPTS = 8
BASE_DELAY = 5.0
MAX_DELAY = 900.0


@dataclass(frozen=True)
class Attempted:
    status: str
    retry_in: float | None = None  # seconds until the next attempt, when there is one
    error: str | None = None


def recipients_of(channel: ChannelRecord) -> list[str]:
    """Who a channel delivers to: its numbers or addresses; one "" for a webhook or a topic."""
    listed = channel.settings.get("recipients")
    return [str(r) for r in listed] if isinstance(listed, list) and listed else [""]


def enqueue(
    *,
    db: Session,
    workspace_id: str,
    channel: ChannelRecord,
    message: OutboundMessage,
    key: str,
    incident_id: str | None = None,
    recipients: list[str] | None = None,
) -> list[OutboxMessage]:
    """One pending row per recipient (the existing one when this message was enqueued before)."""
    rows = []
    for recipient in recipients if recipients is not None else recipients_of(channel):
        dedup = f"{incident_id or '-'}:{key}:{channel.id}:{recipient}"
        existing = db.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key == dedup)).first()
        if existing is not None:
            rows.append(existing)
            continue
        row = OutboxMessage(
            workspace_id=workspace_id,
            channel_id=channel.id,
            incident_id=incident_id,
            dedup_key=dedup,
            kind=message.kind,
            recipient=recipient,
            payload=to_payload(message),
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            next_attempt_at=utcnow(),
        )
        try:
            with db.begin_nested():
                db.add(row)
        except IntegrityError:  # enqueued at the same moment by a second run of the same task
            again = db.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key == dedup)).first()
            if again is None:
                raise
            row = again
        rows.append(row)
    return rows


def attempt(row: OutboxMessage, *, channel: Channel, now: datetime | None = None) -> Attempted:
    """Send a pending row once and record how it went (the caller holds its lock and commits)."""
    now = now or utcnow()
    if row.status != DeliveryStatus.PENDING.value:
        return Attempted(row.status)
    row.attempts += 1
    row.updated_at = now
    try:
        result = channel.send(from_payload(row.payload, reference=row.id), recipient=row.recipient)
    except DeliveryFailed as failure:
        row.last_error = failure.reason[:2000]
        if not failure.retryable or row.attempts >= MAX_ATTEMPTS:
            row.status = DeliveryStatus.DEAD.value
            row.next_attempt_at = None
            return Attempted(row.status, error=row.last_error)
        delay = backoff(row.attempts, retry_after=failure.retry_after)
        row.next_attempt_at = now + timedelta(seconds=delay)
        return Attempted(row.status, retry_in=delay, error=row.last_error)
    row.status = DeliveryStatus.SENT.value
    row.provider_id = result.provider_id
    row.sent_at = now
    row.next_attempt_at = None
    row.last_error = None
    return Attempted(row.status)


def fail(row: OutboxMessage, reason: str, *, now: datetime | None = None) -> Attempted:
    """A row that cannot be attempted at all (its channel was removed or cannot be built)."""
    row.status = DeliveryStatus.DEAD.value
    row.last_error = reason[:2000]
    row.next_attempt_at = None
    row.updated_at = now or utcnow()
    return Attempted(row.status, error=row.last_error)


def backoff(attempts: int, *, retry_after: float | None = None) -> float:
    """Exponential with a little jitter (so a provider's outage does not end in a stampede)."""
    delay = min(MAX_DELAY, BASE_DELAY * 2 ** max(0, attempts - 1))
    delay *= 1 + random.uniform(0, 0.2)
    return float(max(delay, retry_after or 0.0))


def apply_status(
    *, db: Session, workspace_id: str, provider_id: str, status: str, error: str | None = None
) -> OutboxMessage | None:
    """A provider's delivery status for a message it accepted; statuses only move forward."""
    row = db.scalars(
        select(OutboxMessage).where(
            OutboxMessage.workspace_id == workspace_id, OutboxMessage.provider_id == provider_id
        )
    ).first()
    if row is None or status not in STATUS_RANK:
        return row
    if STATUS_RANK[status] > STATUS_RANK.get(row.status, 0):
        row.status = status
        row.updated_at = utcnow()
        if error:
            row.last_error = error[:2000]
    return row


def to_payload(message: OutboundMessage) -> dict[str, Any]:
    payload = dataclasses.asdict(message)
    payload.pop("reference", None)
    return payload


def from_payload(payload: dict[str, Any], *, reference: str = "") -> OutboundMessage:
    template = payload.get("template")
    return OutboundMessage(
        kind=payload["kind"],
        subject=payload["subject"],
        text=payload["text"],
        facts=tuple((str(k), str(v)) for k, v in payload.get("facts") or ()),
        url=payload.get("url"),
        buttons=tuple(Button(id=b["id"], title=b["title"]) for b in payload.get("buttons") or ()),
        template=TemplateRef(
            name=template["name"],
            language=template.get("language", "en_US"),
            body_parameters=tuple(template.get("body_parameters") or ()),
        )
        if template
        else None,
        reference=reference,
    )
