"""Scenario files: what is injected, and separately the ground truth only the harness reads."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cloudwarden.diagnosis.faults import FAULTS

MAX_EXTRA_FUNCTIONS = 15


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MetricEffect(Strict):
    """Change a workload metric from `start` minutes after onset (negative: before onset)."""

    resource: str
    metric: str
    shape: Literal["step", "ramp", "spike"] = "step"
    start: int = 0
    to: float | None = None  # absolute level reached
    factor: float | None = None  # or a multiple of the baseline
    ramp_minutes: int = Field(default=10, ge=1)
    duration: int | None = Field(default=None, ge=1)  # for spikes: minutes it lasts
    noise: float = Field(default=0.05, ge=0, le=1)


class LogEffect(Strict):
    """Emit `lines` (one event each, picked in turn) at `per_minute` from `start` minutes after onset."""

    resource: str
    lines: list[str] = Field(min_length=1)
    per_minute: float = Field(gt=0, le=600)
    start: int = 0
    end: int | None = None


class ChangeEffect(Strict):
    """A real write through the AWS API, recorded in CloudTrail at `at` minutes after onset."""

    at: int
    action: Literal[
        "deploy_new_revision",
        "set_function_concurrency",
        "revoke_ingress",
        "detach_role_policy",
        "set_desired_count",
        "put_parameter",
        "update_function_configuration",
        "put_secret_value",
        "deny_in_queue_policy",
        "deny_in_key_policy",
        "disable_key",
        "schedule_key_deletion",
        "modify_health_check",
    ]
    target: str
    actor: str = "arn:aws:iam::{account}:user/platform-admin"
    params: dict[str, Any] = Field(default_factory=dict)


class StoppedTasks(Strict):
    resource: str
    start: int = 0
    every_minutes: int = Field(default=4, ge=1)
    exit_code: int | None = None
    stop_code: str = "EssentialContainerExited"
    reason: str
    container_reason: str | None = None
    started: bool = True  # False: the task never started (TaskFailedToStart: no image, no capacity)


class ServiceEventEffect(Strict):
    """An ECS service event ("unable to place a task", "unhealthy in target-group") from `start`
    minutes after onset, repeated every `every_minutes` (as ECS repeats them) if given."""

    resource: str
    message: str
    start: int = 0
    every_minutes: int | None = Field(default=None, ge=1)


class RdsEventEffect(Strict):
    resource: str
    at: int
    message: str
    categories: list[str] = Field(default_factory=list)


class InstanceStatusEffect(Strict):
    """EC2 status checks of an instance turn impaired at `at` minutes after onset."""

    resource: str
    at: int = 0
    system_status: Literal["ok", "impaired"] = "impaired"
    instance_status: Literal["ok", "impaired"] = "ok"
    event_code: Literal["system-reboot", "system-maintenance", "instance-retirement"] | None = None
    event_description: str = ""


class Effects(Strict):
    metrics: list[MetricEffect] = Field(default_factory=list)
    logs: list[LogEffect] = Field(default_factory=list)
    changes: list[ChangeEffect] = Field(default_factory=list)
    stopped_tasks: list[StoppedTasks] = Field(default_factory=list)
    service_events: list[ServiceEventEffect] = Field(default_factory=list)
    rds_events: list[RdsEventEffect] = Field(default_factory=list)
    instance_status: list[InstanceStatusEffect] = Field(default_factory=list)


class Truth(Strict):
    resource: str  # logical workload reference, e.g. "ecs_service:web"
    fault: str  # a fault type the engine ranks (diagnosis/faults/)

    @field_validator("fault")
    @classmethod
    def _known_fault(cls, value: str) -> str:
        if value not in FAULTS:
            raise ValueError(f"unknown fault type {value!r}; known: {', '.join(FAULTS)}")
        return value


class Topology(Strict):
    """How big the account is beyond the storefront: extra functions the web API calls."""

    extra_functions: int = Field(default=0, ge=0, le=MAX_EXTRA_FUNCTIONS)


class Scenario(Strict):
    name: str
    title: str
    description: str
    onset_minutes_ago: int = Field(ge=3, le=60)
    alarm: str  # logical alarm name in the workload
    fault: Effects
    distractors: Effects = Field(default_factory=Effects)
    truth: Truth
    topology: Topology = Field(default_factory=Topology)


def scenario_dir() -> Path:
    return Path(str(resources.files("cloudwarden.simulator") / "scenarios"))


def load(path: Path) -> Scenario:
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ValueError(f"{path.name}: not valid YAML: {exc}") from None
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"{path.name}: invalid scenario: {exc}") from None
    if scenario.name != path.stem:
        raise ValueError(f"{path.name}: name {scenario.name!r} must match the file name")
    return scenario


def load_all(directory: Path | None = None) -> dict[str, Scenario]:
    folder = directory or scenario_dir()
    return {s.name: s for s in (load(p) for p in sorted(folder.glob("*.yaml")))}


def get(name: str, directory: Path | None = None) -> Scenario:
    scenarios = load_all(directory)
    if name not in scenarios:
        raise ValueError(f"unknown scenario {name!r}; available: {', '.join(sorted(scenarios))}")
    return scenarios[name]
