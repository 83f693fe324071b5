"""AWS FSBP CloudWatch.16: log groups keep their events for at least a year."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.logs import LogGroup
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

MIN_RETENTION_DAYS = 365

METADATA = CheckMetadata(
    id="logs_log_group_retention_365_days",
    title="CloudWatch Logs log groups retain events for at least 365 days",
    service="logs",
    severity=Severity.MEDIUM,
    resource_type="AWS::Logs::LogGroup",
    risk="Intrusions are often found months later; logs that expired before then leave the "
    "investigation without the record of what happened.",
    remediation=Remediation(
        summary="Set the log group's retention to 365 days or more (or never expire).",
        cli="aws logs put-retention-policy --log-group-name <LOG_GROUP> --retention-in-days 365",
        cloudformation="AWS::Logs::LogGroup RetentionInDays: 365",
        terraform="aws_cloudwatch_log_group retention_in_days = 365",
    ),
    reads=("logs",),
    prowler_id="cloudwatch_log_group_retention_policy_specific_days_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_each(inventory, "logs", lambda data: data.log_groups, _judge, "no log groups")


def _judge(group: LogGroup, region: str) -> Result:
    days = group.retention_days
    return Result.verdict(
        days is None or days >= MIN_RETENTION_DAYS,
        group.arn,
        region,
        passed=f"log group {group.name} keeps events " + ("forever" if days is None else f"for {days} days"),
        failed=f"log group {group.name} keeps events for only {days} days (under {MIN_RETENTION_DAYS})",
    )
