"""AWS FSBP RDS.36: RDS for PostgreSQL DB instances publish their logs to CloudWatch Logs.

The rule's logTypesToPublish defaults to "postgresql" only; rds_instance_logs_to_cloudwatch (RDS.9)
asks more of the same instances (postgresql and upgrade), so an instance exporting postgresql alone
passes this control and fails that one, as in Security Hub.
"""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.rds import DbInstance, judge_instances
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="rds_instance_postgresql_logs",
    title="RDS for PostgreSQL DB instances publish the postgresql log to CloudWatch Logs",
    service="rds",
    severity=Severity.MEDIUM,
    resource_type="AWS::RDS::DBInstance",
    risk="The postgresql log holds connection attempts, errors and (with pgaudit) statements; kept only "
    "on the instance it rotates away within days and vanishes with the instance.",
    remediation=Remediation(
        summary="Export the postgresql log of the instance to CloudWatch Logs.",
        cli="aws rds modify-db-instance --db-instance-identifier <DB> --cloudwatch-logs-export-configuration "
        '\'{"EnableLogTypes":["postgresql"]}\' --apply-immediately',
        cloudformation="AWS::RDS::DBInstance EnableCloudwatchLogsExports: [postgresql]",
        terraform='resource "aws_db_instance" "this" {\n  enabled_cloudwatch_logs_exports = ["postgresql"]\n}',
    ),
    reads=("rds",),
    # Prowler has no PostgreSQL-specific check; rds_instance_logs_to_cloudwatch carries the
    # comparison with its rds_instance_integration_cloudwatch_logs.
    prowler_id=None,
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_instances(inventory, _judge, "no RDS for PostgreSQL DB instances outside clusters")


def _judge(instance: DbInstance, region: str) -> Result | None:
    if instance.engine != "postgres" or instance.cluster:  # a Multi-AZ DB cluster exports its own logs
        return None
    return Result.verdict(
        "postgresql" in instance.log_exports,
        instance.arn,
        region,
        passed="the postgresql log is published to CloudWatch Logs",
        failed="the postgresql log is not published to CloudWatch Logs",
    )
