"""CIS 1.20: an IAM Access Analyzer for external access is active in every scanned region."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="accessanalyzer_enabled",
    title="IAM Access Analyzer (external access) is enabled in every region",
    service="accessanalyzer",
    severity=Severity.MEDIUM,
    resource_type="AWS::AccessAnalyzer::Analyzer",
    risk="Without an analyzer nobody is told when a bucket, key, role, queue or snapshot in the "
    "region becomes reachable from outside the account; such grants go unnoticed until abused.",
    remediation=Remediation(
        summary="Create an external access analyzer (account or organization zone of trust) in "
        "every region, and review its findings.",
        cli="aws accessanalyzer create-analyzer --analyzer-name external-access --type ACCOUNT "
        "--region <REGION>",
        cloudformation="AWS::AccessAnalyzer::Analyzer Type: ACCOUNT (one stack instance per region)",
        terraform='resource "aws_accessanalyzer_analyzer" "this" {\n'
        '  analyzer_name = "external-access"\n  type          = "ACCOUNT"\n}',
    ),
    reads=("accessanalyzer",),
    prowler_id="accessanalyzer_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    for region, data in inventory.each("accessanalyzer"):
        resource = inventory.region_arn("access-analyzer", region)
        if isinstance(data, Unknown):
            yield Result.error(resource, region, data)
            continue
        external = [a for a in data.analyzers if a.external_access]
        active = [a for a in external if a.status == "ACTIVE"]
        if active:
            yield Result.passed(resource, region, f"analyzer {active[0].name} ({active[0].type}) is active")
        elif external:
            yield Result.failed(
                resource, region, f"analyzer {external[0].name} is {external[0].status.lower()}, not active"
            )
        elif data.analyzers:
            yield Result.failed(
                resource,
                region,
                "the region's analyzers report unused or internal access, not external access",
            )
        else:
            yield Result.failed(resource, region, "IAM Access Analyzer has no analyzer in this region")
