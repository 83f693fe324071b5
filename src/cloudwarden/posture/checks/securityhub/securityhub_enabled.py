"""CIS AWS Foundations v3.0 4.16, AWS FSBP SecurityHub.1: Security Hub is enabled."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="securityhub_enabled",
    title="Security Hub is enabled in every region",
    service="securityhub",
    severity=Severity.MEDIUM,
    resource_type="AWS::SecurityHub::Hub",
    risk="Without Security Hub, findings from GuardDuty, Inspector, Macie and Config stay scattered "
    "across services and regions, and no standard continuously checks the account's settings.",
    remediation=Remediation(
        summary="Enable Security Hub in every region, with the default standards.",
        cli="aws securityhub enable-security-hub --enable-default-standards --region <REGION>",
        cloudformation="AWS::SecurityHub::Hub EnableDefaultStandards: true",
        terraform="aws_securityhub_account enable_default_standards = true",
    ),
    reads=("securityhub",),
    prowler_id="securityhub_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    for region, data in inventory.each("securityhub"):
        resource = inventory.region_arn("securityhub", region)
        if isinstance(data, Unknown):
            yield Result.error(resource, region, data)
            continue
        yield Result.verdict(
            data.enabled,
            resource,
            region,
            passed=f"Security Hub is enabled ({data.hub_arn})",
            failed="Security Hub is not enabled in this region",
        )
