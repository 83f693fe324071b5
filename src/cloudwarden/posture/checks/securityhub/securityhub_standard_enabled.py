"""Security Hub runs at least one security standard where it is enabled."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="securityhub_standard_enabled",
    title="Security Hub has at least one security standard enabled",
    service="securityhub",
    severity=Severity.LOW,
    resource_type="AWS::SecurityHub::Hub",
    risk="A hub without a standard only gathers other services' findings: no control checks the "
    "account's own configuration against a benchmark.",
    remediation=Remediation(
        summary="Enable AWS Foundational Security Best Practices (and CIS, if required) in the hub.",
        cli="aws securityhub batch-enable-standards --standards-subscription-requests "
        "StandardsArn=arn:aws:securityhub:<REGION>::standards/aws-foundational-security-best-practices/v/1.0.0",
        cloudformation="AWS::SecurityHub::Standard StandardsArn: "
        "arn:aws:securityhub:<region>::standards/aws-foundational-security-best-practices/v/1.0.0",
        terraform="aws_securityhub_standards_subscription standards_arn = "
        '"arn:aws:securityhub:<region>::standards/aws-foundational-security-best-practices/v/1.0.0"',
    ),
    reads=("securityhub",),
)
READY = "READY"


def run(inventory: Inventory) -> Iterator[Result]:
    for region, data in inventory.each("securityhub"):
        resource = inventory.region_arn("securityhub", region)
        if isinstance(data, Unknown):
            yield Result.error(resource, region, data)
            continue
        if not data.enabled:
            yield Result.not_applicable(resource, region, "Security Hub is not enabled in this region")
            continue
        if isinstance(data.standards, Unknown):
            yield Result.error(resource, region, data.standards)
            continue
        ready = [s.arn.split(":")[-1] for s in data.standards if s.status == READY]
        yield Result.verdict(
            bool(ready),
            resource,
            region,
            passed=f"Security Hub runs {', '.join(ready)}",
            failed=f"Security Hub has no standard enabled ({len(data.standards)} not ready)"
            if data.standards
            else "Security Hub has no standard enabled",
        )
