from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.s3 import Bucket, S3Data, judge_buckets
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="s3_bucket_versioned_lifecycle_configured",
    title="Versioned S3 buckets have a lifecycle configuration",
    service="s3",
    severity=Severity.MEDIUM,
    resource_type="AWS::S3::Bucket",
    risk="A versioned bucket keeps every overwritten and deleted object as a noncurrent version; "
    "without a lifecycle rule they accumulate without limit, in cost and in exposure.",
    remediation=Remediation(
        summary="Add a lifecycle rule that expires noncurrent versions (and incomplete uploads) after the "
        "retention the data needs.",
        cli="aws s3api put-bucket-lifecycle-configuration --bucket <BUCKET> --lifecycle-configuration "
        '\'{"Rules":[{"ID":"old-versions","Status":"Enabled","Filter":{},'
        '"NoncurrentVersionExpiration":{"NoncurrentDays":90}}]}\'',
        cloudformation="AWS::S3::Bucket LifecycleConfiguration: {Rules: [{Status: Enabled, NoncurrentVersionExpiration: "
        "{NoncurrentDays: 90}}]}",
        terraform='resource "aws_s3_bucket_lifecycle_configuration" "this" {\n'
        "  bucket = aws_s3_bucket.this.id\n"
        "  rule {\n"
        '    id     = "old-versions"\n'
        '    status = "Enabled"\n'
        "    noncurrent_version_expiration {\n"
        "      noncurrent_days = 90\n"
        "    }\n"
        "  }\n"
        "}",
    ),
    reads=("s3",),
    prowler_id=None,
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_buckets(inventory, _judge, "the account has no versioning-enabled S3 buckets")


def _judge(bucket: Bucket, s3: S3Data, arn: str) -> Result | None:
    versioning, rules = bucket.versioning, bucket.management.lifecycle_rules
    if isinstance(versioning, Unknown):
        return Result.error(arn, bucket.region, versioning)
    if versioning.status != "Enabled":
        return None
    if isinstance(rules, Unknown):
        return Result.error(arn, bucket.region, rules)
    return Result.verdict(
        rules > 0,
        arn,
        bucket.region,
        passed=f"versioning is on and {rules} enabled lifecycle rule(s) manage the versions",
        failed="versioning is on and no enabled lifecycle rule: noncurrent versions are kept forever",
    )
