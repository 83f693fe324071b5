"""The dependency graph, built only from what the AWS APIs show.

Edges come from task definitions (environment values naming a database endpoint, a function or a
queue; task roles), Lambda configuration (execution role, event sources), security groups
attached to resources, and load balancer target groups. Names and tags are never interpreted.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from cloudwarden.evidence.kinds import KINDS
from cloudwarden.evidence.model import AlarmInfo, Edge, Resource


def _values(resource: Resource, attribute: str) -> list[str]:
    value = resource.attributes.get(attribute)
    if isinstance(value, dict):
        return [str(v) for v in value.values()]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)] if value else []


def identifiers(resource: Resource) -> set[str]:
    """Strings by which logs, events and changes can refer to this resource (from its kind's spec)."""
    ids = {resource.key, resource.name}
    spec = KINDS.get(resource.kind)
    if spec is not None:
        ids |= {v for a in spec.identifiers for v in _values(resource, a)}
        if spec.extra_identifiers is not None:
            ids |= spec.extra_identifiers(resource)
    return {i for i in ids if i and len(i) >= 4}


# Edges along which traffic is routed: a load balancer to its target groups, a group to its service.
ROUTING = ("routes-to", "target-group")

_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


def mentions(text: str, identifier: str) -> bool:
    """Whether `text` names `identifier` as a whole: an IP address not inside a longer one (10.0.1.4
    is not in 10.0.1.45), a name not inside a longer name (`payments` is not in `payments-db`)."""
    if identifier not in text:
        return False
    if _IPV4.match(identifier):
        return re.search(rf"(?<![\d.]){re.escape(identifier)}(?![\d]|\.\d)", text) is not None
    return re.search(rf"(?<![\w-]){re.escape(identifier)}(?![\w-])", text) is not None


def derive_edges(resources: list[Resource], given: list[Edge]) -> list[Edge]:
    """The given edges, plus those each kind's spec declares: references in environments and
    secrets, and the relations its attributes name (roles, security groups, target groups)."""
    edges = list(given)
    by_key = {r.key: r for r in resources}
    by_attribute: dict[tuple[str, str, str], str] = {}
    for r in resources:
        for attribute, value in r.attributes.items():
            if isinstance(value, str):
                by_attribute.setdefault((r.kind, attribute, value), r.key)
    referable = [
        (other, spec.referenced_as, identifiers(other) - (set() if spec.referenced_by_name else {other.name}))
        for other in resources
        if (spec := KINDS.get(other.kind)) is not None and spec.referenced_as
    ]
    for resource in resources:
        spec = KINDS.get(resource.kind)
        if spec is None:
            continue
        values = [v for attribute in spec.references for v in _values(resource, attribute)]
        for other, relation, needles in referable:
            if other.key != resource.key and any(mentions(v, n) for v in values for n in needles):
                edges.append(Edge(source=resource.key, target=other.key, relation=str(relation)))
        for rel in spec.relations:
            for value in _values(resource, rel.attribute):
                target = by_attribute.get((rel.target, rel.match, value)) if rel.match else value
                if target is None or (rel.known_only and target not in by_key):
                    continue
                source, target = (target, resource.key) if rel.reverse else (resource.key, target)
                edges.append(Edge(source=source, target=target, relation=rel.relation))
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


def _referenced(text: str) -> list[Resource]:
    """Every resource a string refers to, of the kinds that can be known by reference."""
    found = []
    for name, spec in KINDS.items():
        ref = spec.from_reference(text) if spec.from_reference is not None else None
        if ref is not None:
            found.append(Resource(key=ref.key, kind=name, name=ref.name, attributes=dict(ref.attributes)))
    return found


def referenced_resources(resources: list[Resource], edges: Sequence[Edge] = ()) -> list[Resource]:
    """Resources a service's environment or secrets name (a secret's ARN, a queue's URL, a key's
    ARN), or that an edge leads to (a function's event source queue), which no enumeration
    found: known by reference, they become resources too."""
    known = {r.key for r in resources}
    values = [
        v
        for resource in resources
        if (spec := KINDS.get(resource.kind)) is not None
        for a in spec.references
        for v in _values(resource, a)
    ]
    found = []
    for value in [*values, *(e.target for e in edges if e.target not in known)]:
        for other in _referenced(value):
            if other.key not in known:
                known.add(other.key)
                found.append(other)
    return found


NAMED_IN_LOGS = "named_in_logs"


def resources_named(messages: list[str], resources: list[Resource]) -> list[Resource]:
    """Resources of kinds the account was not enumerated for, named by these log messages (the
    resource of a denied call): the evidence points at them, so they are candidates too."""
    known = {r.key for r in resources}
    found = []
    for message in messages:
        for other in _referenced(message):
            if other.key not in known:
                known.add(other.key)
                found.append(
                    other.model_copy(update={"attributes": {**other.attributes, NAMED_IN_LOGS: True}})
                )
    return found


def _dimensions(resource: Resource) -> dict[str, str]:
    spec = KINDS.get(resource.kind)
    return dict(spec.dimensions(resource)) if spec is not None and spec.dimensions is not None else {}


def _watched_by(resource: Resource, dims: dict[str, str]) -> bool:
    spec = KINDS.get(resource.kind)
    if spec is None or spec.identifying_dimension not in dims:
        return False
    own = _dimensions(resource)
    return own.get(spec.identifying_dimension) == dims[spec.identifying_dimension] and all(
        dims[name] == value for name, value in own.items() if name in dims
    )


def alarm_resources(alarm: AlarmInfo, resources: list[Resource]) -> list[Resource]:
    """The resources an alarm watches, from its dimensions: the most specific ones, so an alarm
    on a target group (TargetGroup and LoadBalancer) is about the group, not its load balancer."""
    found = [r for r in resources if _watched_by(r, alarm.dimensions)]
    names = {r.key: set(_dimensions(r)) for r in found}
    return [r for r in found if not any(names[r.key] < names[o.key] for o in found)]


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
        for edge in self.edges:
            # Not back along routing: the load balancer in front of an alarmed group is no cause.
            parent = edge.source
            if (
                edge.target in roots
                and edge.relation not in ROUTING
                and parent not in seen
                and parent in self.resources
            ):
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

    def edges_by_relation(self, *relations: str) -> list[Edge]:
        """The edges of these relations, in the order the relations are given."""
        return [e for relation in relations for e in self.edges if e.relation == relation]

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
