"""What a resource-kind spec declares. One module per kind in `evidence/kinds/` holds one KindSpec."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cloudwarden.evidence.model import Resource

Dimensions = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Metric:
    """A CloudWatch metric AWS publishes for the kind, read with this statistic.

    `harm`: +1 when its rise shows that users or work are hurt (5xx, the latency users see,
    errors, throttles, aged messages, failed checks), -1 when its fall does (healthy hosts); 0
    for load, utilisation and internal latency (a database's, a function's), which a busy but
    healthy resource shows too until its callers feel it.
    """

    namespace: str
    name: str
    stat: str
    harm: int = 0


@dataclass(frozen=True)
class Relation:
    """An edge from a resource of this kind, named by one of its attributes.

    The attribute's values are the other resource's key, or, with `match`, the value of that
    attribute of a resource of `target` kind. `reverse` points the edge at this resource (a
    target group routes to the service that names it). `known_only` drops values that name
    no resource in the evidence.
    """

    attribute: str
    relation: str
    target: str
    match: str | None = None
    reverse: bool = False
    known_only: bool = True


@dataclass(frozen=True)
class Reference:
    """A resource known only because something names it (an environment value, a denial)."""

    key: str
    name: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class KindSpec:
    name: str
    label: str  # how a sentence names it: "ECS service"
    # Attributes holding strings by which logs, events and changes name a resource of this kind.
    identifiers: tuple[str, ...] = ()
    extra_identifiers: Callable[[Resource], set[str]] | None = field(default=None, repr=False)
    # CloudWatch: the metrics the fault rules read, and the dimensions naming one resource. An
    # alarm watches the resource when it has the identifying dimension with the resource's value
    # and none of the resource's other dimensions disagrees.
    metrics: tuple[Metric, ...] = ()
    dimensions: Callable[[Resource], Dimensions] | None = field(default=None, repr=False)
    identifying_dimension: str | None = None
    relations: tuple[Relation, ...] = ()
    # Attributes whose values (environment variables, secret references) may name other resources.
    references: tuple[str, ...] = ()
    # The edge's relation when another resource's references name this one (None: never referenced).
    referenced_as: str | None = None
    # Whether its bare name counts as a reference (a database's name is too common a word).
    referenced_by_name: bool = True
    log_groups: Callable[[Resource], list[str]] | None = field(default=None, repr=False)
    # Recognises a reference to a resource of this kind (an ARN, a queue URL) in a string.
    from_reference: Callable[[str], Reference | None] | None = field(default=None, repr=False)
