from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="s3_account_public_access_block",
    title="S3 Block Public Access is fully enabled for the account",
    service="s3",
    severity=Severity.HIGH,
    resource_type="AWS::::Account",
    risk="Without the account-wide block, any bucket created or changed later can be made public by "
    "a single ACL or policy; the account-level setting overrides every bucket's own and stops that.",
    remediation=Remediation(
        summary="Turn on all four Block Public Access settings for the account (S3 console, Block "
        "Public Access settings for this account), after checking no bucket must stay public.",
        cli="aws s3control put-public-access-block --account-id <ACCOUNT_ID> "
        "--public-access-block-configuration "
        "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
        cloudformation="CloudFormation has no account-level Block Public Access resource; use the CLI "
        "or Terraform's aws_s3_account_public_access_block.",
        terraform='resource "aws_s3_account_public_access_block" "this" {\n  block_public_acls       = true\n'
        "  ignore_public_acls      = true\n  block_public_policy     = true\n"
        "  restrict_public_buckets = true\n}",
    ),
    reads=("s3",),
    prowler_id="s3_account_level_public_access_blocks",
)


def run(inventory: Inventory) -> Iterator[Result]:
    s3 = inventory.account("s3")
    where = inventory.account_arn
    if isinstance(s3, Unknown):
        yield Result.error(where, GLOBAL, s3)
        return
    block = s3.account_public_access_block
    if isinstance(block, Unknown):
        yield Result.error(where, GLOBAL, block)
    elif block is None:
        yield Result.failed(where, GLOBAL, "the account has no S3 Block Public Access configuration")
    else:
        off = block.off()
        yield Result.verdict(
            not off,
            where,
            GLOBAL,
            passed="all four S3 Block Public Access settings are on for the account",
            failed=f"account-level S3 Block Public Access settings off: {', '.join(off)}",
        )
