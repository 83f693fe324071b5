from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.s3 import Bucket, S3Data, judge_buckets
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="s3_bucket_acls_disabled",
    title="S3 buckets have ACLs disabled (bucket owner enforced)",
    service="s3",
    severity=Severity.MEDIUM,
    resource_type="AWS::S3::Bucket",
    risk="While ACLs apply, any object or bucket ACL can grant access that the bucket policy and IAM do "
    "not show; with object ownership enforced, access is decided by policies alone.",
    remediation=Remediation(
        summary="Set the bucket's object ownership to BucketOwnerEnforced, after moving any access granted "
        "by ACLs into the bucket policy.",
        cli="aws s3api put-bucket-ownership-controls --bucket <BUCKET> "
        "--ownership-controls Rules=[{ObjectOwnership=BucketOwnerEnforced}]",
        cloudformation="AWS::S3::Bucket OwnershipControls: {Rules: [{ObjectOwnership: BucketOwnerEnforced}]}",
        terraform='resource "aws_s3_bucket_ownership_controls" "this" {\n'
        "  bucket = aws_s3_bucket.this.id\n"
        "  rule {\n"
        '    object_ownership = "BucketOwnerEnforced"\n'
        "  }\n"
        "}",
    ),
    reads=("s3",),
    prowler_id="s3_bucket_acl_prohibited",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_buckets(inventory, _judge)


def _judge(bucket: Bucket, s3: S3Data, arn: str) -> Result:
    ownership = bucket.management.ownership
    if isinstance(ownership, Unknown):
        return Result.error(arn, bucket.region, ownership)
    return Result.verdict(
        ownership == "BucketOwnerEnforced",
        arn,
        bucket.region,
        passed="ACLs are disabled: object ownership is BucketOwnerEnforced",
        failed=f"ACLs still grant access (object ownership: {ownership or 'no ownership controls'})",
    )
