from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors._ec2_network import GONE
from cloudwarden.posture.collectors.ec2 import Ec2Data, Vpc, arn
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="ec2_vpc_endpoint_for_ec2",
    title="Every VPC has an interface VPC endpoint for the Amazon EC2 API",
    service="ec2",
    severity=Severity.MEDIUM,
    resource_type="AWS::EC2::VPC",
    risk="Without an EC2 endpoint, instances reach the EC2 API over the internet (through a NAT or "
    "internet gateway): private subnets need a way out, and endpoint policies cannot restrict "
    "which calls leave the VPC.",
    remediation=Remediation(
        summary="Create an interface VPC endpoint for com.amazonaws.<region>.ec2 in the VPC, in its "
        "private subnets, with private DNS enabled.",
        cli="aws ec2 create-vpc-endpoint --vpc-id <VPC> --vpc-endpoint-type Interface --service-name "
        "com.amazonaws.<REGION>.ec2 --subnet-ids <SUBNET_A> <SUBNET_B> --security-group-ids <SG> "
        "--private-dns-enabled",
        cloudformation="AWS::EC2::VPCEndpoint {VpcId: <VPC>, VpcEndpointType: Interface, ServiceName: "
        "!Sub 'com.amazonaws.${AWS::Region}.ec2', SubnetIds: [...], PrivateDnsEnabled: true}",
        terraform='resource "aws_vpc_endpoint" "ec2" {\n  vpc_id              = aws_vpc.this.id\n'
        '  service_name        = "com.amazonaws.${var.region}.ec2"\n'
        '  vpc_endpoint_type   = "Interface"\n  private_dns_enabled = true\n}',
    ),
    reads=("ec2",),
    prowler_id="vpc_endpoint_for_ec2_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    """One result per VPC (FSBP EC2.10; AWS Config's service-vpc-endpoint-enabled with
    serviceName ec2): it passes with an endpoint for the EC2 service not deleted or failed."""

    def judge(vpc: Vpc, region: str) -> Result:
        data = inventory.get("ec2", region)
        service = f"com.amazonaws.{region}.ec2"
        endpoints = [
            e.endpoint_id
            for e in data.vpc_endpoints
            if e.vpc_id == vpc.vpc_id and _is_ec2(e.service_name, region) and e.state not in GONE
        ]
        return Result.verdict(
            bool(endpoints),
            arn(inventory, region, f"vpc/{vpc.vpc_id}"),
            region,
            passed=f"{vpc.vpc_id} has a VPC endpoint for {service}: {', '.join(endpoints)}",
            failed=f"{vpc.vpc_id} has no VPC endpoint for the EC2 API ({service})",
        )

    return judge_each(inventory, "ec2", _vpcs, judge, "no VPCs")


def _vpcs(data: Ec2Data) -> tuple[Vpc, ...] | Unknown:
    if isinstance(data.vpc_endpoints, Unknown):
        return data.vpc_endpoints
    return data.vpcs


def _is_ec2(service_name: str, region: str) -> bool:
    """com.amazonaws.<region>.ec2, and the same with a partition's prefix (cn.com.amazonaws...)."""
    return service_name.endswith(f"amazonaws.{region}.ec2")
