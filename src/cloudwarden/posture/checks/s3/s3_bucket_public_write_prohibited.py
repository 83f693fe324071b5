from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.s3 import judge_public_access
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="s3_bucket_public_write_prohibited",
    title="S3 buckets do not allow public write access through their ACL or policy",
    service="s3",
    severity=Severity.CRITICAL,
    resource_type="AWS::S3::Bucket",
    risk="Anyone on the internet can upload, overwrite or delete the bucket's objects: data can be "
    "destroyed, replaced with malware, or the bucket used to host content at the owner's cost.",
    remediation=Remediation(
        summary="Remove the public ACL grants and the policy statements that allow everyone to write, "
        "then turn on Block Public Access for the bucket.",
        cli="aws s3api put-bucket-acl --bucket <BUCKET> --acl private && "
        "aws s3api put-public-access-block --bucket <BUCKET> --public-access-block-configuration "
        "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
        cloudformation="AWS::S3::Bucket OwnershipControls: {Rules: [{ObjectOwnership: BucketOwnerEnforced}]} "
        "and PublicAccessBlockConfiguration with all four settings true; no AWS::S3::BucketPolicy "
        "statement with Principal '*' allowing s3:PutObject or s3:DeleteObject",
        terraform='aws_s3_bucket_ownership_controls { rule { object_ownership = "BucketOwnerEnforced" } } '
        "and aws_s3_bucket_public_access_block with all four arguments true",
    ),
    reads=("s3",),
    prowler_id="s3_bucket_public_write_acl",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_public_access(inventory, "write")
