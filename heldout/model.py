"""The held-out incident format: what happened (fault and decoys) and, apart, the ground truth.

Times are minutes relative to the fault's onset (negative: before it); the alarm fires at the
end, `onset_minutes_ago` after the onset. Resources are logical references into the held-out
topology (`heldout.topology.logical_refs`), resolved to AWS keys when the incident is run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

FaultType = Literal[
    "bad_deploy",
    "memory_leak",
    "cpu_saturation",
    "db_connection_exhaustion",
    "storage_full",
    "throttling",
    "network_block",
    "permission_denied",
    "dependency_latency",
    "config_change",
    "queue_backlog",
    "secret_rotation_failure",
    "capacity_limit",
    "instance_failure",
    "key_unusable",
]
INCIDENTS_DIR = Path(__file__).parent / "incidents"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MetricEffect(Strict):
    """From `start`, the metric moves to `to` (or `factor` x its baseline): a step, a ramp or a spike."""

    resource: str
    metric: str
    shape: Literal["step", "ramp", "spike"] = "step"
    start: int = 0
    to: float | None = None
    factor: float | None = None
    ramp_minutes: int = Field(default=10, ge=1)
    duration: int | None = Field(default=None, ge=1)
    noise: float = Field(default=0.05, ge=0, le=1)

    @model_validator(mode="after")
    def _level(self) -> MetricEffect:
        if (self.to is None) == (self.factor is None):
            raise ValueError("give exactly one of `to` and `factor`")
        return self


class LogEffect(Strict):
    """`lines`, one event each, taken in turn, at `per_minute` from `start` to `end`."""

    resource: str
    group: str | None = None  # which of the resource's groups (an RDS export: error, slowquery)
    lines: list[str] = Field(min_length=1)
    per_minute: float = Field(gt=0, le=600)
    start: int = 0
    end: int | None = None


Action = Literal[
    "deploy_service",
    "set_desired_count",
    "set_scaling_bounds",
    "revoke_ingress",
    "authorize_ingress",
    "detach_role_policy",
    "set_function_concurrency",
    "update_function_configuration",
    "update_function_code",
    "update_event_source_mapping",
    "put_secret_value",
    "modify_db_parameter_group",
    "modify_db_instance",
    "set_queue_attributes",
    "put_parameter",
    "modify_target_group",
    "disable_key",
    "schedule_key_deletion",
    "put_key_policy",
    "put_role_policy",
]


class ChangeEffect(Strict):
    """A real write through the AWS API, recorded in CloudTrail at `at`, by `actor`."""

    at: int
    action: Action
    target: str = ""
    actor: str = "arn:aws:iam::{account}:user/vc-sre-oncall"
    params: dict[str, Any] = Field(default_factory=dict)


class StoppedTasks(Strict):
    """Tasks of an ECS service stopping every `every_minutes` from `start` to `end` (or the alarm)."""

    resource: str
    start: int = 0
    end: int | None = None
    every_minutes: int = Field(default=4, ge=1)
    exit_code: int | None = None
    stop_code: Literal[
        "TaskFailedToStart", "EssentialContainerExited", "UserInitiated", "ServiceSchedulerInitiated"
    ] = "EssentialContainerExited"
    reason: str
    container_reason: str | None = None
    old_revision: bool = False  # the tasks ran the revision before the last deploy


class ServiceEvent(Strict):
    resource: str
    at: int
    message: str


class RdsEvent(Strict):
    resource: str
    at: int
    message: str
    categories: list[str] = Field(default_factory=list)


class InstanceStatus(Strict):
    resource: str
    at: int = 0
    system_status: Literal["ok", "impaired"] = "ok"
    instance_status: Literal["ok", "impaired"] = "ok"
    event_code: (
        Literal["system-reboot", "system-maintenance", "instance-retirement", "instance-stop"] | None
    ) = None
    event_description: str = ""


class Silence(Strict):
    """The resource's routine log lines stop from `start` (to `end`): it is not running or receiving."""

    resource: str
    start: int = 0
    end: int | None = None


class Effects(Strict):
    silence: list[Silence] = Field(default_factory=list)
    metrics: list[MetricEffect] = Field(default_factory=list)
    logs: list[LogEffect] = Field(default_factory=list)
    changes: list[ChangeEffect] = Field(default_factory=list)
    stopped_tasks: list[StoppedTasks] = Field(default_factory=list)
    service_events: list[ServiceEvent] = Field(default_factory=list)
    rds_events: list[RdsEvent] = Field(default_factory=list)
    instance_status: list[InstanceStatus] = Field(default_factory=list)

    def references(self) -> set[str]:
        refs = {m.resource for m in self.metrics} | {lg.resource for lg in self.logs}
        refs |= {c.target for c in self.changes if c.target}
        refs |= {s.resource for s in self.stopped_tasks} | {e.resource for e in self.service_events}
        refs |= {e.resource for e in self.rds_events} | {s.resource for s in self.instance_status}
        refs |= {s.resource for s in self.silence}
        return refs


class Cause(Strict):
    resource: str  # logical reference
    fault: FaultType


class Incident(Strict):
    name: str
    title: str
    story: str
    tags: list[str] = Field(default_factory=list)
    onset_minutes_ago: int = Field(ge=3, le=90)
    alarm: str
    fault: Effects = Field(default_factory=Effects)
    decoys: Effects = Field(default_factory=Effects)
    truth: list[Cause] | Literal["none"]

    @model_validator(mode="after")
    def _truth(self) -> Incident:
        if self.truth != "none" and not 1 <= len(self.truth) <= 2:
            raise ValueError("truth is `none`, one cause or two simultaneous causes")
        return self

    @property
    def causes(self) -> list[Cause]:
        return [] if self.truth == "none" else list(self.truth)

    @property
    def kind(self) -> str:
        if self.truth == "none":
            return "no-fault"
        return "two-fault" if len(self.truth) == 2 else "single"


def load(path: Path) -> Incident:
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ValueError(f"{path.name}: not valid YAML: {exc}") from None
    try:
        incident = Incident.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"{path.name}: invalid incident: {exc}") from None
    if incident.name != path.stem:
        raise ValueError(f"{path.name}: name {incident.name!r} must match the file name")
    return incident


def load_batch(batch: str, directory: Path | None = None) -> dict[str, Incident]:
    folder = (directory or INCIDENTS_DIR) / batch
    if not folder.is_dir():
        raise ValueError(f"no incident batch {batch!r} under {folder.parent}")
    return {i.name: i for i in (load(p) for p in sorted(folder.glob("*.yaml")))}
