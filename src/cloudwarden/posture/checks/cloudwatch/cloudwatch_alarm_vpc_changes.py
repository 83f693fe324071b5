"""CIS AWS Foundations v3.0 4.14, AWS FSBP CloudWatch.14: a metric filter and an alarm for VPC changes."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture import cloudwatch_filters as cf
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Result, Severity

CALLS = (
    "CreateVpc",
    "DeleteVpc",
    "ModifyVpcAttribute",
    "AcceptVpcPeeringConnection",
    "CreateVpcPeeringConnection",
    "DeleteVpcPeeringConnection",
    "RejectVpcPeeringConnection",
    "AttachClassicLinkVpc",
    "DetachClassicLinkVpc",
    "DisableVpcClassicLink",
    "EnableVpcClassicLink",
)
CONTROL = cf.calls_control("VPC changes", "ec2.amazonaws.com", CALLS, name_source=False)

METADATA = CheckMetadata(
    id="cloudwatch_alarm_vpc_changes",
    title="A metric filter and alarm exist for VPC changes",
    service="cloudwatch",
    severity=Severity.LOW,
    resource_type=cf.RESOURCE_TYPE,
    risk=(
        "New VPCs, peering connections and attribute changes alter which networks can reach each other; "
        "unnoticed they can bridge isolated environments."
    ),
    remediation=cf.remediation(CONTROL, "VPCChanges"),
    reads=cf.READS,
    prowler_id="cloudwatch_changes_to_vpcs_alarm_configured",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return cf.judge(inventory, CONTROL)
