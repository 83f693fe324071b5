"""CIS AWS Foundations v3.0 3.2, AWS FSBP CloudTrail.4: trails validate their log files."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.cloudtrail import Trail, trail_results
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="cloudtrail_log_file_validation_enabled",
    title="CloudTrail trails have log file validation enabled",
    service="cloudtrail",
    severity=Severity.MEDIUM,
    resource_type="AWS::CloudTrail::Trail",
    risk="Without digest files, a log file altered or deleted after delivery cannot be detected, "
    "so the trail cannot be trusted as evidence after an intrusion.",
    remediation=Remediation(
        summary="Turn on log file validation so CloudTrail writes signed hourly digest files.",
        cli="aws cloudtrail update-trail --name <TRAIL> --enable-log-file-validation",
        cloudformation="AWS::CloudTrail::Trail EnableLogFileValidation: true",
        terraform="aws_cloudtrail enable_log_file_validation = true",
    ),
    reads=("cloudtrail",),
    prowler_id="cloudtrail_log_file_validation_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return trail_results(inventory, _verdict)


def _verdict(trail: Trail) -> Result:
    return Result.verdict(
        trail.log_file_validation,
        trail.arn,
        trail.home_region,
        passed=f"trail {trail.name} validates its log files",
        failed=f"trail {trail.name} does not have log file validation enabled",
    )
