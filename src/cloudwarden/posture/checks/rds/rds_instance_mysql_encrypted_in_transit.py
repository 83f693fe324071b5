"""AWS FSBP RDS.39: RDS for MySQL DB instances force TLS (require_secure_transport = 1 in their
DB parameter group). Instances in a DB cluster are not judged, as in Security Hub."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbInstance, judge_instances, judge_transit
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_instance_mysql_encrypted_in_transit",
    title="RDS for MySQL DB instances force TLS on client connections (require_secure_transport)",
    service="rds",
    severity=Severity.MEDIUM,
    resource_type="AWS::RDS::DBInstance",
    risk="Without require_secure_transport a client can connect in clear text, and credentials and "
    "query results cross the network readable by anyone on the path.",
    remediation=Remediation(
        summary="Set require_secure_transport to 1 in a custom DB parameter group and attach it to the "
        "instance (a default parameter group cannot be changed).",
        cli="aws rds modify-db-parameter-group --db-parameter-group-name <GROUP> --parameters "
        '"ParameterName=require_secure_transport,ParameterValue=1,ApplyMethod=immediate"',
        cloudformation="AWS::RDS::DBParameterGroup Parameters: {require_secure_transport: 1}",
        terraform='resource "aws_db_parameter_group" "this" {\n'
        '  parameter {\n    name  = "require_secure_transport"\n    value = "1"\n  }\n}',
    ),
    reads=("rds",),
    # Prowler's single rds_instance_transport_encrypted covers RDS.38 and RDS.39; it is compared
    # through rds_instance_postgresql_encrypted_in_transit.
    prowler_id=None,
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_instances(inventory, _judge, "no RDS for MySQL DB instances outside clusters")


def _judge(instance: DbInstance, region: str) -> Result | None:
    if instance.engine != "mysql" or instance.cluster:
        return None
    return judge_transit(instance, region, "require_secure_transport")
