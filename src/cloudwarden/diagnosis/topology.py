"""The dependency graph, built only from what the AWS APIs show.

Edges come from task definitions (environment values naming a database endpoint, a function or a
queue; task roles), Lambda configuration (execution role, event sources), security groups
attached to resources, and load balancer target groups. Names and tags are never interpreted.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

from cloudwarden.evidence.model import AlarmInfo, Edge, Resource


def _values(resource: Resource, attribute: str) -> list[str]:
    value = resource.attributes.get(attribute)
    if isinstance(value, dict):
        return [str(v) for v in value.values()]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)] if value else []


def identifiers(resource: Resource) -> set[str]:
    """Strings by which logs, events and changes can refer to this resource."""
    ids = {resource.key, resource.name}
    attrs = resource.attributes
    for attribute in (
        "identifier",
        "endpoint",
        "function_name",
        "group_id",
        "dimension",
        "queue_name",
        "private_ip",
        "private_dns",
    ):
        if attrs.get(attribute):
            ids.add(str(attrs[attribute]))
    if resource.kind == "iam_role":
        ids.add(resource.key.rsplit("/", 1)[-1])
        ids.add(f"assumed-role/{resource.key.rsplit('/', 1)[-1]}/")
    if resource.kind == "ecs_service":
        ids.add(str(attrs.get("task_definition", "")).rsplit("/", 1)[-1].split(":")[0])
    return {i for i in ids if i and len(i) >= 4}


_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


def mentions(text: str, identifier: str) -> bool:
    """Whether `text` names `identifier`; an IP address only as a whole (10.0.1.4 is not in 10.0.1.45)."""
    if _IPV4.match(identifier):
        return re.search(rf"(?<![\d.]){re.escape(identifier)}(?![\d]|\.\d)", text) is not None
    return identifier in text


def derive_edges(resources: list[Resource], given: list[Edge]) -> list[Edge]:
    edges = list(given)
    by_key = {r.key: r for r in resources}
    groups = {r.attributes.get("group_id"): r.key for r in resources if r.kind == "security_group"}
    for resource in resources:
        if resource.kind in ("ecs_service", "lambda_function"):
            values = _values(resource, "environment") + _values(resource, "secrets")
            for other in resources:
                if other.key == resource.key or other.kind not in (
                    "rds_instance",
                    "lambda_function",
                    "sqs_queue",
                    "ec2_instance",
                    "secret",
                ):
                    continue
                needles = (
                    identifiers(other) - {other.name} if other.kind == "rds_instance" else identifiers(other)
                )
                if any(mentions(v, n) for v in values for n in needles):
                    relation = "secret-reference" if other.kind == "secret" else "env-reference"
                    edges.append(Edge(source=resource.key, target=other.key, relation=relation))
            for attribute in ("task_role", "execution_role", "role"):
                role = resource.attributes.get(attribute)
                if role:
                    edges.append(
                        Edge(source=resource.key, target=str(role), relation=attribute.replace("_", "-"))
                    )
        for group_id in _values(resource, "security_groups"):
            if group_id in groups:
                edges.append(
                    Edge(source=resource.key, target=groups[group_id], relation="attached-security-group")
                )
        if resource.kind == "ecs_service":
            for target_group in _values(resource, "target_groups"):
                if target_group in by_key:
                    edges.append(Edge(source=target_group, target=resource.key, relation="target-group"))
    unique = {(e.source, e.target, e.relation): e for e in edges}
    return list(unique.values())


def role_resources(resources: list[Resource]) -> list[Resource]:
    """IAM roles known only by reference (task and execution roles) become resources too."""
    known = {r.key for r in resources}
    roles = []
    for resource in resources:
        for attribute in ("task_role", "execution_role", "role"):
            arn = resource.attributes.get(attribute)
            if arn and arn not in known and ":role/" in str(arn):
                known.add(str(arn))
                roles.append(Resource(key=str(arn), kind="iam_role", name=str(arn).rsplit("/", 1)[-1]))
    return roles


def secret_resources(resources: list[Resource]) -> list[Resource]:
    """Secrets Manager secrets that task definitions and functions read, known by reference."""
    known = {r.key for r in resources}
    secrets = []
    for resource in resources:
        for value in _values(resource, "secrets"):
            parts = value.split(":")
            if len(parts) < 7 or parts[2] != "secretsmanager" or parts[5] != "secret":
                continue
            arn = ":".join(parts[:7])  # without a JSON key, version stage or version id
            if arn in known:
                continue
            known.add(arn)
            # AWS appends a hyphen and six random characters to the secret's name in its ARN.
            name = re.sub(r"-[A-Za-z0-9]{6}$", "", parts[6])
            secrets.append(Resource(key=arn, kind="secret", name=name, attributes={"secret_name": name}))
    return secrets


# Which alarm dimension names a resource of each kind, and which attribute holds its value.
_DIMENSION_OF_KIND = {
    "rds_instance": ("DBInstanceIdentifier", "identifier"),
    "lambda_function": ("FunctionName", "function_name"),
    "target_group": ("TargetGroup", "dimension"),
    "sqs_queue": ("QueueName", "queue_name"),
}


def _watched_by(resource: Resource, dims: dict[str, str]) -> bool:
    a = resource.attributes
    if resource.kind == "ec2_instance":
        return dims.get("InstanceId") == resource.key
    if resource.kind == "ecs_service":
        same_cluster = "ClusterName" not in dims or dims["ClusterName"] == a.get("cluster_name")
        return dims.get("ServiceName") == resource.name and same_cluster
    dimension = _DIMENSION_OF_KIND.get(resource.kind)
    return dimension is not None and dimension[0] in dims and dims[dimension[0]] == a.get(dimension[1])


def alarm_resources(alarm: AlarmInfo, resources: list[Resource]) -> list[Resource]:
    """The resources an alarm watches, from its dimensions."""
    dims = alarm.dimensions
    found = [r for r in resources if _watched_by(r, dims)]
    if not found and "LoadBalancer" in dims:
        found = [
            r
            for r in resources
            if r.kind == "load_balancer" and r.attributes.get("dimension") == dims["LoadBalancer"]
        ]
    return found


def queue_resources(alarm: AlarmInfo, *, region: str, account_id: str) -> list[Resource]:
    name = alarm.dimensions.get("QueueName")
    if not name:
        return []
    return [
        Resource(
            key=f"arn:aws:sqs:{region}:{account_id}:{name}",
            kind="sqs_queue",
            name=name,
            attributes={"queue_name": name},
        )
    ]


@dataclass
class Graph:
    resources: dict[str, Resource]
    edges: list[Edge]
    out: dict[str, list[str]] = field(default_factory=dict)
    into: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, resources: list[Resource], edges: list[Edge]) -> Graph:
        graph = cls({r.key: r for r in resources}, edges)
        for edge in edges:
            graph.out.setdefault(edge.source, []).append(edge.target)
            graph.into.setdefault(edge.target, []).append(edge.source)
        return graph

    def distances(self, roots: list[str], max_depth: int = 3) -> dict[str, int]:
        """Hops from the alarm's resources, following dependencies forward and one step back.

        Forward: what the alarmed resource depends on. Backward (one step, from the alarmed
        resource only): who feeds it, e.g. the consumer of a queue whose backlog alarms.
        """
        seen = dict.fromkeys(roots, 0)
        queue = deque(roots)
        for root in roots:
            for parent in self.into.get(root, []):
                known = self.resources.get(parent)
                if parent not in seen and known is not None and known.kind != "target_group":
                    seen[parent] = 1
                    queue.append(parent)
        while queue:
            node = queue.popleft()
            if seen[node] >= max_depth:
                continue
            for child in self.out.get(node, []):
                if child not in seen:
                    seen[child] = seen[node] + 1
                    queue.append(child)
        return seen

    def protected_by(self, group_key: str) -> list[str]:
        """Resources a security group is attached to."""
        return [
            e.source for e in self.edges if e.target == group_key and e.relation == "attached-security-group"
        ]

    def dependents(self, key: str) -> list[str]:
        return [
            e.source
            for e in self.edges
            if e.target == key and e.relation in ("env-reference", "event-source", "secret-reference")
        ]
