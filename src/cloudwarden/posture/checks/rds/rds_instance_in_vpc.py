"""AWS FSBP RDS.18: RDS DB instances are deployed in a VPC (a DB subnet group with a VPC id);
an instance without one is an EC2-Classic instance."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbInstance, judge_instances
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_instance_in_vpc",
    title="RDS DB instances are deployed in a VPC",
    service="rds",
    severity=Severity.HIGH,
    resource_type="AWS::RDS::DBInstance",
    risk="Outside a VPC an instance has none of its network controls: no private subnets, security "
    "groups, network ACLs or VPC endpoints stand between it and other networks.",
    remediation=Remediation(
        summary="Move the instance into a VPC: give it a DB subnet group of private subnets.",
        cli="aws rds modify-db-instance --db-instance-identifier <DB> --db-subnet-group-name <SUBNET_GROUP> "
        "--apply-immediately",
        cloudformation="AWS::RDS::DBInstance DBSubnetGroupName: <SUBNET_GROUP>, VPCSecurityGroups: [<SG>]",
        terraform='resource "aws_db_instance" "this" {\n  db_subnet_group_name   = aws_db_subnet_group.private.name\n'
        "  vpc_security_group_ids = [aws_security_group.db.id]\n}",
    ),
    reads=("rds",),
    prowler_id="rds_instance_inside_vpc",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_instances(inventory, _judge)


def _judge(instance: DbInstance, region: str) -> Result:
    return Result.verdict(
        instance.vpc_id is not None,
        instance.arn,
        region,
        passed=f"the instance is in VPC {instance.vpc_id}",
        failed="the instance has no DB subnet group in a VPC (EC2-Classic)",
    )
