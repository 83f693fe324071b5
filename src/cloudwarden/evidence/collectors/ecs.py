"""ECS: services, their task definitions and deployments, service events and stopped tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cloudwarden.aws.permissions import declare
from cloudwarden.evidence.collector import Probe
from cloudwarden.evidence.model import Change, Resource, ServiceEvent

SOURCE = "ecs"
PERMISSIONS = declare(
    "evidence.ecs",
    (
        "ecs:ListClusters",
        "ecs:ListServices",
        "ecs:DescribeServices",
        "ecs:DescribeTaskDefinition",
        "ecs:ListTasks",
        "ecs:DescribeTasks",
    ),
    purpose="Read ECS services, deployments, task definitions, service events and stopped tasks",
)
PROBES: tuple[Probe, ...] = (
    Probe("ecs", "ecs", "ecs:ListClusters", lambda c: c.list_clusters(maxResults=1)),
)
# Discovery reads ECS outward from the alarm, never the whole account: the alarm's own cluster
# (ClusterName) when it names one, else the clusters in ListClusters' order until one runs a
# service the alarm reaches (behind its target groups, or named by it), at most MAX_CLUSTERS.
# Task definitions are described only in that cluster, for at most MAX_DEFINED_SERVICES services
# (those the alarm reaches first), and stopped tasks are listed only there. ECS_CALL_BUDGET caps
# the calls whatever the account's size: what it leaves unread is left out, deterministically.
MAX_CLUSTERS = 3
MAX_SERVICES_PER_CLUSTER = 30
MAX_DEFINED_SERVICES = 6
MAX_STOPPED_TASKS = 100
ECS_CALL_BUDGET = 12
# Calls kept for the stopped tasks (ListTasks, DescribeTasks) when task definitions are described.
STOPPED_TASK_CALLS = 2


@dataclass(frozen=True)
class Scope:
    """Where the alarm leads into ECS: its cluster and service, or its target groups."""

    cluster: str | None = None  # the alarm's ClusterName dimension
    service: str | None = None  # its ServiceName dimension
    # Target group dimension values ("targetgroup/<name>/<id>") the alarm watches or routes to.
    target_groups: frozenset[str] = frozenset()

    @property
    def anchored(self) -> bool:
        """Whether the alarm names something a service can be recognised by."""
        return bool(self.service or self.target_groups)

    def reaches(self, service: dict[str, Any]) -> bool:
        if self.service and service.get("serviceName") == self.service:
            return True
        groups = [lb.get("targetGroupArn", "") for lb in service.get("loadBalancers", [])]
        return any(str(g).endswith(f":{t}") for g in groups for t in self.target_groups)


class _Budget:
    def __init__(self, calls: int) -> None:
        self.left = calls

    def take(self, calls: int = 1) -> bool:
        if self.left < calls:
            return False
        self.left -= calls
        return True


def _cluster_services(client: Any, cluster: str, budget: _Budget) -> list[dict[str, Any]]:
    """The cluster's services (at most MAX_SERVICES_PER_CLUSTER), one ListServices page."""
    if not budget.take():
        return []
    arns = client.list_services(cluster=cluster, maxResults=100).get("serviceArns", [])
    services: list[dict[str, Any]] = []
    for offset in range(0, min(len(arns), MAX_SERVICES_PER_CLUSTER), 10):
        if not budget.take():
            break
        described = client.describe_services(cluster=cluster, services=arns[offset : offset + 10])
        services.extend(described.get("services", []))
    return services


def previous_revision(arn: str) -> str | None:
    """The task definition revision before this one (family:N-1), if there is one."""
    head, _, number = arn.rpartition(":")
    return f"{head}:{int(number) - 1}" if number.isdigit() and int(number) > 1 else None


def get(client: Any, scope: Scope | None = None, since: datetime | None = None) -> dict[str, Any]:
    """The services around the alarm, their task definitions and their cluster's stopped tasks.

    Without a scope (nothing in the alarm leads into ECS), the first cluster running services is
    the alarm's. A service deployed since `since` whose old deployment is gone (ECS keeps only the
    PRIMARY one once a rollout completes) also has its previous revision described: what the
    deployment changed (images, or only the environment) is the first thing an SRE asks. The
    number of calls depends only on the account, never on timing.
    """
    scope = scope or Scope()
    budget = _Budget(ECS_CALL_BUDGET)
    if scope.cluster:
        clusters = [scope.cluster]
    else:
        budget.take()
        clusters = list(client.list_clusters(maxResults=100).get("clusterArns", []))
    # The alarm's cluster: the first one (of at most MAX_CLUSTERS) whose services the alarm reaches.
    # Only its services are kept; the others scanned on the way do not lead to the alarm.
    home: list[dict[str, Any]] = []
    for cluster in clusters[:MAX_CLUSTERS]:
        found = _cluster_services(client, cluster, budget)
        if found and (scope.cluster or not scope.anchored or any(scope.reaches(s) for s in found)):
            home = found
            break
    # The services the alarm reaches first, then their neighbours in the cluster.
    chosen = sorted(home, key=lambda s: not scope.reaches(s))[:MAX_DEFINED_SERVICES]
    task_definitions: dict[str, dict[str, Any]] = {}
    previous: dict[str, str] = {}
    for service in chosen:
        wanted = {service["taskDefinition"]} | {d["taskDefinition"] for d in service.get("deployments", [])}
        deployments = service.get("deployments", [])
        before = previous_revision(service["taskDefinition"])
        if since is not None and len(deployments) == 1 and before and deployments[0]["createdAt"] >= since:
            previous[service["serviceArn"]] = before
            wanted.add(before)
        for arn in sorted(wanted - task_definitions.keys()):
            if budget.left <= STOPPED_TASK_CALLS or not budget.take():
                break
            task_definitions[arn] = client.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    stopped: list[dict[str, Any]] = []
    if home and budget.take():
        cluster = home[0]["clusterArn"]
        task_arns = client.list_tasks(
            cluster=cluster, desiredStatus="STOPPED", maxResults=MAX_STOPPED_TASKS
        ).get("taskArns", [])
        if task_arns and budget.take():
            stopped = client.describe_tasks(cluster=cluster, tasks=task_arns[:MAX_STOPPED_TASKS])["tasks"]
    return {
        "services": home,
        "task_definitions": task_definitions,
        "previous": {k: v for k, v in previous.items() if v in task_definitions},
        "stopped_tasks": stopped,
    }


def _container_summary(task_definition: dict[str, Any]) -> dict[str, Any]:
    environment: dict[str, str] = {}
    secrets: dict[str, str] = {}
    log_groups: list[str] = []
    images: list[str] = []
    for container in task_definition.get("containerDefinitions", []):
        images.append(container.get("image", ""))
        environment.update({e["name"]: e.get("value", "") for e in container.get("environment", [])})
        secrets.update({s["name"]: s.get("valueFrom", "") for s in container.get("secrets", [])})
        options = (container.get("logConfiguration") or {}).get("options", {})
        if options.get("awslogs-group"):
            log_groups.append(options["awslogs-group"])
    return {
        "images": images,
        "environment": environment,
        "secrets": secrets,
        "log_groups": log_groups,
        "task_role": task_definition.get("taskRoleArn"),
        "execution_role": task_definition.get("executionRoleArn"),
        "memory": task_definition.get("memory"),
        "cpu": task_definition.get("cpu"),
    }


def transform(raw: dict[str, Any]) -> tuple[list[Resource], list[Change], list[ServiceEvent]]:
    resources: list[Resource] = []
    changes: list[Change] = []
    events: list[ServiceEvent] = []
    task_definitions = raw["task_definitions"]
    service_by_group: dict[tuple[str, str], str] = {}
    for service in raw["services"]:
        key = service["serviceArn"]
        current = task_definitions.get(service["taskDefinition"], {})
        network = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration", {})
        attributes = {
            "cluster": service["clusterArn"],
            "cluster_name": service["clusterArn"].rsplit("/", 1)[-1],
            "task_definition": service["taskDefinition"],
            "desired": service.get("desiredCount", 0),
            "running": service.get("runningCount", 0),
            "security_groups": list(network.get("securityGroups", [])),
            "target_groups": [
                lb["targetGroupArn"] for lb in service.get("loadBalancers", []) if "targetGroupArn" in lb
            ],
            **_container_summary(current),
        }
        resources.append(
            Resource(key=key, kind="ecs_service", name=service["serviceName"], attributes=attributes)
        )
        service_by_group[(service["clusterArn"], f"service:{service['serviceName']}")] = key
        deployments = sorted(service.get("deployments", []), key=lambda d: d["createdAt"])
        # The first deployment's predecessor: gone from ECS, described by revision when recent.
        first = raw.get("previous", {}).get(key)
        before: list[dict[str, Any] | None] = [
            {"taskDefinition": first} if first else None,
            *deployments[:-1],
        ]
        for previous, deployment in zip(before, deployments, strict=False):
            new_td = task_definitions.get(deployment["taskDefinition"], {})
            old_td = task_definitions.get(previous["taskDefinition"], {}) if previous else {}
            changes.append(
                Change(
                    source="ecs-deployment",
                    time=deployment["createdAt"],
                    name="Deployment",
                    actor="ecs",
                    resources=[key],
                    parameters={
                        "deployment": deployment.get("id", ""),
                        "task_definition": deployment["taskDefinition"],
                        "previous_task_definition": previous["taskDefinition"] if previous else None,
                        "status": deployment.get("status"),
                        "rollout_state": deployment.get("rolloutState"),
                        "failed_tasks": deployment.get("failedTasks", 0),
                        "images": _container_summary(new_td)["images"] if new_td else [],
                        "previous_images": _container_summary(old_td)["images"] if old_td else [],
                    },
                    event_id=deployment.get("id", ""),
                )
            )
        for event in service.get("events", []):
            events.append(
                ServiceEvent(
                    source="ecs",
                    resource=key,
                    time=event["createdAt"],
                    kind="service-event",
                    message=event["message"],
                )
            )
    for task in raw["stopped_tasks"]:
        owner = service_by_group.get((task.get("clusterArn", ""), task.get("group", "")))
        if owner is None or not task.get("stoppedAt"):
            continue
        containers = [
            {"name": c.get("name"), "exit_code": c.get("exitCode"), "reason": c.get("reason")}
            for c in task.get("containers", [])
        ]
        reasons = "; ".join(str(c["reason"]) for c in containers if c.get("reason"))
        message = task.get("stoppedReason", "") + (f" ({reasons})" if reasons else "")
        events.append(
            ServiceEvent(
                source="ecs",
                resource=owner,
                time=task["stoppedAt"],
                kind="task-stopped",
                message=message,
                data={
                    "task": task["taskArn"],
                    "stop_code": task.get("stopCode"),
                    "exit_codes": [c["exit_code"] for c in containers if c.get("exit_code") is not None],
                    "task_definition": task.get("taskDefinitionArn"),
                },
            )
        )
    return resources, changes, events
