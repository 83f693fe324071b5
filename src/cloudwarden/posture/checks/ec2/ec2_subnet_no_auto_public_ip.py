from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors._ec2_network import Subnet
from cloudwarden.posture.collectors.ec2 import arn
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ec2_subnet_no_auto_public_ip",
    title="Subnets do not assign public IPv4 addresses on launch",
    service="ec2",
    severity=Severity.MEDIUM,
    resource_type="AWS::EC2::Subnet",
    risk="Every instance launched into such a subnet gets a public address unless someone remembers to "
    "opt out, so a private workload becomes reachable from the internet by default.",
    remediation=Remediation(
        summary="Turn off auto-assign public IPv4 on the subnet; give public addresses only to the "
        "instances that must have one (or put them behind a load balancer).",
        cli="aws ec2 modify-subnet-attribute --subnet-id <SUBNET> --no-map-public-ip-on-launch",
        cloudformation="AWS::EC2::Subnet MapPublicIpOnLaunch: false",
        terraform='resource "aws_subnet" "this" {\n  map_public_ip_on_launch = false\n}',
    ),
    reads=("ec2",),
    prowler_id="vpc_subnet_no_public_ip_by_default",
)


def run(inventory: Inventory) -> Iterator[Result]:
    def judge(subnet: Subnet, region: str) -> Result:
        return Result.verdict(
            not subnet.map_public_ip_on_launch,
            arn(inventory, region, f"subnet/{subnet.subnet_id}"),
            region,
            passed=f"instances launched in {subnet.subnet_id} get no public IPv4 address unless asked",
            failed=f"{subnet.subnet_id} ({subnet.availability_zone}) assigns a public IPv4 address to every instance",
        )

    return judge_each(inventory, "ec2", lambda data: data.subnets, judge, "no subnets")
