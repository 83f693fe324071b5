from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.s3 import Bucket, S3Data, judge_buckets
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="s3_bucket_lifecycle_configured",
    title="S3 buckets have a lifecycle configuration",
    service="s3",
    severity=Severity.LOW,
    resource_type="AWS::S3::Bucket",
    risk="Without lifecycle rules, old objects, old versions and unfinished uploads are kept forever: "
    "data that should have expired stays exposed to every future leak, and costs money.",
    remediation=Remediation(
        summary="Add lifecycle rules that expire or transition objects, noncurrent versions and incomplete "
        "multipart uploads after the retention the data needs.",
        cli="aws s3api put-bucket-lifecycle-configuration --bucket <BUCKET> --lifecycle-configuration "
        '\'{"Rules":[{"ID":"expire","Status":"Enabled","Filter":{},"Expiration":{"Days":365}}]}\'',
        cloudformation="AWS::S3::Bucket LifecycleConfiguration: {Rules: [{Status: Enabled, ExpirationInDays: 365}]}",
        terraform='resource "aws_s3_bucket_lifecycle_configuration" "this" {\n'
        "  bucket = aws_s3_bucket.this.id\n"
        "  rule {\n"
        '    id     = "expire"\n'
        '    status = "Enabled"\n'
        "    expiration {\n"
        "      days = 365\n"
        "    }\n"
        "  }\n"
        "}",
    ),
    reads=("s3",),
    prowler_id="s3_bucket_lifecycle_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_buckets(inventory, _judge)


def _judge(bucket: Bucket, s3: S3Data, arn: str) -> Result:
    rules = bucket.management.lifecycle_rules
    if isinstance(rules, Unknown):
        return Result.error(arn, bucket.region, rules)
    return Result.verdict(
        rules > 0,
        arn,
        bucket.region,
        passed=f"{rules} enabled lifecycle rule(s)",
        failed="no enabled lifecycle rule",
    )
