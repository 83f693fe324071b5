"""CIS AWS Foundations v3.0 3.4: the S3 bucket that receives CloudTrail logs has server access
logging enabled."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.cloudtrail import judged_trails
from cloudwarden.posture.collectors.s3 import S3Data
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
    trails, unread = judged_trails(inventory)
    for region, why in unread:
        yield Result.error(inventory.region_arn("cloudtrail", region), region, why)
    by_bucket: dict[str, list[str]] = {}
    for trail in trails:
        if trail.s3_bucket:
            by_bucket.setdefault(trail.s3_bucket, []).append(trail.name)
    if not by_bucket:
        if not unread:
            yield Result.not_applicable(inventory.account_arn, "global", "no CloudTrail trail delivers to S3")
        return
    s3 = inventory.account("s3")
    for name, trail_names in sorted(by_bucket.items()):
        arn = f"arn:{inventory.partition}:s3:::{name}"
        which = f"bucket {name} (trail {', '.join(trail_names)})"
        if not isinstance(s3, S3Data):
            yield Result.error(
                arn, "global", s3 if isinstance(s3, Unknown) else "the S3 inventory is unreadable"
            )
            continue
        bucket = next((b for b in s3.buckets if b.name == name), None)
        if bucket is None:
            reason = f"{which} is not in this account: judge its access logging in the account that owns it"
            yield Result.not_applicable(arn, "global", reason)
            continue
        if isinstance(bucket.logging_target, Unknown):
            yield Result.error(arn, bucket.region, bucket.logging_target)
            continue
        yield Result.verdict(
            bucket.logging_target is not None,
            arn,
            bucket.region,
            passed=f"{which} logs its access to bucket {bucket.logging_target}",
            failed=f"{which} does not have server access logging enabled",
        )
