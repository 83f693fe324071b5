from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbInstance, judge_instances
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_instance_multi_az",
    title="RDS DB instances are deployed in multiple Availability Zones",
    service="rds",
    severity=Severity.MEDIUM,
    resource_type="AWS::RDS::DBInstance",
    risk="A Single-AZ instance is unavailable for as long as its Availability Zone or host fails, "
    "and during some maintenance; there is no standby to fail over to.",
    remediation=Remediation(
        summary="Convert the instance to a Multi-AZ deployment (a standby in another zone with "
        "synchronous replication and automatic failover).",
        cli="aws rds modify-db-instance --db-instance-identifier <DB> --multi-az --apply-immediately",
        cloudformation="AWS::RDS::DBInstance MultiAZ: true",
        terraform='resource "aws_db_instance" "this" {\n  multi_az = true\n}',
    ),
    reads=("rds",),
    prowler_id="rds_instance_multi_az",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_instances(inventory, _judge, "no DB instances outside clusters")


def _judge(instance: DbInstance, region: str) -> Result | None:
    if instance.cluster:  # a cluster's availability comes from its members across zones
        return None
    return Result.verdict(
        instance.multi_az,
        instance.arn,
        region,
        passed="the DB instance is a Multi-AZ deployment",
        failed="the DB instance runs in a single Availability Zone",
    )
