"""The diagnosis document (schema documented in docs/diagnosis-schema.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EvidenceRef(Strict):
    source: str
    time: datetime | None
    resource: str
    summary: str
    weight: float


class SuggestedAction(Strict):
    name: str
    title: str
    params: dict[str, Any]


class Hypothesis(Strict):
    rank: int
    resource: str
    resource_name: str
    resource_kind: str
    fault: str
    confidence: float = Field(ge=0, le=1)
    score: float
    evidence: list[EvidenceRef]
    next_steps: list[str]
    suggested_action: SuggestedAction | None = None


class AlarmSummary(Strict):
    name: str
    arn: str
    state_changed_at: datetime
    reason: str
    resources: list[str]


class Diagnosis(Strict):
    schema_version: str = SCHEMA_VERSION
    account_id: str
    region: str
    alarm: AlarmSummary
    onset: datetime
    window_start: datetime
    window_end: datetime
    candidates: int
    hypotheses: list[Hypothesis]
    evidence_unavailable: list[str]
    aws_calls: int
    summary: str
