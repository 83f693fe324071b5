from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.s3 import Bucket, S3Data, judge_buckets
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="s3_bucket_event_notifications_enabled",
    title="S3 buckets send event notifications",
    service="s3",
    severity=Severity.MEDIUM,
    resource_type="AWS::S3::Bucket",
    risk="Without event notifications nothing learns in time that objects were created, overwritten or "
    "deleted: a bulk deletion or an unexpected upload goes unnoticed until someone looks.",
    remediation=Remediation(
        summary="Send the bucket's object events to EventBridge (or an SNS topic, SQS queue or Lambda "
        "function) that alerts or records them.",
        cli="aws s3api put-bucket-notification-configuration --bucket <BUCKET> "
        "--notification-configuration '{\"EventBridgeConfiguration\":{}}'",
        cloudformation="AWS::S3::Bucket NotificationConfiguration: {EventBridgeConfiguration: {EventBridgeEnabled: true}}",
        terraform='resource "aws_s3_bucket_notification" "this" {\n'
        "  bucket      = aws_s3_bucket.this.id\n"
        "  eventbridge = true\n"
        "}",
    ),
    reads=("s3",),
    prowler_id="s3_bucket_event_notifications_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_buckets(inventory, _judge)


def _judge(bucket: Bucket, s3: S3Data, arn: str) -> Result:
    destinations = bucket.management.notifications
    if isinstance(destinations, Unknown):
        return Result.error(arn, bucket.region, destinations)
    return Result.verdict(
        bool(destinations),
        arn,
        bucket.region,
        passed=f"object events are sent to {', '.join(destinations)}",
        failed="no event notification is configured",
    )
