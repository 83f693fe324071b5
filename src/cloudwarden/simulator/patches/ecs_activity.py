"""ECS services that show what AWS shows: deployments, service events, running and stopped tasks.

moto's services never start tasks, always have empty `events`, and forceNewDeployment only
changes ids. The overlay (_ecs_model, _ecs_scheduler) holds what the ECS scheduler would have
produced; this module merges it into DescribeServices, ListTasks and DescribeTasks, makes
UpdateService start a new PRIMARY deployment (which tick() completes, as ECS would), and offers
injectors for scenarios: service events, deployments, tasks, a service at steady state.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from cloudwarden.simulator.patches import Injector, InjectRequest
from cloudwarden.simulator.patches import _ecs_model as m
from cloudwarden.simulator.patches import _ecs_scheduler as scheduler
from cloudwarden.simulator.patches._support import (
    as_utc,
    install,
    parse_payload,
    request_time,
    utc_now,
)

_originals: dict[str, Callable[..., Any]] = {}


# ---------------------------------------------------------------------------- API patches


def _describe_services(self: Any) -> Any:
    from moto.core.responses import ActionResult

    result = dict(_originals["describe_services"](self).result)
    result["services"] = [
        scheduler.service_view(self.current_account, self.region, s) for s in result["services"]
    ]
    return ActionResult(result)


def _create_service(self: Any) -> Any:
    from moto.core.responses import ActionResult

    service = _originals["create_service"](self).result["service"]
    overlay = scheduler.overlay_of(self.current_account, self.region, service)
    at = request_time(self.headers)
    with m.lock:
        for deployment in overlay.deployments:
            deployment.created_at = deployment.updated_at = at
    return ActionResult({"service": scheduler.service_view(self.current_account, self.region, service)})


def _update_service(self: Any) -> Any:
    """A new task definition or forceNewDeployment starts a PRIMARY deployment, as in ECS."""
    from moto.core.responses import ActionResult

    account_id, region, backend = self.current_account, self.region, self.ecs_backend
    service = backend._get_service(self._get_param("cluster", "default"), self._get_param("service"))
    overlay = scheduler.overlay_of(account_id, region, service)
    before = overlay.primary.task_definition if overlay.primary else service.task_definition
    _originals["update_service"](self)
    requested = self._get_param("taskDefinition")
    with m.lock:
        # moto stores the string it was given ("web:3"); ECS stores the ARN.
        service.task_definition = backend.describe_task_definition(requested).arn if requested else before
        desired = self._get_param("desiredCount")
        if service.task_definition != before or self._get_param("forceNewDeployment"):
            deployment = scheduler.start_deployment(
                service, overlay, request_time(self.headers), service.task_definition
            )
            deployment.settles = True
        elif desired is not None:
            scheduler.scale(account_id, region, service, overlay, int(desired), request_time(self.headers))
    return ActionResult({"service": scheduler.service_view(account_id, region, service)})


def _delete_service(self: Any) -> Any:
    result = _originals["delete_service"](self)
    service = result.result["service"]
    with m.lock:
        m.services.pop((self.current_account, self.region, service.cluster_name, service.name), None)
    return result


def _task_matches(task: m.Task, filters: dict[str, Any]) -> bool:
    return (
        task.desired_status == filters["desired"]
        and (not filters["service"] or task.group == f"service:{filters['service']}")
        and (not filters["family"] or task.family == filters["family"])
        and (not filters["started_by"] or task.started_by == filters["started_by"])
        and (not filters["launch_type"] or task.launch_type == filters["launch_type"])
    )


def _list_tasks(self: Any) -> Any:
    """ListTasks with serviceName honoured, RUNNING as the default desiredStatus, and paging."""
    from moto.core.responses import ActionResult
    from moto.ecs.exceptions import InvalidParameterException

    backend = self.ecs_backend
    cluster = backend._get_cluster(self._get_param("cluster", "default"))
    container_instance = self._get_param("containerInstance")
    filters = {
        "desired": self._get_param("desiredStatus") or "RUNNING",
        "service": self._get_param("serviceName"),
        "family": self._get_param("family"),
        "started_by": self._get_param("startedBy"),
        "launch_type": self._get_param("launchType"),
    }
    found = backend.list_tasks(
        cluster.name, container_instance, filters["family"], filters["started_by"], None, filters["desired"]
    )
    arns = [
        t.task_arn
        for t in found
        if (not filters["service"] or t.group == f"service:{filters['service']}")
        and (not filters["launch_type"] or t.launch_type == filters["launch_type"])
    ]
    if not container_instance:  # overlay tasks run on Fargate: no container instance
        with m.lock:
            overlay_tasks = list(m.tasks.get((self.current_account, self.region, cluster.name), {}).values())
        arns += [
            t.arn for t in sorted(overlay_tasks, key=lambda t: t.created_at) if _task_matches(t, filters)
        ]
    limit = int(self._get_param("maxResults") or 100)
    token = self._get_param("nextToken")
    if token and not str(token).isdigit():
        raise InvalidParameterException("Invalid nextToken.")
    offset = int(token or 0)
    result: dict[str, Any] = {"taskArns": arns[offset : offset + limit]}
    if offset + limit < len(arns):
        result["nextToken"] = str(offset + limit)
    return ActionResult(result)


def _describe_tasks(self: Any) -> Any:
    """DescribeTasks that also returns the overlay's tasks, and reports unknown ones as MISSING."""
    from moto.core.responses import ActionResult
    from moto.ecs.exceptions import InvalidParameterException

    backend = self.ecs_backend
    cluster = backend._get_cluster(self._get_param("cluster", "default"))
    wanted: list[str] = self._get_param("tasks", [])
    if not wanted:
        raise InvalidParameterException("Tasks cannot be empty.")
    with m.lock:
        known = m.tasks.get((self.current_account, self.region, cluster.name), {})
        by_id = {t.task_id: t for t in known.values()}
        overlay = [known.get(ref) or by_id.get(ref.rsplit("/", 1)[-1]) for ref in wanted]
        found: list[Any] = [t.to_api() for t in overlay if t is not None]
    rest = [ref for ref, task in zip(wanted, overlay, strict=True) if task is None]
    if rest:
        result = _originals["describe_tasks"](self)
        moto_tasks = [
            t for t in result.result["tasks"] if any(ref.rsplit("/", 1)[-1] == t.id for ref in rest)
        ]
        seen = {t.id for t in moto_tasks}
        found = moto_tasks + found
        rest = [ref for ref in rest if ref.rsplit("/", 1)[-1] not in seen]
    failures = [{"arn": ref, "reason": "MISSING"} for ref in rest]
    return ActionResult({"tasks": found, "failures": failures})


def apply() -> None:
    from moto.ecs.responses import EC2ContainerServiceResponse as Response

    if _originals:
        return
    for name, replacement in (
        ("describe_services", _describe_services),
        ("create_service", _create_service),
        ("update_service", _update_service),
        ("delete_service", _delete_service),
        ("list_tasks", _list_tasks),
        ("describe_tasks", _describe_tasks),
    ):
        _originals[name] = getattr(Response, name)
        install(Response, name, replacement)


def reset() -> None:
    m.reset()


def tick(now: datetime | None = None) -> None:
    """Complete deployments started through UpdateService/CreateService once ECS would have."""
    scheduler.settle(now)


# ---------------------------------------------------------------------------- injectors


def _inject_event(request: InjectRequest) -> dict[str, Any]:
    payload = parse_payload(m.ServiceEventPayload, request.payload, "ecs_service_event")
    service = scheduler.find_service(request.account_id, request.region, payload.cluster, payload.service)
    with m.lock:
        overlay = scheduler.overlay_of(request.account_id, request.region, service)
        event = overlay.add_event(payload.created_at, payload.message, payload.id)
    return {"id": event["id"]}


def _inject_deployment(request: InjectRequest) -> dict[str, Any]:
    payload = parse_payload(m.DeploymentPayload, request.payload, "ecs_deployment")
    account_id, region = request.account_id, request.region
    service = scheduler.find_service(account_id, region, payload.cluster, payload.service)
    definition = scheduler.find_task_definition(account_id, region, payload.task_definition)
    desired = service.desired_count if payload.desired_count is None else payload.desired_count
    pending = payload.pending_count
    if pending is None:
        pending = max(desired - payload.running_count, 0) if payload.rollout_state == "IN_PROGRESS" else 0
    created, updated = as_utc(payload.created_at), as_utc(payload.updated_at or payload.created_at)
    with m.lock:
        overlay = scheduler.overlay_of(account_id, region, service)
        deployment = overlay.primary
        # An UpdateService that rolls out this task definition made the deployment already: the
        # payload says how that rollout went, rather than adding a second one.
        if not (
            deployment is not None
            and deployment.settles
            and deployment.rollout_state == "IN_PROGRESS"
            and deployment.task_definition == definition.arn
        ):
            deployment = scheduler.start_deployment(service, overlay, created, definition.arn)
        deployment.settles = False
        deployment.created_at, deployment.updated_at = created, updated
        deployment.desired_count, deployment.running_count = desired, payload.running_count
        deployment.pending_count, deployment.failed_tasks = pending, payload.failed_tasks
        deployment.rollout_state = payload.rollout_state
        deployment.rollout_state_reason = payload.rollout_state_reason or m.rollout_reason(
            deployment.id, payload.rollout_state
        )
        if payload.rollout_state == "COMPLETED":
            overlay.deployments = [deployment]  # ECS drops drained deployments once one completes
            if payload.events:
                overlay.add_event(updated, m.completed_message(service.name, deployment.id))
                overlay.add_event(updated, m.steady_message(service.name))
        elif payload.rollout_state == "FAILED" and payload.events:
            overlay.add_event(updated, m.failed_message(service.name, deployment.id))
    return {"deployment": deployment.id}


def _containers(definition: Any, payload: m.TaskPayload, stop_code: str | None) -> list[m.Container]:
    defined = {c.get("name", "app"): c for c in definition.container_definitions}
    status = payload.status
    if payload.containers is None:
        crashed = stop_code == "EssentialContainerExited"
        return [
            m.Container(name, c.get("image", ""), status, 1 if crashed and c.get("essential", True) else None)
            for name, c in defined.items()
        ]
    unknown = sorted({c.name for c in payload.containers} - defined.keys())
    if unknown:
        raise ValueError(f"field 'containers': {unknown} not in {definition.arn} (has {sorted(defined)})")
    return [
        m.Container(c.name, defined[c.name].get("image", ""), status, c.exit_code, c.reason)
        for c in payload.containers
    ]


def _inject_task(request: InjectRequest) -> dict[str, Any]:
    payload = parse_payload(m.TaskPayload, request.payload, "ecs_task")
    account_id, region = request.account_id, request.region
    service = scheduler.find_service(account_id, region, payload.cluster, payload.service)
    started_at = as_utc(payload.started_at) if payload.started_at else None
    stopped_at = as_utc(payload.stopped_at) if payload.stopped_at else None
    stopped = None
    if stopped_at is not None:
        code = payload.stop_code or ("EssentialContainerExited" if started_at else "TaskFailedToStart")
        stopping_at = (
            as_utc(payload.stopping_at) if payload.stopping_at else stopped_at - timedelta(seconds=5)
        )
        stopped = (stopping_at, stopped_at, code, payload.stopped_reason or m.DEFAULT_STOP_REASON[code])
    first = started_at or stopped_at
    created_at = as_utc(payload.created_at) if payload.created_at else None
    with m.lock:
        overlay = scheduler.overlay_of(account_id, region, service)
        primary = overlay.primary
        reference = payload.task_definition or (
            primary.task_definition if primary else service.task_definition
        )
        definition = scheduler.find_task_definition(account_id, region, reference)
        owner = next((d for d in overlay.deployments if d.task_definition == definition.arn), primary)
        made = [
            scheduler.add_task(
                account_id,
                region,
                service,
                definition,
                status=payload.status,
                started_by=payload.started_by or (owner.id if owner else None),
                created_at=created_at or (first - timedelta(seconds=30) if first else utc_now()),
                started_at=started_at,
                launch_type=owner.launch_type if owner else None,
                containers=_containers(definition, payload, stopped[2] if stopped else None),
                stopped=stopped,
            )
            for _ in range(payload.count)
        ]
    return {"tasks": [t.arn for t in made]}


def _inject_steady(request: InjectRequest) -> dict[str, Any]:
    """The service at steady state at `at`, running the deployment that was in effect then."""
    payload = parse_payload(m.SteadyPayload, request.payload, "ecs_service_steady")
    account_id, region = request.account_id, request.region
    service = scheduler.find_service(account_id, region, payload.cluster, payload.service)
    at = as_utc(payload.at)
    wanted = None
    if payload.task_definition:
        wanted = scheduler.find_task_definition(account_id, region, payload.task_definition).arn
    with m.lock:
        overlay = scheduler.overlay_of(account_id, region, service)
        in_effect = [d for d in overlay.deployments if d.created_at <= at]
        target = max(in_effect, key=lambda d: d.created_at) if in_effect else None
        if target is None and overlay.deployments:
            target = overlay.deployments[-1]
            target.created_at = at - timedelta(minutes=2)  # it cannot have settled before it began
        if target is None or (wanted and wanted != target.task_definition):
            reference = wanted or service.task_definition
            target = scheduler.start_deployment(service, overlay, at - timedelta(minutes=2), reference)
        if payload.count is not None:
            target.desired_count = payload.count
        if target is overlay.primary:
            service.desired_count = target.desired_count
        # A deployment made later (a scenario's change) keeps its own state.
        running = scheduler.complete(
            account_id,
            region,
            service,
            overlay,
            target,
            at - timedelta(minutes=1),
            at,
            supersede=target is overlay.primary,
        )
    return {"deployment": target.id, "tasks": [t.arn for t in running]}


INJECTORS: dict[str, Injector] = {
    "ecs_service_event": _inject_event,
    "ecs_deployment": _inject_deployment,
    "ecs_task": _inject_task,
    "ecs_service_steady": _inject_steady,
}
