"""An application load balancer."""

from __future__ import annotations

from cloudwarden.evidence.kinds._spec import KindSpec, Relation

SPEC = KindSpec(
    name="load_balancer",
    label="load balancer",
    identifiers=("dimension",),
    dimensions=lambda r: (("LoadBalancer", str(r.attributes.get("dimension"))),),
    identifying_dimension="LoadBalancer",
    relations=(Relation("security_groups", "attached-security-group", "security_group", match="group_id"),),
)
