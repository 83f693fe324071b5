"""The ECS service scheduler's visible work, kept in the _ecs_model overlay.

Lookups of moto's services and task definitions, the service view DescribeServices renders,
and what ECS does during a rollout: start tasks, retire the previous deployment's tasks, report
steady state.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from cloudwarden.simulator.patches import _ecs_model as m
from cloudwarden.simulator.patches._support import as_utc, utc_now

# How long ECS takes to roll out an API-made deployment when the ticker completes it.
TASKS_START_AFTER = timedelta(seconds=30)
DEPLOYMENT_SETTLES_AFTER = timedelta(seconds=90)

# ---------------------------------------------------------------------------- lookups


def ecs_backend(account_id: str, region: str) -> Any:
    from moto.ecs.models import ecs_backends

    return ecs_backends[account_id][region]


def find_service(account_id: str, region: str, cluster: str, service: str) -> Any:
    """moto's Service, or a ValueError an injector caller can read."""
    from moto.ecs.exceptions import ClusterNotFoundException, ServiceNotFoundException

    backend = ecs_backend(account_id, region)
    try:
        return backend._get_service(cluster, service)
    except ClusterNotFoundException:
        raise ValueError(f"field 'cluster': no ECS cluster {cluster!r} in {account_id}/{region}") from None
    except ServiceNotFoundException:
        raise ValueError(f"field 'service': no ECS service {service!r} in cluster {cluster!r}") from None


def find_task_definition(account_id: str, region: str, reference: str) -> Any:
    from moto.ecs.exceptions import TaskDefinitionNotFoundException

    try:
        return ecs_backend(account_id, region).describe_task_definition(reference)
    except TaskDefinitionNotFoundException:
        raise ValueError(f"field 'task_definition': no task definition {reference!r}") from None


def overlay_of(account_id: str, region: str, service: Any) -> m.ServiceOverlay:
    """The service's overlay, seeded from moto's deployment the first time it is touched."""
    key = (account_id, region, service.cluster_name, service.name)
    with m.lock:
        overlay = m.services.get(key)
        if overlay is None:
            overlay = m.ServiceOverlay([_from_moto(d, service) for d in service.deployments])
            m.services[key] = overlay
        return overlay


def _from_moto(raw: dict[str, Any], service: Any) -> m.Deployment:
    return m.Deployment(
        id=raw["id"],
        status=raw["status"],
        task_definition=raw.get("taskDefinition") or service.task_definition,
        desired_count=int(raw.get("desiredCount") or 0),
        pending_count=int(raw.get("pendingCount") or 0),
        running_count=int(raw.get("runningCount") or 0),
        failed_tasks=int(raw.get("failedTasks") or 0),
        created_at=as_utc(raw["createdAt"]),
        updated_at=as_utc(raw.get("updatedAt") or raw["createdAt"]),
        launch_type=raw.get("launchType") or service.launch_type,
        rollout_state=raw.get("rolloutState") or "IN_PROGRESS",
        rollout_state_reason=raw.get("rolloutStateReason") or "",
        network_configuration=raw.get("networkConfiguration"),
        settles=raw.get("rolloutState") == "IN_PROGRESS",
    )


def service_view(account_id: str, region: str, service: Any) -> Any:
    """A copy of moto's Service carrying the overlay, for moto's serializer to render."""
    overlay = overlay_of(account_id, region, service)
    with m.lock:
        view = copy.copy(service)
        view.deployments = [d.to_api() for d in overlay.deployments]
        # Newest first; of events written at the same instant, the one written last comes first.
        events = list(enumerate([*service.events, *overlay.events]))
        events.sort(key=lambda item: (as_utc(item[1]["createdAt"]), item[0]), reverse=True)
        view.events = [event for _, event in events[: m.MAX_EVENTS]]
        view.running_count = sum(d.running_count for d in overlay.deployments)
        view.pending_count = sum(d.pending_count for d in overlay.deployments)
        if overlay.primary is not None:
            view.task_definition = overlay.primary.task_definition
    return view


# ---------------------------------------------------------------------------- scheduler actions


def add_task(
    account_id: str,
    region: str,
    service: Any,
    definition: Any,
    *,
    status: str,
    started_by: str | None,
    created_at: datetime,
    started_at: datetime | None,
    launch_type: str | None,
    containers: list[m.Container] | None = None,
    stopped: tuple[datetime, datetime, str, str] | None = None,  # stopping at, stopped at, code, reason
) -> m.Task:
    """Record one task of `service`, as the scheduler would have launched it."""
    cluster_tasks = m.tasks.setdefault((account_id, region, service.cluster_name), {})
    if containers is None:
        containers = [
            m.Container(name=c.get("name", "app"), image=c.get("image", ""), last_status=status)
            for c in definition.container_definitions
        ]
    task = m.Task(
        arn=m.task_arn(account_id, region, service.cluster_name),
        cluster_arn=service.cluster_arn,
        task_definition_arn=definition.arn,
        group=f"service:{service.name}",
        started_by=started_by,
        last_status=status,
        desired_status=status,
        created_at=created_at,
        started_at=started_at,
        stopping_at=stopped[0] if stopped else None,
        stopped_at=stopped[1] if stopped else None,
        stop_code=stopped[2] if stopped else None,
        stopped_reason=stopped[3] if stopped else None,
        containers=containers,
        cpu=resource(definition, "cpu"),
        memory=resource(definition, "memory"),
        launch_type=launch_type or service.launch_type or "FARGATE",
        # Spread over zones as the scheduler's default placement does.
        availability_zone=f"{region}{'abc'[len(cluster_tasks) % 3]}",
    )
    cluster_tasks[task.arn] = task
    return task


def new_tasks(
    account_id: str, region: str, service: Any, deployment: m.Deployment, count: int, started_at: datetime
) -> list[m.Task]:
    definition = find_task_definition(account_id, region, deployment.task_definition)
    return [
        add_task(
            account_id,
            region,
            service,
            definition,
            status="RUNNING",
            started_by=deployment.id,
            created_at=started_at - timedelta(seconds=25),
            started_at=started_at,
            launch_type=deployment.launch_type,
        )
        for _ in range(count)
    ]


def resource(definition: Any, name: str) -> str | None:
    value = getattr(definition, name, None)
    if value:
        return str(value)
    total = sum(int(c.get(name) or 0) for c in definition.container_definitions)
    return str(total) if total else None


def complete(
    account_id: str,
    region: str,
    service: Any,
    overlay: m.ServiceOverlay,
    deployment: m.Deployment,
    tasks_at: datetime,
    done_at: datetime,
    *,
    supersede: bool = True,
) -> list[m.Task]:
    """Finish a rollout (or a scaling) as ECS does: start or stop tasks until the deployment runs
    exactly its desired count, report steady state and, when it supersedes the others, retire
    their tasks and drop them."""
    cluster_tasks = m.tasks.setdefault((account_id, region, service.cluster_name), {})
    running = [
        t
        for t in cluster_tasks.values()
        if t.last_status == "RUNNING" and t.group == f"service:{service.name}"
    ]
    mine = sorted((t for t in running if t.started_by == deployment.id), key=lambda t: t.created_at)
    started = new_tasks(
        account_id, region, service, deployment, deployment.desired_count - len(mine), tasks_at
    )
    if started:
        overlay.add_event(tasks_at, m.started_message(service.name, started))
    # The newest surplus tasks go first, as the scheduler's default scale-in does.
    others = [t for t in running if t.started_by != deployment.id] if supersede else []
    retired = others + mine[deployment.desired_count :]
    for task in retired:
        task.last_status = task.desired_status = "STOPPED"
        task.stopping_at, task.stopped_at = done_at - timedelta(seconds=30), done_at
        task.stop_code = "ServiceSchedulerInitiated"
        task.stopped_reason = f"Scaling activity initiated by (deployment {deployment.id})"
        for container in task.containers:
            container.last_status, container.exit_code = "STOPPED", 0
    if retired:
        overlay.add_event(done_at, m.stopped_message(service.name, retired))
    if deployment.rollout_state != "COMPLETED":
        overlay.add_event(done_at, m.completed_message(service.name, deployment.id))
    if supersede:
        overlay.deployments = [deployment]
    deployment.running_count, deployment.pending_count = deployment.desired_count, 0
    deployment.rollout_state = "COMPLETED"
    deployment.rollout_state_reason = m.rollout_reason(deployment.id, "COMPLETED")
    deployment.updated_at, deployment.settles = done_at, False
    overlay.add_event(done_at, m.steady_message(service.name))
    return [*mine[: deployment.desired_count], *started]


def scale(
    account_id: str, region: str, service: Any, overlay: m.ServiceOverlay, desired: int, at: datetime
) -> None:
    """UpdateService desiredCount without a new deployment."""
    primary = overlay.primary
    if primary is None:
        return
    primary.desired_count = desired
    has_tasks = any(
        t.started_by == primary.id and t.last_status == "RUNNING"
        for t in m.tasks.get((account_id, region, service.cluster_name), {}).values()
    )
    if primary.rollout_state != "COMPLETED" or not has_tasks:
        # No simulated tasks to keep consistent: converge at once, as moto does.
        primary.running_count, primary.pending_count = desired, 0
        return
    complete(account_id, region, service, overlay, primary, at, at)


def start_deployment(
    service: Any, overlay: m.ServiceOverlay, at: datetime, task_definition: str
) -> m.Deployment:
    """A new PRIMARY deployment of `task_definition`; the previous ones become ACTIVE."""
    for previous in overlay.deployments:
        previous.status = "ACTIVE"
    deployment_id = m.deployment_id()
    deployment = m.Deployment(
        id=deployment_id,
        status="PRIMARY",
        task_definition=task_definition,
        desired_count=service.desired_count,
        pending_count=0,
        running_count=0,
        failed_tasks=0,
        created_at=at,
        updated_at=at,
        launch_type=service.launch_type,
        rollout_state="IN_PROGRESS",
        rollout_state_reason=m.rollout_reason(deployment_id, "IN_PROGRESS"),
        network_configuration=service.network_configuration or None,
    )
    overlay.deployments.insert(0, deployment)
    service.task_definition = task_definition
    return deployment


def settle(now: datetime | None = None) -> int:
    """Complete API-made deployments whose rollout time has passed; returns how many."""
    at = as_utc(now) if now else utc_now()
    completed = 0
    with m.lock:
        for (account_id, region, cluster, name), overlay in list(m.services.items()):
            primary = overlay.primary
            if primary is None or not primary.settles or primary.rollout_state != "IN_PROGRESS":
                continue
            if at < primary.created_at + DEPLOYMENT_SETTLES_AFTER:
                continue
            service = ecs_backend(account_id, region).services.get(f"{cluster}:{name}")
            if service is None:
                continue
            complete(
                account_id,
                region,
                service,
                overlay,
                primary,
                primary.created_at + TASKS_START_AFTER,
                primary.created_at + DEPLOYMENT_SETTLES_AFTER,
            )
            completed += 1
    return completed
