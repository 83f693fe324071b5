from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.ec2 import Instance, arn
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ec2_instance_no_public_ipv4",
    title="EC2 instances have no public IPv4 address",
    service="ec2",
    severity=Severity.MEDIUM,
    resource_type="AWS::EC2::Instance",
    risk="An instance with a public address is reachable from the internet as soon as one security "
    "group or network ACL rule allows it; private instances behind a load balancer or NAT are not.",
    remediation=Remediation(
        summary="Run the instance in a private subnet, reach it through a load balancer, NAT gateway "
        "or Session Manager, and stop subnets from assigning public addresses.",
        cli="aws ec2 modify-subnet-attribute --subnet-id <SUBNET> --no-map-public-ip-on-launch  "
        "# then relaunch the instance there; an Elastic IP: aws ec2 disassociate-address "
        "--association-id <ASSOCIATION>",
        cloudformation="AWS::EC2::Instance NetworkInterfaces[].AssociatePublicIpAddress: false "
        "(and AWS::EC2::Subnet MapPublicIpOnLaunch: false)",
        terraform='resource "aws_instance" "this" {\n  associate_public_ip_address = false\n}',
    ),
    reads=("ec2",),
    prowler_id="ec2_instance_public_ip",
)


def run(inventory: Inventory) -> Iterator[Result]:
    def judge(instance: Instance, region: str) -> Result:
        return Result.verdict(
            instance.public_ip is None,
            arn(inventory, region, f"instance/{instance.instance_id}"),
            region,
            passed="the instance has no public IPv4 address",
            failed=f"the instance has the public IPv4 address {instance.public_ip}",
        )

    return judge_each(inventory, "ec2", lambda d: d.instances, judge, "no EC2 instances")
