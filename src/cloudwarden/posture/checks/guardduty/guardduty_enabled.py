"""AWS FSBP GuardDuty.1: GuardDuty is enabled in every region."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="guardduty_enabled",
    title="GuardDuty is enabled in every region",
    service="guardduty",
    severity=Severity.HIGH,
    resource_type="AWS::GuardDuty::Detector",
    risk="GuardDuty watches CloudTrail, VPC flow and DNS logs for compromised credentials, crypto "
    "mining and reconnaissance; a region without an enabled detector is where such activity goes "
    "unseen.",
    remediation=Remediation(
        summary="Create an enabled GuardDuty detector in every region (or enable it for the "
        "organization from the delegated administrator).",
        cli="aws guardduty create-detector --enable --region <REGION>",
        cloudformation="AWS::GuardDuty::Detector Enable: true",
        terraform="aws_guardduty_detector enable = true",
    ),
    reads=("guardduty",),
    prowler_id="guardduty_is_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    for region, data in inventory.each("guardduty"):
        resource = inventory.region_arn("guardduty", region)
        if isinstance(data, Unknown):
            yield Result.error(resource, region, data)
            continue
        enabled = [d for d in data.detectors if not isinstance(d.detail, Unknown) and d.detail.enabled]
        unknown = [d.detail for d in data.detectors if isinstance(d.detail, Unknown)]
        if enabled:
            yield Result.passed(resource, region, f"GuardDuty detector {enabled[0].id} is enabled")
        elif unknown:
            yield Result.error(resource, region, unknown[0])
        elif data.detectors:
            yield Result.failed(resource, region, f"GuardDuty detector {data.detectors[0].id} is suspended")
        else:
            yield Result.failed(resource, region, "GuardDuty has no detector in this region")
