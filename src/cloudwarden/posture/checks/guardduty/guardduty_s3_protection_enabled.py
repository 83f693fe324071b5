"""AWS FSBP GuardDuty.10: GuardDuty S3 Protection is enabled."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="guardduty_s3_protection_enabled",
    title="GuardDuty S3 Protection is enabled on every enabled detector",
    service="guardduty",
    severity=Severity.HIGH,
    resource_type="AWS::GuardDuty::Detector",
    risk="Without S3 Protection, GuardDuty does not analyse S3 data events, so bulk downloads, "
    "access from known malicious addresses and disabled bucket protections go undetected.",
    remediation=Remediation(
        summary="Turn on the S3_DATA_EVENTS feature of the detector.",
        cli="aws guardduty update-detector --detector-id <DETECTOR_ID> "
        '--features \'[{"Name":"S3_DATA_EVENTS","Status":"ENABLED"}]\'',
        cloudformation="AWS::GuardDuty::Detector Features: [{Name: S3_DATA_EVENTS, Status: ENABLED}]",
        terraform='aws_guardduty_detector_feature name = "S3_DATA_EVENTS", status = "ENABLED"',
    ),
    reads=("guardduty",),
    prowler_id="guardduty_s3_protection_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    for region, data in inventory.each("guardduty"):
        if isinstance(data, Unknown):
            yield Result.error(inventory.region_arn("guardduty", region), region, data)
            continue
        judged = 0
        for detector in data.detectors:
            if isinstance(detector.detail, Unknown):
                yield Result.error(detector.arn, region, detector.detail)
                judged += 1
                continue
            if not detector.detail.enabled:
                continue
            judged += 1
            yield Result.verdict(
                detector.detail.s3_protection,
                detector.arn,
                region,
                passed=f"detector {detector.id} has S3 Protection enabled",
                failed=f"detector {detector.id} does not have S3 Protection enabled",
            )
        if not judged:
            reason = "GuardDuty is not enabled in this region"
            yield Result.not_applicable(inventory.region_arn("guardduty", region), region, reason)
