"""CIS AWS Foundations v3.0 3.5, AWS FSBP CloudTrail.2: trails encrypt their logs with a KMS key."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.cloudtrail import Trail, trail_results
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="cloudtrail_kms_encryption_enabled",
    title="CloudTrail trails encrypt their log files with a KMS key (SSE-KMS)",
    service="cloudtrail",
    severity=Severity.MEDIUM,
    resource_type="AWS::CloudTrail::Trail",
    risk="With S3-managed encryption alone, anyone who can read the log bucket can read the trail; "
    "a KMS key adds a second, separately granted and audited permission to decrypt it.",
    remediation=Remediation(
        summary="Encrypt the trail with a customer managed KMS key whose policy lets CloudTrail "
        "encrypt and only log readers decrypt.",
        cli="aws cloudtrail update-trail --name <TRAIL> --kms-key-id <KMS_KEY_ARN>",
        cloudformation="AWS::CloudTrail::Trail KMSKeyId: <KMS key ARN>",
        terraform="aws_cloudtrail kms_key_id = aws_kms_key.cloudtrail.arn",
    ),
    reads=("cloudtrail",),
    prowler_id="cloudtrail_kms_encryption_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return trail_results(inventory, _verdict)


def _verdict(trail: Trail) -> Result:
    return Result.verdict(
        trail.kms_key_id is not None,
        trail.arn,
        trail.home_region,
        passed=f"trail {trail.name} is encrypted with KMS key {trail.kms_key_id}",
        failed=f"trail {trail.name} is not encrypted with a KMS key",
    )
