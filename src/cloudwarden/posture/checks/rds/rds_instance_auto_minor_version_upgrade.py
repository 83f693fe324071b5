from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbInstance, judge_instances
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_instance_auto_minor_version_upgrade",
    title="RDS DB instances apply minor engine upgrades automatically",
    service="rds",
    severity=Severity.MEDIUM,
    resource_type="AWS::RDS::DBInstance",
    risk="Minor versions carry the engine's security fixes; an instance that never takes them keeps "
    "running with known, published vulnerabilities.",
    remediation=Remediation(
        summary="Enable auto minor version upgrade; the upgrades are applied in the instance's "
        "maintenance window.",
        cli="aws rds modify-db-instance --db-instance-identifier <DB> --auto-minor-version-upgrade "
        "--apply-immediately",
        cloudformation="AWS::RDS::DBInstance AutoMinorVersionUpgrade: true",
        terraform='resource "aws_db_instance" "this" {\n  auto_minor_version_upgrade = true\n}',
    ),
    reads=("rds",),
    prowler_id="rds_instance_minor_version_upgrade_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_instances(inventory, _judge)


def _judge(instance: DbInstance, region: str) -> Result:
    return Result.verdict(
        instance.auto_minor_version_upgrade,
        instance.arn,
        region,
        passed="auto minor version upgrade is enabled",
        failed="auto minor version upgrade is disabled",
    )
