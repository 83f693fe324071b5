"""Tables of the posture audits: scans, their results, findings tracked across scans, suppressions.

A scan keeps its summary (counts, per-framework scores, what could not be read) for the trend
lines; its results (one per check and resource) say what each check saw. An issue is one failing
(check, resource, region) of an account followed across scans: when it was first seen, whether it
is open or resolved, how often it came back. A suppression hides matching failures from the
score for a stated reason, by a named owner, until it expires. External findings are what
Security Hub, GuardDuty and Inspector report, shown beside CloudWarden's own and kept 7 days.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cloudwarden.store.alerting import ARN_LENGTH
from cloudwarden.store.base import Base, Retention, RetentionClass
from cloudwarden.store.types import UTCDateTime, json_document, utcnow


def new_id() -> str:
    import uuid

    return str(uuid.uuid4())


class PostureScan(Base):
    __tablename__ = "posture_scans"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.DIAGNOSES, "started_at")
    __table_args__ = (Index("ix_posture_scans_account_id_started_at", "account_id", "started_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    regions: Mapped[list[str]] = mapped_column(json_document())
    checks: Mapped[int] = mapped_column(Integer)
    api_calls: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, int]] = mapped_column(json_document())  # status -> results
    # framework id -> {"passed", "failed", "total", "share", "score"}
    scores: Mapped[dict[str, Any]] = mapped_column(json_document())
    changes: Mapped[dict[str, int]] = mapped_column(json_document())  # new, resolved, recurring, open
    unavailable: Mapped[dict[str, str]] = mapped_column(json_document())  # "service@region" -> reason
    # What the AWS security services said (kept as long as the scan; their findings 7 days):
    # {"total", "counts": {source: {severity: n}}, "sources": {"source@region": state}}.
    # None: the scan did not read them (a scan of chosen checks).
    external: Mapped[dict[str, Any] | None] = mapped_column(json_document(nullable_as_sql_null=True))


class PostureResult(Base):
    __tablename__ = "posture_results"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.DIAGNOSES, "recorded_at")

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    scan_id: Mapped[str] = mapped_column(ForeignKey("posture_scans.id", ondelete="CASCADE"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    check_id: Mapped[str] = mapped_column(String(128))
    service: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    resource_type: Mapped[str] = mapped_column(String(128))
    resource_id: Mapped[str] = mapped_column(String(ARN_LENGTH))
    region: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    # new, open (failing since an earlier scan), recurring (failing again after it was resolved)
    change: Mapped[str | None] = mapped_column(String(16))
    suppression_id: Mapped[str | None] = mapped_column(String(36))


class PostureIssue(Base):
    __tablename__ = "posture_issues"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.DIAGNOSES, "last_seen_at")
    __table_args__ = (UniqueConstraint("account_id", "check_id", "resource_id", "region"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    check_id: Mapped[str] = mapped_column(String(128))
    resource_id: Mapped[str] = mapped_column(String(ARN_LENGTH))
    region: Mapped[str] = mapped_column(String(32))
    open: Mapped[bool] = mapped_column(default=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())  # last scan that judged it
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reopened: Mapped[int] = mapped_column(Integer, default=0)


class PostureSuppression(Base):
    __tablename__ = "posture_suppressions"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.DIAGNOSES, "expires_at")

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))  # None: all
    check_id: Mapped[str] = mapped_column(String(128))
    resource_id: Mapped[str] = mapped_column(String(ARN_LENGTH))  # "*": every resource of the check
    reason: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(320))
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExternalFinding(Base):
    """One finding of an account's AWS security services, updated by every scan that reads it."""

    __tablename__ = "posture_external_findings"
    __retention__: ClassVar[Retention] = Retention(RetentionClass.FINDINGS_AND_EVENTS, "last_seen_at")
    __table_args__ = (UniqueConstraint("account_id", "source", "finding_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))  # securityhub, guardduty, inspector2
    finding_id: Mapped[str] = mapped_column(String(ARN_LENGTH))
    product: Mapped[str] = mapped_column(String(128), default="", server_default="")
    title: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16))  # ours (posture.model.Severity), normalised
    resource_id: Mapped[str] = mapped_column(String(ARN_LENGTH))
    region: Mapped[str] = mapped_column(String(32))
    # The first and the last scan that read it (retention: 7 days after the last).
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The provider's own: when it created (first observed) and last updated the finding.
    provider_first_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    provider_last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
