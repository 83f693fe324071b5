"""AWS FSBP S3.19: S3 access points have all four Block Public Access settings on (AWS Config's
s3-access-point-public-access-blocks, no access point excluded)."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.s3_access_points import SERVICE, AccessPoint, AccessPointData
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="s3_access_point_public_access_block",
    title="S3 access points have every Block Public Access setting on",
    service="s3",
    severity=Severity.CRITICAL,
    resource_type="AWS::S3::AccessPoint",
    risk="An access point is a second door to its bucket with its own policy; without its own Block "
    'Public Access, a policy granting Principal "*" on it opens the bucket\'s objects to anyone '
    "unless the bucket or the account blocks it.",
    remediation=Remediation(
        summary="An access point's Block Public Access cannot be changed after creation: create a new "
        "access point with all four settings on, move its users to it and delete the old one.",
        cli="aws s3control create-access-point --account-id <ACCOUNT_ID> --name <NEW_NAME> --bucket <BUCKET> "
        "--public-access-block-configuration "
        "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true\n"
        "aws s3control delete-access-point --account-id <ACCOUNT_ID> --name <OLD_NAME>",
        cloudformation="AWS::S3::AccessPoint PublicAccessBlockConfiguration: {BlockPublicAcls: true, "
        "IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}",
        terraform='resource "aws_s3_access_point" "this" {\n'
        "  bucket = aws_s3_bucket.this.id\n"
        '  name   = "app"\n'
        "  public_access_block_configuration {\n"
        "    block_public_acls       = true\n"
        "    ignore_public_acls      = true\n"
        "    block_public_policy     = true\n"
        "    restrict_public_buckets = true\n"
        "  }\n"
        "}",
    ),
    reads=(SERVICE,),
    prowler_id="s3_access_point_public_access_block",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_each(inventory, SERVICE, _points, _judge, "no S3 access points")


def _points(data: AccessPointData) -> tuple[AccessPoint, ...]:
    return data.access_points


def _judge(point: AccessPoint, region: str) -> Result:
    block = point.public_access_block
    if isinstance(block, Unknown):
        return Result.error(point.arn, region, block)
    off = block.off()
    return Result.verdict(
        not off,
        point.arn,
        region,
        passed=f"access point {point.name} (bucket {point.bucket}) blocks public access",
        failed=f"access point {point.name} (bucket {point.bucket}) has {', '.join(off)} off",
    )
