"""CIS AWS Foundations v3.0 4.12, AWS FSBP CloudWatch.12: a metric filter and an alarm for network
gateway changes."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture import cloudwatch_filters as cf
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Result, Severity

CALLS = (
    "CreateCustomerGateway",
    "DeleteCustomerGateway",
    "AttachInternetGateway",
    "CreateInternetGateway",
    "DeleteInternetGateway",
    "DetachInternetGateway",
)
CONTROL = cf.calls_control("network gateway changes", "ec2.amazonaws.com", CALLS, name_source=False)

METADATA = CheckMetadata(
    id="cloudwatch_alarm_network_gateway_changes",
    title="A metric filter and alarm exist for network gateway changes",
    service="cloudwatch",
    severity=Severity.LOW,
    resource_type=cf.RESOURCE_TYPE,
    risk=(
        "Gateways are the way in and out of a VPC; attaching one unexpectedly can give private networks a"
        " path to the internet."
    ),
    remediation=cf.remediation(CONTROL, "NetworkGatewayChanges"),
    reads=cf.READS,
    prowler_id="cloudwatch_changes_to_network_gateways_alarm_configured",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return cf.judge(inventory, CONTROL)
