"""ECS: services, their task definitions and deployments, service events and stopped tasks."""

from __future__ import annotations

from typing import Any

from cloudwarden.aws.permissions import declare
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
MAX_SERVICES = 60


def get(client: Any) -> dict[str, Any]:
    services: list[dict[str, Any]] = []
    for cluster in client.list_clusters().get("clusterArns", []):
        arns: list[str] = []
        for page in client.get_paginator("list_services").paginate(cluster=cluster):
            arns.extend(page.get("serviceArns", []))
        for offset in range(0, min(len(arns), MAX_SERVICES), 10):
            described = client.describe_services(cluster=cluster, services=arns[offset : offset + 10])
            services.extend(described.get("services", []))
    task_definitions: dict[str, dict[str, Any]] = {}
    for service in services:
        wanted = {service["taskDefinition"]} | {d["taskDefinition"] for d in service.get("deployments", [])}
        for arn in sorted(wanted - task_definitions.keys()):
            task_definitions[arn] = client.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    stopped: list[dict[str, Any]] = []
    for cluster in sorted({s["clusterArn"] for s in services}):
        task_arns = client.list_tasks(cluster=cluster, desiredStatus="STOPPED").get("taskArns", [])
        for offset in range(0, len(task_arns), 100):
            stopped.extend(
                client.describe_tasks(cluster=cluster, tasks=task_arns[offset : offset + 100])["tasks"]
            )
    return {"services": services, "task_definitions": task_definitions, "stopped_tasks": stopped}


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
        for previous, deployment in zip([None, *deployments[:-1]], deployments, strict=False):
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
