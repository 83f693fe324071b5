"""EventBridge API destinations: "CloudWatch Alarm State Change" events, authenticated by a secret.

The customer creates a connection with API-key authorization (header `X-CloudWarden-Intake-Secret`,
the workspace's intake secret) and an API destination pointing at the workspace's endpoint; a rule
on `{"source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"]}` targets it.
The secret is compared with the stored digest in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cloudwarden.alerts.intake.sns import IntakeError
from cloudwarden.alerts.service import Transition

SECRET_HEADER = "X-CloudWarden-Intake-Secret"  # noqa: S105 - a header name
SECRET_PREFIX = "cw_intake_"  # noqa: S105 - a prefix
DETAIL_TYPE = "CloudWatch Alarm State Change"


class _State(BaseModel):
    model_config = ConfigDict(extra="ignore")

    value: str
    reason: str = ""
    timestamp: datetime


class _Detail(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    alarm_name: str = Field(alias="alarmName", min_length=1, max_length=255)
    state: _State
    previous_state: _State | None = Field(default=None, alias="previousState")


class AlarmStateChange(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str = Field(min_length=1, max_length=255)
    detail_type: str = Field(alias="detail-type")
    source: str
    account: str = Field(pattern=r"^\d{12}$")
    time: datetime
    region: str = Field(min_length=1, max_length=32)
    resources: list[str] = Field(default_factory=list)
    detail: _Detail


def parse(body: bytes) -> AlarmStateChange:
    try:
        event = AlarmStateChange.model_validate_json(body)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors())
        raise IntakeError(f"not a CloudWatch Alarm State Change event: missing or invalid {fields}") from None
    if event.source != "aws.cloudwatch" or event.detail_type != DETAIL_TYPE:
        raise IntakeError(
            f"event {event.id} is {event.source} / {event.detail_type!r}; only {DETAIL_TYPE!r} "
            "events from aws.cloudwatch are accepted"
        )
    return event


def transition_of(event: AlarmStateChange) -> Transition:
    arn = next((r for r in event.resources if ":alarm:" in r), "") or (
        f"arn:aws:cloudwatch:{event.region}:{event.account}:alarm:{event.detail.alarm_name}"
    )
    previous = event.detail.previous_state
    return Transition(
        aws_account_id=event.account,
        region=event.region,
        alarm_name=event.detail.alarm_name,
        alarm_arn=arn,
        new_state=event.detail.state.value,
        old_state=previous.value if previous else None,
        reason=event.detail.state.reason,
        changed_at=event.detail.state.timestamp,
    )


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(presented: str | None, stored_digest: str | None) -> bool:
    """Constant-time comparison of the presented secret's digest with the stored one."""
    expected = stored_digest or ("0" * 64)  # still compare: no early answer for a workspace without one
    given = digest(presented or "")
    return hmac.compare_digest(given, expected) and bool(presented) and stored_digest is not None
