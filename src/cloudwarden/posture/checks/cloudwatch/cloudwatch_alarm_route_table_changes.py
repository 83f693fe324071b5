"""CIS AWS Foundations v3.0 4.13, AWS FSBP CloudWatch.13: a metric filter and an alarm for route table
changes."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture import cloudwatch_filters as cf
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Result, Severity

CALLS = (
    "CreateRoute",
    "CreateRouteTable",
    "ReplaceRoute",
    "ReplaceRouteTableAssociation",
    "DeleteRouteTable",
    "DeleteRoute",
    "DisassociateRouteTable",
)
CONTROL = cf.calls_control("route table changes", "ec2.amazonaws.com", CALLS)

METADATA = CheckMetadata(
    id="cloudwatch_alarm_route_table_changes",
    title="A metric filter and alarm exist for route table changes",
    service="cloudwatch",
    severity=Severity.LOW,
    resource_type=cf.RESOURCE_TYPE,
    risk=(
        "A changed route can send traffic around inspection points or out of the network; an alarm shows "
        "when routing changes outside a planned deployment."
    ),
    remediation=cf.remediation(CONTROL, "RouteTableChanges"),
    reads=cf.READS,
    prowler_id="cloudwatch_changes_to_network_route_tables_alarm_configured",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return cf.judge(inventory, CONTROL)
