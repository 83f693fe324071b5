from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbInstance, judge_instances
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_instance_deletion_protection",
    title="RDS DB instances have deletion protection enabled",
    service="rds",
    severity=Severity.LOW,
    resource_type="AWS::RDS::DBInstance",
    risk="Without deletion protection one API call, a console slip or an infrastructure-as-code "
    "change deletes the database, possibly with its automated backups.",
    remediation=Remediation(
        summary="Enable deletion protection; it must then be switched off deliberately before the "
        "instance can be deleted.",
        cli="aws rds modify-db-instance --db-instance-identifier <DB> --deletion-protection --apply-immediately",
        cloudformation="AWS::RDS::DBInstance DeletionProtection: true",
        terraform='resource "aws_db_instance" "this" {\n  deletion_protection = true\n}',
    ),
    reads=("rds",),
    prowler_id="rds_instance_deletion_protection",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_instances(inventory, _judge, "no DB instances outside clusters")


def _judge(instance: DbInstance, region: str) -> Result | None:
    if instance.cluster:  # protected at the cluster: rds_cluster_deletion_protection
        return None
    return Result.verdict(
        instance.deletion_protection,
        instance.arn,
        region,
        passed="deletion protection is enabled",
        failed="deletion protection is disabled",
    )
