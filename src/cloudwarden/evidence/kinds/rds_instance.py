"""An RDS DB instance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudwarden.evidence.kinds._spec import KindSpec, Metric, Relation

if TYPE_CHECKING:
    from cloudwarden.evidence.model import Resource


def _log_groups(r: Resource) -> list[str]:
    """The logs it exports to CloudWatch Logs (postgresql, error, slowquery, ...)."""
    a = r.attributes
    return [str(g) for g in a.get("log_groups") or []] + [
        f"/aws/rds/instance/{a.get('identifier')}/{export}" for export in a.get("log_exports", [])
    ]


SPEC = KindSpec(
    name="rds_instance",
    label="RDS instance",
    identifiers=("identifier", "endpoint", "parameter_groups"),
    metrics=(
        Metric("AWS/RDS", "CPUUtilization", "Average"),
        Metric("AWS/RDS", "DatabaseConnections", "Maximum"),
        Metric("AWS/RDS", "FreeStorageSpace", "Minimum"),
        Metric("AWS/RDS", "ReadLatency", "Average"),
        Metric("AWS/RDS", "WriteLatency", "Average"),
    ),
    dimensions=lambda r: (("DBInstanceIdentifier", str(r.attributes.get("identifier"))),),
    identifying_dimension="DBInstanceIdentifier",
    relations=(Relation("security_groups", "attached-security-group", "security_group", match="group_id"),),
    referenced_as="env-reference",
    referenced_by_name=False,
    log_groups=_log_groups,
)
