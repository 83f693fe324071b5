"""Typed evidence. An investigation is a pure function of one EvidenceBundle."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cloudwarden.evidence.collectors.findings import FindingSourceStatus, SecurityFinding
from cloudwarden.evidence.kinds import KINDS


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Resource(Frozen):
    """A resource as the AWS APIs show it. `key` is its ARN (or the id AWS uses where none)."""

    key: str
    kind: str  # a kind of evidence/kinds/, or "other"
    name: str
    attributes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value != "other" and value not in KINDS:
            raise ValueError(f"unknown resource kind {value!r}; known: {', '.join(KINDS)}, other")
        return value


class Edge(Frozen):
    """`source` depends on `target` (calls it, reads it, runs as it, is reachable through it)."""

    source: str
    target: str
    relation: str  # e.g. "env-reference", "task-role", "security-group-ingress", "target-group"


class MetricSeries(Frozen):
    resource: str
    namespace: str
    metric: str
    stat: str
    dimensions: dict[str, str]
    points: list[tuple[datetime, float]]


class LogLine(Frozen):
    group: str
    stream: str
    time: datetime
    message: str


class Change(Frozen):
    """A write to the account: a CloudTrail event or a deployment."""

    source: Literal["cloudtrail", "ecs-deployment"]
    time: datetime
    name: str  # event name, e.g. "UpdateService"
    actor: str
    resources: list[str]  # resource keys or names as the event gives them
    parameters: dict[str, Any] = Field(default_factory=dict)
    event_id: str = ""


class ServiceEvent(Frozen):
    """Something AWS reported about a resource: ECS service events, stopped tasks, RDS events."""

    source: Literal["ecs", "rds", "ec2", "lambda"]
    resource: str
    time: datetime
    kind: str  # e.g. "task-stopped", "service-event", "rds-event"
    message: str
    data: dict[str, Any] = Field(default_factory=dict)


class AlarmInfo(Frozen):
    name: str
    arn: str
    state: str
    state_reason: str
    state_changed_at: datetime
    namespace: str | None
    metric: str | None
    statistic: str | None
    dimensions: dict[str, str]
    threshold: float | None
    comparison: str | None
    period: int | None
    actions: list[str] = Field(default_factory=list)


class EvidenceGap(Frozen):
    """Evidence that could not be collected, and exactly why."""

    source: str
    action: str
    code: str
    message: str

    def describe(self) -> str:
        return f"evidence unavailable: {self.action} {self.code.lower()} ({self.message})"


class DeployCommit(Frozen):
    sha: str
    author: str  # GitHub login when the commit is linked to an account, else the git author name
    message: str  # first line only
    date: datetime | None
    html_url: str


class ChangedFile(Frozen):
    filename: str
    status: str  # added | removed | modified | renamed | copied | changed | unchanged
    additions: int
    deletions: int


class DeployCommits(Frozen):
    """What one deployment brought: GitHub's compare of the previous image's ref to the new one.

    Commit messages, authors and file names are the customer's text: untrusted, shown as data.
    """

    repository: str
    image_repository: str
    base: str
    head: str
    status: str  # ahead | behind (a rollback) | diverged | identical
    ahead_by: int
    behind_by: int
    total_commits: int
    commits: list[DeployCommit]  # newest first, at most github.MAX_COMMITS
    files: list[ChangedFile]  # at most github.MAX_FILES
    files_truncated: bool
    html_url: str
    # The deployment compared (the Change it came from), set when collected for an investigation.
    resource: str = ""  # the ECS service's key
    deployment: str = ""  # the deployment's id
    deployed_at: datetime | None = None


class EvidenceBundle(BaseModel):
    """Everything one investigation collected: the only input of the diagnosis engine."""

    model_config = ConfigDict(extra="forbid")

    account_id: str
    region: str
    alarm: AlarmInfo
    window_start: datetime
    window_end: datetime
    resources: list[Resource] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    log_groups: dict[str, str] = Field(default_factory=dict)  # log group -> resource key
    metrics: list[MetricSeries] = Field(default_factory=list)
    logs: list[LogLine] = Field(default_factory=list)
    changes: list[Change] = Field(default_factory=list)
    events: list[ServiceEvent] = Field(default_factory=list)
    findings: list[SecurityFinding] = Field(default_factory=list)  # those touching candidates
    finding_sources: list[FindingSourceStatus] = Field(default_factory=list)
    # GitHub (opt-in): the commits suspect deployments brought; empty when not configured.
    deploy_commits: list[DeployCommits] = Field(default_factory=list)
    gaps: list[EvidenceGap] = Field(default_factory=list)
    aws_calls: int = 0
    # How the investigated moment was chosen, when it is not "the alarm went into ALARM just now".
    notes: list[str] = Field(default_factory=list)

    def resource(self, key: str) -> Resource | None:
        return next((r for r in self.resources if r.key == key), None)
