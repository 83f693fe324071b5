"""AWS FSBP GuardDuty.9: GuardDuty RDS Protection (the RDS_LOGIN_EVENTS feature) is enabled.

A detector whose GetDetector answer does not list the feature (created before it existed and
never updated) has it off.
"""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.guardduty import Detector, DetectorDetail, judge_enabled_detectors
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="guardduty_rds_protection_enabled",
    title="GuardDuty RDS Protection is enabled on every enabled detector",
    service="guardduty",
    severity=Severity.HIGH,
    resource_type="AWS::GuardDuty::Detector",
    risk="Without RDS Protection, GuardDuty does not profile Aurora and RDS login activity, so brute-force "
    "attempts and logins from unusual or malicious sources go undetected.",
    remediation=Remediation(
        summary="Turn on the RDS_LOGIN_EVENTS feature of the detector.",
        cli="aws guardduty update-detector --detector-id <DETECTOR_ID> "
        '--features \'[{"Name":"RDS_LOGIN_EVENTS","Status":"ENABLED"}]\'',
        cloudformation="AWS::GuardDuty::Detector Features: [{Name: RDS_LOGIN_EVENTS, Status: ENABLED}]",
        terraform='resource "aws_guardduty_detector_feature" "rds" {\n'
        "  detector_id = aws_guardduty_detector.this.id\n"
        '  name        = "RDS_LOGIN_EVENTS"\n  status      = "ENABLED"\n}',
    ),
    reads=("guardduty",),
    prowler_id="guardduty_rds_protection_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_enabled_detectors(inventory, _judge)


def _judge(detector: Detector, detail: DetectorDetail, region: str) -> Result:
    return Result.verdict(
        detail.features.get("RDS_LOGIN_EVENTS", False),
        detector.arn,
        region,
        passed=f"detector {detector.id} has RDS Protection enabled",
        failed=f"detector {detector.id} does not have RDS Protection enabled",
    )
