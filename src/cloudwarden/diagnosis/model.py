"""The diagnosis document (schema documented in docs/diagnosis-schema.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1"
# Below this top confidence no root cause stands out: the strongest lead is shown as a lead, not
# a conclusion (a confident decoy is the worst answer; a weak one said plainly is a right one).
WEAK_CONFIDENCE = 0.3


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


class Narration(BaseModel):
    """Prose for one diagnosis, with how it was produced and what it cost.

    `narrator` names who wrote `text` ("template" whenever the template was used, including
    as a fallback); `model` is the LLM that was called, kept on a fallback so the tokens and
    cost of the failed attempt stay attributable. Token counts are None when unknown (no
    LLM call, or the call died before a usage report).
    """

    model_config = ConfigDict(extra="forbid")

    text: str
    narrator: str
    model: str | None = None
    fallback_reason: str | None = None
    input_tokens: int | None = Field(default=None, ge=0)
    output_tokens: int | None = Field(default=None, ge=0)
    cost_usd: float | None = Field(default=None, ge=0)
    duration_ms: int = Field(ge=0)


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
    # How the investigated moment was chosen when it is not "the alarm went into ALARM just now":
    # it recovered since, it has been in ALARM for longer than the lookback, or `--at` was given.
    notes: list[str] = Field(default_factory=list)
    narration: Narration | None = None

    @property
    def stands_out(self) -> bool:
        """Whether the evidence points at a root cause (a hypothesis of at least WEAK_CONFIDENCE)."""
        return bool(self.hypotheses) and self.hypotheses[0].confidence >= WEAK_CONFIDENCE
