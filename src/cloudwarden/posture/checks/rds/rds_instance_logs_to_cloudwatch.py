from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbInstance, judge_instances
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

# The logs AWS Security Hub (RDS.9) expects each engine family to publish to CloudWatch Logs.
REQUIRED_LOGS: dict[str, tuple[str, ...]] = {
    "oracle": ("alert", "audit", "trace", "listener"),
    "postgres": ("postgresql", "upgrade"),
    "mysql": ("audit", "error", "general", "slowquery"),
    "mariadb": ("audit", "error", "general", "slowquery"),
    "sqlserver": ("error", "agent"),
    "sqlserver-ex": ("error",),  # Express edition has no SQL Server Agent
}

METADATA = CheckMetadata(
    id="rds_instance_logs_to_cloudwatch",
    title="RDS DB instances publish their database logs to CloudWatch Logs",
    service="rds",
    severity=Severity.MEDIUM,
    resource_type="AWS::RDS::DBInstance",
    risk="Logs kept only on the instance rotate away within days and vanish with it; failed logins, "
    "privilege changes and suspicious queries are then lost to alerting and investigation.",
    remediation=Remediation(
        summary="Export the engine's audit, error and activity logs to CloudWatch Logs (enable the "
        "matching parameters or audit option on the instance first).",
        cli="aws rds modify-db-instance --db-instance-identifier <DB> --cloudwatch-logs-export-configuration "
        '\'{"EnableLogTypes":["postgresql","upgrade"]}\' --apply-immediately  # the log types of the engine',
        cloudformation="AWS::RDS::DBInstance EnableCloudwatchLogsExports: [postgresql, upgrade]  # per engine",
        terraform='resource "aws_db_instance" "this" {\n'
        '  enabled_cloudwatch_logs_exports = ["postgresql", "upgrade"] # per engine\n}',
    ),
    reads=("rds",),
    prowler_id="rds_instance_integration_cloudwatch_logs",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_instances(inventory, _judge, "no Oracle, PostgreSQL, MySQL, MariaDB or SQL Server instances")


def required(engine: str) -> tuple[str, ...] | None:
    if engine in REQUIRED_LOGS:
        return REQUIRED_LOGS[engine]
    family = engine.split("-")[0]
    return REQUIRED_LOGS.get(family)


def _judge(instance: DbInstance, region: str) -> Result | None:
    logs = required(instance.engine)
    if instance.cluster or logs is None:  # clusters export their own logs; other engines differ
        return None
    missing = [log for log in logs if log not in instance.log_exports]
    return Result.verdict(
        not missing,
        instance.arn,
        region,
        passed=f"the {instance.engine} logs {', '.join(logs)} are published to CloudWatch Logs",
        failed=f"{instance.engine} logs not published to CloudWatch Logs: {', '.join(missing)}",
    )
