"""An application load balancer."""

from __future__ import annotations

from cloudwarden.evidence.kinds._spec import KindSpec, Metric, Relation

SPEC = KindSpec(
    name="load_balancer",
    label="load balancer",
    identifiers=("dimension",),
    # The 5xx it answers itself (no healthy target, a target that reset the connection).
    metrics=(Metric("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", harm=1),),
    dimensions=lambda r: (("LoadBalancer", str(r.attributes.get("dimension"))),),
    identifying_dimension="LoadBalancer",
    relations=(Relation("security_groups", "attached-security-group", "security_group", match="group_id"),),
)
