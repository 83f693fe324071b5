"""One incident as people read it: the audited read, what followed it, and its timeline.

    record = view.read(db=db, workspace_id=ws, incident_id=i, principal=who)   # audited
    story = view.follow_up(db=db, record=record)      # series, deliveries, proposals, consents
    events = story.timeline()                         # onset ... recovery, in time order

The API's incident endpoint and the console's incident page both read through `read`, so every
read of a customer's evidence is audited the same way. Never commits.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudwarden.audit import service as audit
from cloudwarden.errors import NotFound, UsageError
from cloudwarden.identity.access import Principal
from cloudwarden.store import service as store
from cloudwarden.store.alerting import ActionProposal, ChannelRecord, Consent, OutboxMessage
from cloudwarden.store.models import Diagnosis, EvidenceRecord, Incident, MetricSeries

CHANGE_SOURCES = frozenset({"cloudtrail", "ecs-deployment"})


@dataclass(frozen=True)
class IncidentRecord:
    incident: Incident
    diagnosis: Diagnosis | None
    evidence: list[EvidenceRecord]


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str  # onset, change, alarm, received, diagnosis, delivery, approval, action, recovery, resolved
    title: str
    detail: str = ""
    status: str | None = None


@dataclass(frozen=True)
class Delivery:
    message: OutboxMessage
    channel: str  # the channel's name
    kind: str  # whatsapp, slack, email, sns


@dataclass(frozen=True)
class IncidentStory:
    record: IncidentRecord
    series: list[MetricSeries] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    proposals: list[ActionProposal] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)

    @property
    def result(self) -> dict[str, Any]:
        return self.record.diagnosis.result if self.record.diagnosis is not None else {}

    @property
    def onset(self) -> datetime | None:
        return _moment(self.result.get("onset"))

    @property
    def changes(self) -> list[EvidenceRecord]:
        """Configuration changes and deployments in the diagnosis' evidence window, oldest first,
        each once (a change cited by two hypotheses is one change)."""
        start, end = _moment(self.result.get("window_start")), _moment(self.result.get("window_end"))
        seen: set[tuple[str, datetime]] = set()
        changes = []
        for record in sorted(self.record.evidence, key=lambda e: _aware(e.observed_at)):
            at = _aware(record.observed_at)
            if not (record.kind == "change" or record.source in CHANGE_SOURCES):
                continue
            if (start is not None and at < start) or (end is not None and at > end):
                continue
            if (record.summary, at) not in seen:
                seen.add((record.summary, at))
                changes.append(record)
        return changes

    @property
    def log_excerpts(self) -> list[EvidenceRecord]:
        return [e for e in self.record.evidence if e.source == "logs"]

    def timeline(self) -> list[TimelineEvent]:
        incident, diagnosis = self.record.incident, self.record.diagnosis
        events: list[TimelineEvent] = []
        if self.onset is not None:
            events.append(
                TimelineEvent(self.onset, "onset", "Estimated onset", "earliest sustained deviation")
            )
        for change in self.changes:
            events.append(TimelineEvent(change.observed_at, "change", "Change", change.summary))
        events.append(
            TimelineEvent(incident.opened_at, "alarm", f"Alarm {incident.alarm_name} went into ALARM")
        )
        events.append(TimelineEvent(incident.received_at, "received", "Alert received"))
        if diagnosis is not None:
            top = f"{diagnosis.top_fault or 'no cause found'}"
            if diagnosis.top_resource:
                top += f" on {diagnosis.top_resource}"
            events.append(
                TimelineEvent(
                    diagnosis.created_at,
                    "diagnosis",
                    "Diagnosis",
                    f"{top} ({diagnosis.confidence:.0%} confidence)",
                )
            )
        for delivery in self.deliveries:
            message = delivery.message
            events.append(
                TimelineEvent(
                    message.sent_at or message.created_at,
                    "delivery",
                    f"Delivery via {delivery.kind} ({delivery.channel})",
                    f"to {mask_recipient(message.recipient)}"
                    + (f": {message.last_error}" if message.last_error else ""),
                    message.status,
                )
            )
        for consent in self.consents:
            events.append(
                TimelineEvent(
                    consent.issued_at,
                    "approval",
                    f"Approved by {consent.approver} (via {consent.via})",
                    f"{consent.action}; consent {'used' if consent.used_at else 'not used'}",
                )
            )
        for proposal in self.proposals:
            events.append(
                TimelineEvent(
                    proposal.created_at, "proposal", f"Proposed: {proposal.action}", proposal.resource
                )
            )
            if proposal.executed_at is not None:
                events.append(
                    TimelineEvent(
                        proposal.executed_at,
                        "action",
                        f"Executed {proposal.action}",
                        f"by {proposal.executed_by or 'unknown'}",
                        proposal.status,
                    )
                )
            if proposal.recovery_checked_at is not None and proposal.recovered is not None:
                events.append(
                    TimelineEvent(
                        proposal.recovery_checked_at,
                        "recovery",
                        "Recovered: the alarm is OK" if proposal.recovered else "Not recovered",
                        "",
                        "recovered" if proposal.recovered else "failed",
                    )
                )
        if incident.resolved_at is not None:
            events.append(TimelineEvent(incident.resolved_at, "resolved", "Resolved"))
        return sorted(events, key=lambda e: _aware(e.at))


def read(*, db: Session, workspace_id: str, incident_id: str, principal: Principal) -> IncidentRecord:
    """The incident with its latest diagnosis and evidence; the read is audited ("incident.read")."""
    record = load(db=db, workspace_id=workspace_id, incident_id=incident_id)
    audit.record(
        db,
        workspace_id=workspace_id,
        action="incident.read",
        actor=principal.label,
        actor_id=principal.user_id,
        target_type="incident",
        target_id=record.incident.id,
        source_ip=principal.source_ip,
        details={
            "diagnosis": record.diagnosis.id if record.diagnosis else None,
            "evidence": len(record.evidence),
        },
    )
    return record


def load(*, db: Session, workspace_id: str, incident_id: str) -> IncidentRecord:
    """The same, unaudited: for a page refreshing what its audited read already showed."""
    incident = store.get_incident(db=db, workspace_id=workspace_id, incident_id=incident_id)
    if incident is None:
        raise NotFound(
            "no such incident", hint=f"list them with GET /api/v1/workspaces/{workspace_id}/incidents"
        )
    diagnosis = store.latest_diagnosis(db=db, workspace_id=workspace_id, incident_id=incident.id)
    evidence = store.list_evidence(db=db, workspace_id=workspace_id, incident_id=incident.id)
    return IncidentRecord(incident=incident, diagnosis=diagnosis, evidence=evidence)


def follow_up(*, db: Session, record: IncidentRecord) -> IncidentStory:
    """What the incident page shows beyond the diagnosis: metrics, deliveries, actions."""
    incident = record.incident
    workspace_id = incident.workspace_id
    deliveries = [
        Delivery(message=message, channel=name, kind=kind)
        for message, name, kind in db.execute(
            select(OutboxMessage, ChannelRecord.name, ChannelRecord.kind)
            .join(ChannelRecord, ChannelRecord.id == OutboxMessage.channel_id)
            .where(OutboxMessage.workspace_id == workspace_id, OutboxMessage.incident_id == incident.id)
            .order_by(OutboxMessage.created_at)
        ).all()
    ]
    proposals = list(
        db.scalars(
            select(ActionProposal)
            .where(ActionProposal.workspace_id == workspace_id, ActionProposal.incident_id == incident.id)
            .order_by(ActionProposal.created_at)
        )
    )
    consents = (
        list(
            db.scalars(
                select(Consent)
                .where(
                    Consent.workspace_id == workspace_id, Consent.proposal_id.in_([p.id for p in proposals])
                )
                .order_by(Consent.issued_at)
            )
        )
        if proposals
        else []
    )
    series = store.list_metric_series(db=db, workspace_id=workspace_id, incident_id=incident.id)
    return IncidentStory(
        record=record, series=series, deliveries=deliveries, proposals=proposals, consents=consents
    )


def encode_cursor(incident: Incident) -> str:
    """Where the next page of the incidents list starts (the API's and the console's)."""
    raw = json.dumps([incident.opened_at.isoformat(), incident.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        opened, incident_id = json.loads(raw)
        moment = datetime.fromisoformat(opened)
        if not isinstance(incident_id, str) or moment.tzinfo is None:
            raise ValueError("not a cursor")
    except (ValueError, TypeError, binascii.Error):
        raise UsageError(
            "the cursor is not one this API gave", hint="pass next_cursor from the previous page as is"
        ) from None
    return moment, incident_id


def mask_recipient(recipient: str) -> str:
    """A phone number or address as a page shows it: enough to recognise, not to harvest."""
    if "@" in recipient:
        name, _, domain = recipient.partition("@")
        return f"{name[:2]}…@{domain}"
    if recipient.startswith("arn:"):
        return recipient
    return f"…{recipient[-4:]}" if len(recipient) > 4 else recipient


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return _aware(datetime.fromisoformat(value))
    except ValueError:
        return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
