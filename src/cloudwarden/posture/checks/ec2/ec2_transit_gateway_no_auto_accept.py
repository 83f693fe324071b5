from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors._ec2_network import GONE, TransitGateway
from cloudwarden.posture.collectors.ec2 import Ec2Data, arn
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="ec2_transit_gateway_no_auto_accept",
    title="Transit gateways do not accept VPC attachment requests automatically",
    service="ec2",
    severity=Severity.HIGH,
    resource_type="AWS::EC2::TransitGateway",
    risk="With auto-accept on, any account the gateway is shared with can attach its VPCs without "
    "review: its networks join the routing domain and reach every attached VPC the route tables allow.",
    remediation=Remediation(
        summary="Turn off AutoAcceptSharedAttachments and accept each attachment request after review.",
        cli="aws ec2 modify-transit-gateway --transit-gateway-id <TGW> "
        "--options AutoAcceptSharedAttachments=disable",
        cloudformation="AWS::EC2::TransitGateway AutoAcceptSharedAttachments: disable",
        terraform='resource "aws_ec2_transit_gateway" "this" {\n'
        '  auto_accept_shared_attachments = "disable"\n}',
    ),
    reads=("ec2",),
    prowler_id="ec2_transitgateway_auto_accept_vpc_attachments",
)


def run(inventory: Inventory) -> Iterator[Result]:
    """One result per transit gateway not deleted (FSBP EC2.23; AWS Config's
    ec2-transit-gateway-auto-vpc-attach-disabled)."""

    def judge(gateway: TransitGateway, region: str) -> Result | None:
        if gateway.state in GONE:
            return None
        return Result.verdict(
            not gateway.auto_accept_shared_attachments,
            arn(inventory, region, f"transit-gateway/{gateway.gateway_id}"),
            region,
            passed=f"{gateway.gateway_id} waits for each shared VPC attachment to be accepted",
            failed=f"{gateway.gateway_id} accepts shared VPC attachment requests automatically",
        )

    return judge_each(inventory, "ec2", _gateways, judge, "no transit gateways")


def _gateways(data: Ec2Data) -> tuple[TransitGateway, ...] | Unknown:
    return data.transit_gateways
