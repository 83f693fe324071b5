from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.ec2 import Instance, arn
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ec2_instance_single_network_interface",
    title="EC2 instances use a single network interface",
    service="ec2",
    severity=Severity.LOW,
    resource_type="AWS::EC2::Instance",
    risk="An instance with several network interfaces can bridge subnets or security boundaries that "
    "were meant to stay apart, and is harder to reason about in reviews.",
    remediation=Remediation(
        summary="Detach the extra network interfaces unless the instance is an appliance that needs them.",
        cli="aws ec2 detach-network-interface --attachment-id <ATTACHMENT>",
        cloudformation="AWS::EC2::Instance NetworkInterfaces: a single entry (DeviceIndex 0)",
        terraform='resource "aws_instance" "this" {\n  # one primary interface; no aws_network_interface_attachment\n}',
    ),
    reads=("ec2",),
    prowler_id="ec2_instance_uses_single_eni",
)


def run(inventory: Inventory) -> Iterator[Result]:
    def judge(instance: Instance, region: str) -> Result:
        count = instance.network_interfaces
        return Result.verdict(
            count <= 1,
            arn(inventory, region, f"instance/{instance.instance_id}"),
            region,
            passed="the instance has one network interface",
            failed=f"the instance has {count} network interfaces",
        )

    return judge_each(inventory, "ec2", lambda data: data.instances, judge, "no EC2 instances")
