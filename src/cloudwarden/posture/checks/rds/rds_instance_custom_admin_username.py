from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DEFAULT_ADMIN_USERNAMES, DbInstance, judge_instances
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_instance_custom_admin_username",
    title="RDS DB instances use a custom administrator username",
    service="rds",
    severity=Severity.MEDIUM,
    resource_type="AWS::RDS::DBInstance",
    risk="With the engine's default administrator name (admin, postgres) an attacker who reaches "
    "the endpoint needs to guess only the password.",
    remediation=Remediation(
        summary="Create a new instance (from a snapshot, or by replication) with a custom master "
        "username; the master username cannot be changed on an existing instance.",
        cli="aws rds create-db-instance --db-instance-identifier <NEW> --master-username <CUSTOM> ...",
        cloudformation="AWS::RDS::DBInstance MasterUsername: <NOT admin OR postgres>",
        terraform='resource "aws_db_instance" "this" {\n  username = "<not admin or postgres>"\n}',
    ),
    reads=("rds",),
    prowler_id="rds_instance_default_admin",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_instances(inventory, _judge, "no DB instances outside clusters")


def _judge(instance: DbInstance, region: str) -> Result | None:
    if instance.cluster or instance.replica_of:  # the cluster's (or the source's) administrator
        return None
    return Result.verdict(
        instance.master_username not in DEFAULT_ADMIN_USERNAMES,
        instance.arn,
        region,
        passed="the instance's administrator username is not a default one",
        failed=f"the instance's administrator username is the default {instance.master_username!r}",
    )
