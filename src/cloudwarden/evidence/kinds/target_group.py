"""An ELBv2 target group: the load balancer's route to one service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudwarden.aws.arns import dimension_value
from cloudwarden.evidence.kinds._spec import Dimensions, KindSpec, Metric, Relation

if TYPE_CHECKING:
    from cloudwarden.evidence.model import Resource


def _dimensions(r: Resource) -> Dimensions:
    balancers = r.attributes.get("load_balancers") or []
    dims = [("TargetGroup", str(r.attributes.get("dimension")))]
    if balancers:
        dims.append(("LoadBalancer", dimension_value(str(balancers[0]))))
    return tuple(dims)


SPEC = KindSpec(
    name="target_group",
    label="target group",
    identifiers=("dimension",),
    metrics=(
        Metric("AWS/ApplicationELB", "RequestCount", "Sum"),
        Metric("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", harm=1),
        Metric("AWS/ApplicationELB", "TargetResponseTime", "Average", harm=1),
        # Targets failing the group's health check; the load balancer answers 502/503 itself
        # (HTTPCode_ELB_5XX_Count, its load balancer's) once none is left healthy.
        Metric("AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", harm=1),
        Metric("AWS/ApplicationELB", "HealthyHostCount", "Minimum", harm=-1),
    ),
    dimensions=_dimensions,
    # The load balancers that route to it (the group-to-service edge is the service's relation).
    relations=(Relation("load_balancers", "routes-to", "load_balancer", reverse=True),),
    identifying_dimension="TargetGroup",
)
