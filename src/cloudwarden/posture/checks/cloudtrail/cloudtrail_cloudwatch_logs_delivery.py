"""AWS FSBP CloudTrail.5: trails deliver to CloudWatch Logs, and did so recently."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from cloudwarden.posture.collectors.cloudtrail import Trail, trail_results
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

MAX_DELIVERY_AGE = timedelta(days=1)

METADATA = CheckMetadata(
    id="cloudtrail_cloudwatch_logs_delivery",
    title="CloudTrail trails deliver events to CloudWatch Logs, within the last day",
    service="cloudtrail",
    severity=Severity.LOW,
    resource_type="AWS::CloudTrail::Trail",
    risk="Events that only reach S3 cannot feed metric filters and alarms, so suspicious activity "
    "is found late or never; a delivery that stopped (a broken role) is just as blind.",
    remediation=Remediation(
        summary="Send the trail to a CloudWatch Logs log group through a role CloudTrail can assume "
        "with logs:CreateLogStream and logs:PutLogEvents.",
        cli="aws cloudtrail update-trail --name <TRAIL> --cloud-watch-logs-log-group-arn <LOG_GROUP_ARN> "
        "--cloud-watch-logs-role-arn <ROLE_ARN>",
        cloudformation="AWS::CloudTrail::Trail CloudWatchLogsLogGroupArn: <log group ARN>, "
        "CloudWatchLogsRoleArn: <role ARN>",
        terraform='aws_cloudtrail cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.trail.arn}:*", '
        "cloud_watch_logs_role_arn = aws_iam_role.trail.arn",
    ),
    reads=("cloudtrail",),
    prowler_id="cloudtrail_cloudwatch_logging_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return trail_results(inventory, _verdict)


def _verdict(trail: Trail) -> Result:
    region = trail.home_region
    if not trail.log_group_arn:
        return Result.failed(trail.arn, region, f"trail {trail.name} does not deliver to CloudWatch Logs")
    if isinstance(trail.status, Unknown):
        return Result.error(trail.arn, region, trail.status)
    last = trail.status.latest_cloudwatch_delivery
    if last is None:
        error = trail.status.latest_cloudwatch_error
        return Result.failed(
            trail.arn,
            region,
            f"trail {trail.name} has never delivered to CloudWatch Logs" + (f" ({error})" if error else ""),
        )
    age = datetime.now(UTC) - last
    return Result.verdict(
        age <= MAX_DELIVERY_AGE,
        trail.arn,
        region,
        passed=f"trail {trail.name} delivered to CloudWatch Logs at {last:%Y-%m-%d %H:%M} UTC",
        failed=f"trail {trail.name} last delivered to CloudWatch Logs {age.days} day(s) ago",
    )
