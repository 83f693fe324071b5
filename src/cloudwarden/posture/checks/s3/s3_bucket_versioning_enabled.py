from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.s3 import Bucket, S3Data, judge_buckets
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="s3_bucket_versioning_enabled",
    title="S3 buckets have versioning enabled",
    service="s3",
    severity=Severity.LOW,
    resource_type="AWS::S3::Bucket",
    risk="Without versioning, an overwrite or delete (by mistake, a faulty deploy or ransomware) "
    "destroys the only copy of an object.",
    remediation=Remediation(
        summary="Enable versioning on the bucket, with a lifecycle rule that expires old versions "
        "to bound the storage cost.",
        cli="aws s3api put-bucket-versioning --bucket <BUCKET> --versioning-configuration Status=Enabled",
        cloudformation="AWS::S3::Bucket VersioningConfiguration: {Status: Enabled}",
        terraform='resource "aws_s3_bucket_versioning" "this" {\n  bucket = aws_s3_bucket.this.id\n'
        '  versioning_configuration {\n    status = "Enabled"\n  }\n}',
    ),
    reads=("s3",),
    prowler_id="s3_bucket_object_versioning",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_buckets(inventory, _judge)


def _judge(bucket: Bucket, s3: S3Data, arn: str) -> Result:
    versioning = bucket.versioning
    if isinstance(versioning, Unknown):
        return Result.error(arn, bucket.region, versioning)
    state = "suspended" if versioning.status == "Suspended" else "never enabled"
    return Result.verdict(
        versioning.status == "Enabled",
        arn,
        bucket.region,
        passed="versioning is enabled on the bucket",
        failed=f"versioning is {state} on the bucket",
    )
