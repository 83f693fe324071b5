"""An EC2 instance (its key is its instance id)."""

from __future__ import annotations

from cloudwarden.evidence.kinds._spec import KindSpec, Metric, Relation

SPEC = KindSpec(
    name="ec2_instance",
    label="EC2 instance",
    identifiers=("private_ip", "private_dns"),
    metrics=(
        Metric("AWS/EC2", "CPUUtilization", "Average"),
        Metric("AWS/EC2", "StatusCheckFailed", "Maximum", harm=1),
        Metric("AWS/EC2", "StatusCheckFailed_System", "Maximum", harm=1),
        Metric("AWS/EC2", "StatusCheckFailed_Instance", "Maximum", harm=1),
    ),
    dimensions=lambda r: (("InstanceId", r.key),),
    identifying_dimension="InstanceId",
    relations=(Relation("security_groups", "attached-security-group", "security_group", match="group_id"),),
    referenced_as="env-reference",
)
