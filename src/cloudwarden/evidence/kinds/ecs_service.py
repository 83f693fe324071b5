"""An ECS service: its tasks run one task definition revision on a cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudwarden.evidence.kinds._spec import Dimensions, KindSpec, Metric, Relation

if TYPE_CHECKING:
    from cloudwarden.evidence.model import Resource


def _dimensions(r: Resource) -> Dimensions:
    return (("ClusterName", str(r.attributes.get("cluster_name"))), ("ServiceName", r.name))


def _family(r: Resource) -> set[str]:
    """Its task definition family: what its log streams and events call it."""
    return {str(r.attributes.get("task_definition", "")).rsplit("/", 1)[-1].split(":")[0]}


SPEC = KindSpec(
    name="ecs_service",
    label="ECS service",
    extra_identifiers=_family,
    metrics=(
        Metric("AWS/ECS", "CPUUtilization", "Average"),
        Metric("AWS/ECS", "MemoryUtilization", "Average"),
    ),
    dimensions=_dimensions,
    identifying_dimension="ServiceName",
    relations=(
        Relation("task_role", "task-role", "iam_role", known_only=False),
        Relation("execution_role", "execution-role", "iam_role", known_only=False),
        Relation("security_groups", "attached-security-group", "security_group", match="group_id"),
        Relation("target_groups", "target-group", "target_group", reverse=True),
    ),
    references=("environment", "secrets"),
    # Services call each other by name (service discovery: http://payments.internal:8080).
    referenced_as="env-reference",
    log_groups=lambda r: [str(g) for g in r.attributes.get("log_groups") or []],
)
