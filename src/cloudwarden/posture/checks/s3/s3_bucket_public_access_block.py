from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.s3 import Bucket, S3Data, judge_buckets
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="s3_bucket_public_access_block",
    title="S3 buckets block public access (bucket settings, or the account's)",
    service="s3",
    severity=Severity.HIGH,
    resource_type="AWS::S3::Bucket",
    risk="A bucket without Block Public Access can be opened to the internet by one ACL or policy "
    "change, exposing or letting anyone overwrite its objects.",
    remediation=Remediation(
        summary="Turn on all four Block Public Access settings on the bucket (or for the whole "
        "account), unless the bucket must be public by design.",
        cli="aws s3api put-public-access-block --bucket <BUCKET> --public-access-block-configuration "
        "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
        cloudformation="AWS::S3::Bucket PublicAccessBlockConfiguration: {BlockPublicAcls: true, "
        "IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}",
        terraform='resource "aws_s3_bucket_public_access_block" "this" {\n  bucket                  = '
        "aws_s3_bucket.this.id\n  block_public_acls       = true\n  ignore_public_acls      = true\n"
        "  block_public_policy     = true\n  restrict_public_buckets = true\n}",
    ),
    reads=("s3",),
    prowler_id="s3_bucket_level_public_access_block",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_buckets(inventory, _judge)


def _judge(bucket: Bucket, s3: S3Data, arn: str) -> Result:
    own = bucket.public_access_block
    if isinstance(own, Unknown):
        return Result.error(arn, bucket.region, own)
    off = own.off() if own is not None else ["all four settings (none configured)"]
    if not off:
        return Result.passed(
            arn, bucket.region, "all four Block Public Access settings are on for the bucket"
        )
    account = s3.account_public_access_block
    if account is not None and not isinstance(account, Unknown) and not account.off():
        return Result.passed(
            arn,
            bucket.region,
            "the account-level Block Public Access (all four settings on) covers the bucket",
        )
    if isinstance(account, Unknown):
        return Result.error(
            arn, bucket.region, f"bucket settings off: {', '.join(off)}; and {account.reason}"
        )
    return Result.failed(
        arn,
        bucket.region,
        f"Block Public Access off for the bucket and not fully on for the account: {', '.join(off)}",
    )
