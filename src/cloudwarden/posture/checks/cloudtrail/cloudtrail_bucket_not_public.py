"""AWS FSBP CloudTrail.6: the S3 bucket that stores CloudTrail logs is not publicly accessible."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from cloudwarden.posture.checks.cloudtrail import judge_trail_buckets
from cloudwarden.posture.collectors.s3 import Bucket, S3Data, public_exposure
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="cloudtrail_bucket_not_public",
    title="The S3 buckets that receive CloudTrail logs are not publicly accessible",
    service="cloudtrail",
    severity=Severity.CRITICAL,
    resource_type="AWS::S3::Bucket",
    risk="A trail's log files list every API call of the account, who made it and from where: a "
    "public bucket hands an attacker a map of the account, and a publicly writable one lets the "
    "audit record be altered or erased.",
    remediation=Remediation(
        summary="Turn on Block Public Access for the trail's bucket, remove ACL grants to AllUsers "
        "and AuthenticatedUsers (or disable ACLs) and drop bucket policy statements that allow "
        'Principal "*" without a narrowing condition.',
        cli="aws s3api put-public-access-block --bucket <TRAIL_BUCKET> --public-access-block-configuration "
        "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
        cloudformation="AWS::S3::Bucket PublicAccessBlockConfiguration: {BlockPublicAcls: true, "
        "IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}",
        terraform='resource "aws_s3_bucket_public_access_block" "trail" {\n'
        "  bucket                  = aws_s3_bucket.trail.id\n"
        "  block_public_acls       = true\n"
        "  ignore_public_acls      = true\n"
        "  block_public_policy     = true\n"
        "  restrict_public_buckets = true\n"
        "}",
    ),
    reads=("cloudtrail", "s3"),
    # Prowler reads the bucket's ACL for AllUsers grants only (not AuthenticatedUsers, not the
    # policy, not Block Public Access) and reports on the trail's ARN.
    prowler_id="cloudtrail_logs_s3_bucket_is_not_publicly_accessible",
)

ACCESS: tuple[Literal["read", "write"], ...] = ("read", "write")


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_trail_buckets(inventory, _judge, "whether it is public")


def _judge(bucket: Bucket, s3: S3Data, arn: str, which: str) -> Result:
    """The S3 checks' own reading of public read and public write access, both at once."""
    reasons: list[str] = []
    unknown: Unknown | None = None
    for access in ACCESS:
        exposure = public_exposure(bucket, s3, access)
        if isinstance(exposure, Unknown):
            unknown = exposure if unknown is None else unknown  # an Unknown is falsy: no `or`
        else:
            reasons += [r for r in exposure if r not in reasons]  # FULL_CONTROL is both
    if not reasons and unknown is not None:
        return Result.error(arn, bucket.region, unknown)
    return Result.verdict(
        not reasons,
        arn,
        bucket.region,
        passed=f"{which}: neither its ACL nor its policy lets the public read or write it",
        failed=f"{which} is publicly accessible: {'; '.join(reasons)}",
    )
