"""Application Auto Scaling: the capacity bounds of ECS services and whether scaling is suspended.

A service pinned at its maximum cannot scale out of a load spike; one whose scaling is suspended
does not scale at all. Only ECS services' scalable targets are read (ServiceNamespace "ecs").
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from cloudwarden.aws.permissions import declare
from cloudwarden.evidence.collector import Probe
from cloudwarden.evidence.model import Resource

SOURCE = "autoscaling"
PERMISSIONS = declare(
    "evidence.autoscaling",
    ("application-autoscaling:DescribeScalableTargets",),
    purpose="Read ECS services' scaling bounds (minimum and maximum tasks) and suspended scaling",
)
PROBES: tuple[Probe, ...] = (
    Probe(
        "autoscaling",
        "application-autoscaling",
        "application-autoscaling:DescribeScalableTargets",
        lambda c: c.describe_scalable_targets(ServiceNamespace="ecs", MaxResults=1),
    ),
)
ECS_DESIRED_COUNT = "ecs:service:DesiredCount"


# DescribeScalableTargets takes at most 50 resource ids a call.
MAX_RESOURCE_IDS = 50
MAX_PAGES = 3


def get(client: Any, resource_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """The ECS scalable targets of these resource ids (one call), or every one (bounded pages)."""
    kwargs: dict[str, Any] = {"ServiceNamespace": "ecs"}
    if resource_ids:
        kwargs["ResourceIds"] = list(dict.fromkeys(resource_ids))[:MAX_RESOURCE_IDS]
    targets: list[dict[str, Any]] = []
    for page in islice(client.get_paginator("describe_scalable_targets").paginate(**kwargs), MAX_PAGES):
        targets.extend(page.get("ScalableTargets", []))
    return targets


def transform(raw: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Resource id ("service/<cluster>/<service>") -> min_capacity, max_capacity, suspended."""
    targets: dict[str, dict[str, Any]] = {}
    for target in raw:
        if target.get("ScalableDimension", ECS_DESIRED_COUNT) != ECS_DESIRED_COUNT:
            continue
        suspended_state = target.get("SuspendedState") or {}
        targets[target["ResourceId"]] = {
            "min_capacity": int(target["MinCapacity"]),
            "max_capacity": int(target["MaxCapacity"]),
            "suspended": any(bool(v) for v in suspended_state.values()),
        }
    return targets


def resource_id(service: Resource) -> str | None:
    """The Application Auto Scaling resource id of an ECS service Resource."""
    cluster = service.attributes.get("cluster_name")
    if service.kind != "ecs_service" or not cluster:
        return None
    return f"service/{cluster}/{service.name}"


def capacity_for(service_resource: Resource, targets: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The scaling bounds of an ecs_service Resource, or None if it is not a scalable target."""
    key = resource_id(service_resource)
    return targets.get(key) if key is not None else None
