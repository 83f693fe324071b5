"""What a posture check is and what it says: metadata, statuses, results.

Every check module (`posture/checks/<service>/<check_id>.py`) declares `METADATA` (a
`CheckMetadata`, validated when the registry loads it) and `run(inventory) -> Iterable[Result]`.
A check never reports PASS for what it could not read: the data it needs is either present or an
`Unknown` carrying the reason, and `Result.error(...)` turns that reason into an ERROR result.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

CHECK_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


class Status(enum.StrEnum):
    PASS = "PASS"  # noqa: S105 - a status, not a password
    FAIL = "FAIL"
    ERROR = "ERROR"  # the data could not be read: denied, throttled, an API error
    NOT_APPLICABLE = "NOT_APPLICABLE"  # the service is not in use or not enabled, or nothing to judge


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFORMATIONAL = "informational"


SEVERITY_WEIGHT: dict[Severity, int] = {
    Severity.CRITICAL: 10,
    Severity.HIGH: 5,
    Severity.MEDIUM: 3,
    Severity.LOW: 1,
    Severity.INFORMATIONAL: 0,
}


class Remediation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    summary: str = Field(min_length=10)
    cli: str = Field(min_length=5, description="AWS CLI command(s) that fix one resource")
    cloudformation: str = Field(min_length=5, description="the CloudFormation property or resource")
    terraform: str = Field(min_length=5, description="the Terraform argument or resource")


class CheckMetadata(BaseModel):
    """Validated when the registry loads the check; the id is the module's name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str = Field(min_length=10, max_length=160)
    service: str
    severity: Severity
    resource_type: str = Field(description="CloudFormation-style type, e.g. AWS::S3::Bucket")
    risk: str = Field(min_length=20)
    remediation: Remediation
    reads: tuple[str, ...] = Field(min_length=1, description="inventory services the check reads")
    # The check id Prowler gives the same control, when it has one (the comparison benchmark).
    prowler_id: str | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not CHECK_ID.match(value):
            raise ValueError(f"check id {value!r} must be lower_snake_case, e.g. s3_bucket_public_read")
        return value


@dataclass(frozen=True)
class Unknown:
    """A value that could not be read, and why ("s3:GetBucketPolicy denied")."""

    reason: str

    def __bool__(self) -> bool:  # an Unknown is never mistaken for a truthy setting
        return False


@dataclass(frozen=True)
class Result:
    """One check's verdict on one resource."""

    resource_id: str  # the resource's ARN where it has one, else a stable id
    region: str  # "global" for account-wide services (IAM, S3 bucket list)
    status: Status
    reason: str

    @classmethod
    def passed(cls, resource_id: str, region: str, reason: str) -> Result:
        return cls(resource_id, region, Status.PASS, reason)

    @classmethod
    def failed(cls, resource_id: str, region: str, reason: str) -> Result:
        return cls(resource_id, region, Status.FAIL, reason)

    @classmethod
    def error(cls, resource_id: str, region: str, unknown: Unknown | str) -> Result:
        reason = unknown.reason if isinstance(unknown, Unknown) else unknown
        return cls(resource_id, region, Status.ERROR, reason)

    @classmethod
    def not_applicable(cls, resource_id: str, region: str, reason: str) -> Result:
        return cls(resource_id, region, Status.NOT_APPLICABLE, reason)

    @classmethod
    def verdict(cls, ok: bool, resource_id: str, region: str, *, passed: str, failed: str) -> Result:
        return cls(resource_id, region, Status.PASS if ok else Status.FAIL, passed if ok else failed)


@dataclass(frozen=True)
class Finding:
    """A result with the check it came from: what the scan stores and reports."""

    check_id: str
    severity: Severity
    service: str
    resource_type: str
    resource_id: str
    region: str
    status: Status
    reason: str
    suppression_id: str | None = None  # a live suppression covers this failure

    @property
    def key(self) -> tuple[str, str, str]:
        """What identifies the finding from one scan to the next."""
        return (self.check_id, self.resource_id, self.region)

    @property
    def counts_as(self) -> Status:
        """Its status for scores: a suppressed failure counts as passed (the risk was accepted)."""
        return Status.PASS if self.status == Status.FAIL and self.suppression_id else self.status


@dataclass(frozen=True)
class ExternalFinding:
    """A finding an AWS security service reports (Security Hub, GuardDuty, Inspector), shown beside
    CloudWarden's own results; its severity normalised to ours."""

    source: str  # guardduty, inspector2, securityhub: the API it was read from
    finding_id: str  # the provider's id (an ARN for GuardDuty and Inspector)
    product: str  # who produced it: GuardDuty, Inspector, or the product Security Hub names
    severity: Severity
    title: str
    resource_id: str  # the first resource it names ("" when it names none)
    region: str
    first_seen: datetime  # as the provider reports them: created (first observed), last updated
    last_seen: datetime

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.finding_id)
