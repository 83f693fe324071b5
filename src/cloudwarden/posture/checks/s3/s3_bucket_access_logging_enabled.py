from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.s3 import Bucket, S3Data, judge_buckets
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="s3_bucket_access_logging_enabled",
    title="S3 buckets have server access logging enabled",
    service="s3",
    severity=Severity.MEDIUM,
    resource_type="AWS::S3::Bucket",
    risk="Without access logs there is no record of who read, wrote or deleted which object, so a "
    "leak or tampering cannot be investigated or scoped.",
    remediation=Remediation(
        summary="Enable server access logging to a separate log bucket that grants the S3 logging "
        "service write access.",
        cli="aws s3api put-bucket-logging --bucket <BUCKET> --bucket-logging-status "
        '\'{"LoggingEnabled":{"TargetBucket":"<LOG_BUCKET>","TargetPrefix":"<BUCKET>/"}}\'',
        cloudformation="AWS::S3::Bucket LoggingConfiguration: {DestinationBucketName: <LOG_BUCKET>, "
        "LogFilePrefix: <BUCKET>/}",
        terraform='resource "aws_s3_bucket_logging" "this" {\n  bucket        = aws_s3_bucket.this.id\n'
        '  target_bucket = "<LOG_BUCKET>"\n  target_prefix = "<BUCKET>/"\n}',
    ),
    reads=("s3",),
    prowler_id="s3_bucket_server_access_logging_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_buckets(inventory, _judge)


def _judge(bucket: Bucket, s3: S3Data, arn: str) -> Result:
    target = bucket.logging_target
    if isinstance(target, Unknown):
        return Result.error(arn, bucket.region, target)
    return Result.verdict(
        target is not None,
        arn,
        bucket.region,
        passed=f"server access logs are delivered to bucket {target}",
        failed="server access logging is off for the bucket",
    )
