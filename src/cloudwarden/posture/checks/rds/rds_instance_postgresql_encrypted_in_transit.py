"""AWS FSBP RDS.38: RDS for PostgreSQL DB instances force TLS (rds.force_ssl = 1 in their DB
parameter group). Instances in a DB cluster are not judged, as in Security Hub."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbInstance, judge_instances, judge_transit
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_instance_postgresql_encrypted_in_transit",
    title="RDS for PostgreSQL DB instances force TLS on client connections (rds.force_ssl)",
    service="rds",
    severity=Severity.MEDIUM,
    resource_type="AWS::RDS::DBInstance",
    risk="Without rds.force_ssl a client can connect in clear text, and credentials and query results "
    "cross the network readable by anyone on the path.",
    remediation=Remediation(
        summary="Set rds.force_ssl to 1 in a custom DB parameter group and attach it to the instance "
        "(a default parameter group cannot be changed).",
        cli="aws rds modify-db-parameter-group --db-parameter-group-name <GROUP> --parameters "
        '"ParameterName=rds.force_ssl,ParameterValue=1,ApplyMethod=immediate"',
        cloudformation="AWS::RDS::DBParameterGroup Parameters: {rds.force_ssl: 1}",
        terraform='resource "aws_db_parameter_group" "this" {\n'
        '  parameter {\n    name  = "rds.force_ssl"\n    value = "1"\n  }\n}',
    ),
    reads=("rds",),
    # Prowler's rds_instance_transport_encrypted also judges MySQL, SQL Server and clusters.
    prowler_id="rds_instance_transport_encrypted",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_instances(inventory, _judge, "no RDS for PostgreSQL DB instances outside clusters")


def _judge(instance: DbInstance, region: str) -> Result | None:
    if instance.engine != "postgres" or instance.cluster:
        return None
    return judge_transit(instance, region, "rds.force_ssl")
