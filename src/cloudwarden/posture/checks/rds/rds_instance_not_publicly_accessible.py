from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbInstance, judge_instances
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_instance_not_publicly_accessible",
    title="RDS DB instances are not publicly accessible",
    service="rds",
    severity=Severity.CRITICAL,
    resource_type="AWS::RDS::DBInstance",
    risk="A publicly accessible instance gets a public IP address and a DNS name that resolves to "
    "it; one permissive security group rule then exposes the database to the internet.",
    remediation=Remediation(
        summary="Turn off public accessibility and reach the database from inside the VPC (VPN, "
        "bastion, or AWS Systems Manager port forwarding).",
        cli="aws rds modify-db-instance --db-instance-identifier <DB> --no-publicly-accessible "
        "--apply-immediately",
        cloudformation="AWS::RDS::DBInstance PubliclyAccessible: false",
        terraform='resource "aws_db_instance" "this" {\n  publicly_accessible = false\n}',
    ),
    reads=("rds",),
    prowler_id="rds_instance_no_public_access",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_instances(inventory, _judge)


def _judge(instance: DbInstance, region: str) -> Result:
    return Result.verdict(
        not instance.publicly_accessible,
        instance.arn,
        region,
        passed="the DB instance is not publicly accessible",
        failed="the DB instance is publicly accessible",
    )
