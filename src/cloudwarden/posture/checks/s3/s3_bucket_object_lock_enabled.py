from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.s3 import Bucket, S3Data, judge_buckets
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="s3_bucket_object_lock_enabled",
    title="S3 buckets have Object Lock enabled",
    service="s3",
    severity=Severity.MEDIUM,
    resource_type="AWS::S3::Bucket",
    risk="Without Object Lock, anyone who gains delete rights (or ransomware using stolen credentials) "
    "can erase objects and every version of them; a lock keeps them for a set retention.",
    remediation=Remediation(
        summary="Enable Object Lock with a default retention. An existing bucket needs versioning first "
        "(and AWS Support for buckets made before November 2023).",
        cli="aws s3api put-object-lock-configuration --bucket <BUCKET> --object-lock-configuration "
        '\'{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":30}}}\'',
        cloudformation="AWS::S3::Bucket ObjectLockEnabled: true, ObjectLockConfiguration: {ObjectLockEnabled: Enabled, "
        "Rule: {DefaultRetention: {Mode: GOVERNANCE, Days: 30}}}",
        terraform='resource "aws_s3_bucket_object_lock_configuration" "this" {\n'
        "  bucket = aws_s3_bucket.this.id\n"
        "  rule {\n"
        "    default_retention {\n"
        '      mode = "GOVERNANCE"\n'
        "      days = 30\n"
        "    }\n"
        "  }\n"
        "}",
    ),
    reads=("s3",),
    prowler_id="s3_bucket_object_lock",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_buckets(inventory, _judge)


def _judge(bucket: Bucket, s3: S3Data, arn: str) -> Result:
    locked = bucket.management.object_lock
    if isinstance(locked, Unknown):
        return Result.error(arn, bucket.region, locked)
    return Result.verdict(
        locked,
        arn,
        bucket.region,
        passed="Object Lock is enabled",
        failed="Object Lock is not enabled",
    )
