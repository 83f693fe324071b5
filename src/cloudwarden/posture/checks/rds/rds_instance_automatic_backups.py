from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbInstance, judge_instances
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

MIN_RETENTION_DAYS = 7  # AWS Security Hub's default for RDS.11

METADATA = CheckMetadata(
    id="rds_instance_automatic_backups",
    title=f"RDS DB instances keep automatic backups for at least {MIN_RETENTION_DAYS} days",
    service="rds",
    severity=Severity.MEDIUM,
    resource_type="AWS::RDS::DBInstance",
    risk="Without automatic backups (or with a very short retention) there is no point-in-time "
    "restore after corruption, a bad migration or ransomware discovered a few days late.",
    remediation=Remediation(
        summary=f"Set the backup retention period to at least {MIN_RETENTION_DAYS} days; 0 turns "
        "automatic backups off.",
        cli=f"aws rds modify-db-instance --db-instance-identifier <DB> --backup-retention-period "
        f"{MIN_RETENTION_DAYS} --apply-immediately",
        cloudformation=f"AWS::RDS::DBInstance BackupRetentionPeriod: {MIN_RETENTION_DAYS}",
        terraform=f'resource "aws_db_instance" "this" {{\n  backup_retention_period = {MIN_RETENTION_DAYS}\n}}',
    ),
    reads=("rds",),
    prowler_id="rds_instance_backup_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_instances(inventory, _judge, "no DB instances outside clusters other than read replicas")


def _judge(instance: DbInstance, region: str) -> Result | None:
    if instance.cluster or instance.replica_of:  # backed up by the cluster, or by the source
        return None
    days = instance.backup_retention_days
    failed = (
        "automatic backups are off (retention 0 days)"
        if days == 0
        else f"automatic backups are kept {days} day(s), fewer than {MIN_RETENTION_DAYS}"
    )
    return Result.verdict(
        days >= MIN_RETENTION_DAYS,
        instance.arn,
        region,
        passed=f"automatic backups are kept {days} days",
        failed=failed,
    )
