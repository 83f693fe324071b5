"""Tables. Every model declares `__retention__` (see cloudwarden.store.retention)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    CheckConstraint,
    Connection,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
    text,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from cloudwarden.store.base import Base, Retention, RetentionClass
from cloudwarden.store.types import UTCDateTime, json_document, utcnow

ARN_LENGTH = 2048


def new_id() -> str:
    return str(uuid.uuid4())


class AccountStatus(StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    CLOSED = "closed"


class IncidentState(StrEnum):
    OPEN = "open"
    DIAGNOSED = "diagnosed"


_NOT_CLOSED = text("status != 'closed'")


class Account(Base):
    """A customer AWS account CloudWarden may read through a role the customer created."""

    __tablename__ = "accounts"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.ACCOUNT_METADATA, "closed_at")
    __table_args__ = (
        # One live account per role in a workspace; a closed account keeps its row (until purge)
        # without blocking the same role from being connected again.
        Index(
            "uq_accounts_workspace_id_role_arn_not_closed",
            "workspace_id",
            "role_arn",
            unique=True,
            sqlite_where=_NOT_CLOSED,
            postgresql_where=_NOT_CLOSED,
        ),
        CheckConstraint("status IN ('connected', 'disconnected', 'closed')", name="status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    role_arn: Mapped[str] = mapped_column(String(ARN_LENGTH))
    # Not a secret in AWS's model, but it guards against the confused deputy: never log it.
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    regions: Mapped[list[str]] = mapped_column(json_document())
    status: Mapped[str] = mapped_column(String(16), default=AccountStatus.DISCONNECTED.value)
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Per evidence source: {"usable": bool, "denied": [actions]} from the last permission probe.
    last_probe: Mapped[dict[str, Any] | None] = mapped_column(json_document(nullable_as_sql_null=True))
    # The separate role for approved remediations (the stack's EnableActions); None: actions off.
    actions_role_arn: Mapped[str | None] = mapped_column(String(ARN_LENGTH))

    incidents: Mapped[list[Incident]] = relationship(
        back_populates="account", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"Account(id={self.id!r}, name={self.name!r}, status={self.status!r})"


class Incident(Base):
    """One alarm going off in a customer account."""

    __tablename__ = "incidents"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.DIAGNOSES, "received_at")
    __table_args__ = (
        Index("ix_incidents_account_id_opened_at", "account_id", "opened_at"),
        # An alarm's unresolved incidents: what an OK alert resolves (alerts/service.py).
        Index(
            "ix_incidents_unresolved",
            "workspace_id",
            "alarm_name",
            postgresql_where=text("resolved_at IS NULL"),
            sqlite_where=text("resolved_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    alarm_name: Mapped[str] = mapped_column(String(255))
    alarm_arn: Mapped[str] = mapped_column(String(ARN_LENGTH))
    region: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default=IncidentState.OPEN.value)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the alarm's StateChangeTime
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    notification: Mapped[dict[str, Any]] = mapped_column(json_document())
    # Identifies the alarm transition (store/service.transition_key): the same transition arriving
    # by SNS, EventBridge and the poller is one incident.
    dedup_key: Mapped[str] = mapped_column(String(1024), unique=True)
    # When the alarm went back to OK (an alert of that transition arrived, or the watch saw it).
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    account: Mapped[Account] = relationship(back_populates="incidents")
    evidence: Mapped[list[EvidenceRecord]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", passive_deletes=True
    )
    metric_series: Mapped[list[MetricSeries]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", passive_deletes=True
    )
    diagnoses: Mapped[list[Diagnosis]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"Incident(id={self.id!r}, alarm_name={self.alarm_name!r}, state={self.state!r})"


class EvidenceRecord(Base):
    """One finding or event collected for an incident (a CloudTrail event, an ECS event, ...)."""

    __tablename__ = "evidence_records"
    # Measured from collection, not observation: a week-old deploy found today is kept a week.
    __retention__: ClassVar[Retention] = Retention(RetentionClass.FINDINGS_AND_EVENTS, "collected_at")

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(128))
    resource: Mapped[str] = mapped_column(String(ARN_LENGTH))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    summary: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(json_document())
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    incident: Mapped[Incident] = relationship(back_populates="evidence")


class MetricSeries(Base):
    """Raw CloudWatch datapoints of one metric, as collected for an incident."""

    __tablename__ = "metric_series"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.METRIC_DATAPOINTS, "collected_at")

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    resource: Mapped[str] = mapped_column(String(ARN_LENGTH))
    namespace: Mapped[str] = mapped_column(String(255))
    metric_name: Mapped[str] = mapped_column(String(255))
    stat: Mapped[str] = mapped_column(String(64))
    dimensions: Mapped[dict[str, str]] = mapped_column(json_document())
    # [[ISO 8601 UTC timestamp, value], ...] in time order.
    datapoints: Mapped[list[list[Any]]] = mapped_column(json_document())
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    incident: Mapped[Incident] = relationship(back_populates="metric_series")

    @property
    def points(self) -> list[tuple[datetime, float]]:
        return [(datetime.fromisoformat(when), float(value)) for when, value in self.datapoints]


class Diagnosis(Base):
    """The engine's ranked root causes for an incident; the whole document is kept in `result`."""

    __tablename__ = "diagnoses"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.DIAGNOSES, "created_at")
    __table_args__ = (Index("ix_diagnoses_incident_id_created_at", "incident_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    top_resource: Mapped[str | None] = mapped_column(String(ARN_LENGTH))
    top_fault: Mapped[str | None] = mapped_column(String(255))
    confidence: Mapped[float] = mapped_column(Double())
    result: Mapped[dict[str, Any]] = mapped_column(json_document())
    aws_calls: Mapped[int] = mapped_column(Integer())
    duration_ms: Mapped[int] = mapped_column(Integer())

    incident: Mapped[Incident] = relationship(back_populates="diagnoses")


def _refuse_overlong_strings(mapper: Mapper[Any], _connection: Connection, target: Base) -> None:
    # PostgreSQL refuses a string longer than its column and SQLite silently keeps it; refuse it on
    # both, naming the column, so the two databases behave alike.
    for column in mapper.columns:
        limit = getattr(column.type, "length", None)
        if limit is None:
            continue
        value = getattr(target, mapper.get_property_by_column(column).key, None)
        if isinstance(value, str) and len(value) > limit:
            raise ValueError(
                f"{column.table.name}.{column.name} is {len(value)} characters long; the limit is {limit}"
            )


event.listen(Base, "before_insert", _refuse_overlong_strings, propagate=True)
event.listen(Base, "before_update", _refuse_overlong_strings, propagate=True)


# The service's tables live in their own module; importing it here registers them on Base with
# the rest, wherever the models are loaded (migrations, retention, tests).
from cloudwarden.store import alerting as _alerting  # noqa: E402, F401
from cloudwarden.store import posture as _posture  # noqa: E402, F401
from cloudwarden.store import tenancy as _tenancy  # noqa: E402, F401
