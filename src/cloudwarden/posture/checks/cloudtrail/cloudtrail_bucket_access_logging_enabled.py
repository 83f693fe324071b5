"""CIS AWS Foundations v3.0 3.4: the S3 bucket that receives CloudTrail logs has server access
logging enabled."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.cloudtrail import judge_trail_buckets
from cloudwarden.posture.collectors.s3 import Bucket, S3Data
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="cloudtrail_bucket_access_logging_enabled",
    title="The S3 buckets that receive CloudTrail logs have server access logging enabled",
    service="cloudtrail",
    severity=Severity.MEDIUM,
    resource_type="AWS::S3::Bucket",
    risk="The trail records API calls, not who read or deleted its log files; without access "
    "logging on the trail's bucket, tampering with the audit record itself leaves no trace.",
    remediation=Remediation(
        summary="Enable server access logging on the trail's bucket, to a separate bucket that "
        "the trail's readers cannot modify.",
        cli="aws s3api put-bucket-logging --bucket <TRAIL_BUCKET> --bucket-logging-status "
        '\'{"LoggingEnabled":{"TargetBucket":"<ACCESS_LOG_BUCKET>","TargetPrefix":"cloudtrail/"}}\'',
        cloudformation="AWS::S3::Bucket LoggingConfiguration: {DestinationBucketName: <access log bucket>, "
        "LogFilePrefix: cloudtrail/}",
        terraform="aws_s3_bucket_logging bucket = <trail bucket>, target_bucket = <access log bucket>",
    ),
    reads=("cloudtrail", "s3"),
    prowler_id="cloudtrail_logs_s3_bucket_access_logging_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_trail_buckets(inventory, _judge, "its access logging")


def _judge(bucket: Bucket, s3: S3Data, arn: str, which: str) -> Result:
    if isinstance(bucket.logging_target, Unknown):
        return Result.error(arn, bucket.region, bucket.logging_target)
    return Result.verdict(
        bucket.logging_target is not None,
        arn,
        bucket.region,
        passed=f"{which} logs its access to bucket {bucket.logging_target}",
        failed=f"{which} does not have server access logging enabled",
    )
