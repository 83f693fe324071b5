from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="ec2_ebs_default_encryption_enabled",
    title="EBS encryption by default is enabled in every region",
    service="ec2",
    severity=Severity.MEDIUM,
    resource_type="AWS::::Account",
    risk="Without encryption by default, every new volume and snapshot copy is unencrypted unless "
    "its creator remembers to ask; one forgotten flag leaves data readable at rest.",
    remediation=Remediation(
        summary="Turn on EBS encryption by default in the region (optionally naming the KMS key); "
        "it applies to volumes created from then on.",
        cli="aws ec2 enable-ebs-encryption-by-default --region <REGION>",
        cloudformation="CloudFormation has no resource for this account setting; enable it with the CLI "
        "or a StackSet running the call in each region.",
        terraform='resource "aws_ebs_encryption_by_default" "this" {\n  enabled = true\n}',
    ),
    reads=("ec2",),
    prowler_id="ec2_ebs_default_encryption",
)


def run(inventory: Inventory) -> Iterator[Result]:
    for region, ec2 in inventory.each("ec2"):
        where = inventory.region_arn("ec2", region)
        if isinstance(ec2, Unknown):
            yield Result.error(where, region, ec2)
            continue
        enabled = ec2.ebs_encryption_by_default
        if isinstance(enabled, Unknown):
            yield Result.error(where, region, enabled)
            continue
        yield Result.verdict(
            enabled,
            where,
            region,
            passed=f"new EBS volumes are encrypted by default in {region}",
            failed=f"EBS encryption by default is off in {region}",
        )
