"""CIS AWS Foundations v3.0 4.11, AWS FSBP CloudWatch.11: a metric filter and an alarm for network ACL
changes."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture import cloudwatch_filters as cf
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Result, Severity

CALLS = (
    "CreateNetworkAcl",
    "CreateNetworkAclEntry",
    "DeleteNetworkAcl",
    "DeleteNetworkAclEntry",
    "ReplaceNetworkAclEntry",
    "ReplaceNetworkAclAssociation",
)
CONTROL = cf.calls_control("network ACL changes", "ec2.amazonaws.com", CALLS, name_source=False)

METADATA = CheckMetadata(
    id="cloudwatch_alarm_nacl_changes",
    title="A metric filter and alarm exist for network ACL changes",
    service="cloudwatch",
    severity=Severity.LOW,
    resource_type=cf.RESOURCE_TYPE,
    risk=(
        "Network ACLs filter traffic for whole subnets; an unnoticed change can expose every resource in "
        "a subnet or break its connectivity."
    ),
    remediation=cf.remediation(CONTROL, "NACLChanges"),
    reads=cf.READS,
    prowler_id="cloudwatch_changes_to_network_acls_alarm_configured",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return cf.judge(inventory, CONTROL)
