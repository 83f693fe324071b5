"""What ECS would have done for a service: deployments, service events and tasks.

moto's services never start tasks, so this overlay holds, per service, the deployments and
events AWS would show, and per cluster the tasks (running and recently stopped) that the
service scheduler would have launched. ecs_activity merges it into moto's responses.
"""

from __future__ import annotations

import random
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field, model_validator

from cloudwarden.simulator.patches._support import StrictPayload, as_utc

# Guards the overlay; moto's request threads and the ticker both touch it.
lock = threading.RLock()

ServiceKey = tuple[str, str, str, str]  # account, region, cluster name, service name
ClusterKey = tuple[str, str, str]  # account, region, cluster name
MAX_EVENTS = 100  # DescribeServices returns at most the 100 most recent events


@dataclass
class Deployment:
    id: str
    status: str  # PRIMARY | ACTIVE
    task_definition: str
    desired_count: int
    pending_count: int
    running_count: int
    failed_tasks: int
    created_at: datetime
    updated_at: datetime
    launch_type: str | None
    rollout_state: str  # COMPLETED | IN_PROGRESS | FAILED
    rollout_state_reason: str
    network_configuration: dict[str, Any] | None = None
    # Created through the API (not injected): the ticker completes it as ECS would.
    settles: bool = False

    def to_api(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "taskDefinition": self.task_definition,
            "desiredCount": self.desired_count,
            "pendingCount": self.pending_count,
            "runningCount": self.running_count,
            "failedTasks": self.failed_tasks,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "rolloutState": self.rollout_state,
            "rolloutStateReason": self.rollout_state_reason,
        }
        if self.launch_type:
            result["launchType"] = self.launch_type
            if self.launch_type == "FARGATE":
                result["platformVersion"] = "1.4.0"
                result["platformFamily"] = "Linux"
        if self.network_configuration:
            result["networkConfiguration"] = self.network_configuration
        return result


@dataclass
class Container:
    name: str
    image: str
    last_status: str
    exit_code: int | None = None
    reason: str | None = None
    container_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class Task:
    arn: str
    cluster_arn: str
    task_definition_arn: str
    group: str
    started_by: str | None
    last_status: str
    desired_status: str
    created_at: datetime
    started_at: datetime | None
    stopping_at: datetime | None
    stopped_at: datetime | None
    stop_code: str | None
    stopped_reason: str | None
    containers: list[Container]
    cpu: str | None
    memory: str | None
    launch_type: str
    availability_zone: str

    @property
    def task_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @property
    def family(self) -> str:
        return self.task_definition_arn.rsplit("/", 1)[-1].split(":")[0]

    def to_api(self) -> dict[str, Any]:
        container_base = self.arn.replace(":task/", ":container/").rsplit("/", 1)[0]
        containers = []
        for c in self.containers:
            entry: dict[str, Any] = {
                "containerArn": f"{container_base}/{self.task_id}/{c.container_id}",
                "taskArn": self.arn,
                "name": c.name,
                "image": c.image,
                "lastStatus": c.last_status,
                "healthStatus": "UNKNOWN",
            }
            if c.exit_code is not None:
                entry["exitCode"] = c.exit_code
            if c.reason:
                entry["reason"] = c.reason
            containers.append(entry)
        result: dict[str, Any] = {
            "taskArn": self.arn,
            "clusterArn": self.cluster_arn,
            "taskDefinitionArn": self.task_definition_arn,
            "group": self.group,
            "lastStatus": self.last_status,
            "desiredStatus": self.desired_status,
            "createdAt": self.created_at,
            "containers": containers,
            "launchType": self.launch_type,
            "availabilityZone": self.availability_zone,
            "healthStatus": "UNKNOWN",
            "connectivity": "CONNECTED" if self.last_status == "RUNNING" else "DISCONNECTED",
            "version": 4 if self.last_status == "STOPPED" else 2,
        }
        optional = {
            "startedBy": self.started_by,
            "startedAt": self.started_at,
            "pullStartedAt": self.started_at - timedelta(seconds=8) if self.started_at else None,
            "pullStoppedAt": self.started_at - timedelta(seconds=2) if self.started_at else None,
            "stoppingAt": self.stopping_at,
            "executionStoppedAt": self.stopped_at,
            "stoppedAt": self.stopped_at,
            "stopCode": self.stop_code,
            "stoppedReason": self.stopped_reason,
            "cpu": self.cpu,
            "memory": self.memory,
            "platformVersion": "1.4.0" if self.launch_type == "FARGATE" else None,
        }
        result |= {key: value for key, value in optional.items() if value is not None}
        return result


@dataclass
class ServiceOverlay:
    deployments: list[Deployment]  # PRIMARY first
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def primary(self) -> Deployment | None:
        return next((d for d in self.deployments if d.status == "PRIMARY"), None)

    def add_event(self, at: datetime, message: str, event_id: str | None = None) -> dict[str, Any]:
        event = {"id": event_id or str(uuid.uuid4()), "createdAt": as_utc(at), "message": message}
        self.events.append(event)
        return event


services: dict[ServiceKey, ServiceOverlay] = {}
tasks: dict[ClusterKey, dict[str, Task]] = {}


def reset() -> None:
    with lock:
        services.clear()
        tasks.clear()


def deployment_id() -> str:
    return f"ecs-svc/{random.randint(10**18, 10**19 - 1)}"


def task_arn(account_id: str, region: str, cluster: str) -> str:
    return f"arn:aws:ecs:{region}:{account_id}:task/{cluster}/{uuid.uuid4().hex}"


def rollout_reason(deployment: str, rollout_state: str) -> str:
    return {
        "COMPLETED": f"ECS deployment {deployment} completed.",
        "IN_PROGRESS": f"ECS deployment {deployment} in progress.",
        "FAILED": "ECS deployment circuit breaker: tasks failed to start.",
    }[rollout_state]


def started_message(service: str, started: list[Task]) -> str:
    ids = " ".join(f"(task {t.task_id})" for t in started)
    return f"(service {service}) has started {len(started)} tasks: {ids}."


def stopped_message(service: str, stopped: list[Task]) -> str:
    ids = " ".join(f"(task {t.task_id})" for t in stopped)
    return f"(service {service}) has stopped {len(stopped)} running tasks: {ids}."


def steady_message(service: str) -> str:
    return f"(service {service}) has reached a steady state."


def completed_message(service: str, deployment: str) -> str:
    return f"(service {service}) (deployment {deployment}) deployment completed."


def failed_message(service: str, deployment: str) -> str:
    return f"(service {service}) (deployment {deployment}) deployment failed: tasks failed to start."


# ---------------------------------------------------------------------------- injector payloads

StopCode = Literal[
    "TaskFailedToStart",
    "EssentialContainerExited",
    "UserInitiated",
    "ServiceSchedulerInitiated",
    "SpotInterruption",
    "TerminationNotice",
]
DEFAULT_STOP_REASON = {
    "TaskFailedToStart": "Task failed to start",
    "EssentialContainerExited": "Essential container in task exited",
    "UserInitiated": "Task stopped by user",
    "ServiceSchedulerInitiated": "Scaling activity initiated by deployment",
    "SpotInterruption": "Your Spot Task was interrupted.",
    "TerminationNotice": "Task stopped due to a termination notice",
}


class ServiceEventPayload(StrictPayload):
    cluster: str
    service: str
    created_at: datetime
    message: str = Field(min_length=1)
    id: str | None = None


class DeploymentPayload(StrictPayload):
    cluster: str
    service: str
    task_definition: str
    created_at: datetime
    updated_at: datetime | None = None
    rollout_state: Literal["IN_PROGRESS", "COMPLETED", "FAILED"] = "IN_PROGRESS"
    rollout_state_reason: str | None = None
    desired_count: int | None = Field(default=None, ge=0)
    running_count: int = Field(default=0, ge=0)
    pending_count: int | None = Field(default=None, ge=0)
    failed_tasks: int = Field(default=0, ge=0)
    events: bool = True  # add the service events ECS writes when a rollout completes or fails


class ContainerPayload(StrictPayload):
    name: str
    exit_code: int | None = None
    reason: str | None = None


class TaskPayload(StrictPayload):
    cluster: str
    service: str
    status: Literal["RUNNING", "STOPPED"]
    task_definition: str | None = None
    count: int = Field(default=1, ge=1, le=100)
    created_at: datetime | None = None
    started_at: datetime | None = None
    stopping_at: datetime | None = None
    stopped_at: datetime | None = None
    stop_code: StopCode | None = None
    stopped_reason: str | None = None
    started_by: str | None = None
    containers: list[ContainerPayload] | None = None

    @model_validator(mode="after")
    def _consistent_times(self) -> TaskPayload:
        if self.status == "RUNNING" and (self.started_at is None or self.stopped_at or self.stop_code):
            raise ValueError("a RUNNING task needs started_at and has no stopped_at or stop_code")
        if self.status == "STOPPED" and self.stopped_at is None:
            raise ValueError("a STOPPED task needs stopped_at")
        if self.started_at and self.stopped_at and as_utc(self.started_at) > as_utc(self.stopped_at):
            raise ValueError("started_at is after stopped_at")
        return self


class SteadyPayload(StrictPayload):
    cluster: str
    service: str
    at: datetime
    count: int | None = Field(default=None, ge=0, le=100)
    task_definition: str | None = None
