from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors._ec2_network import Address
from cloudwarden.posture.collectors.ec2 import arn
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ec2_elastic_ip_in_use",
    title="Elastic IP addresses are associated with a resource",
    service="ec2",
    severity=Severity.LOW,
    resource_type="AWS::EC2::EIP",
    risk="An unassociated Elastic IP is billed by the hour and, once released by mistake or kept by "
    "someone who left, an address that DNS records or allow lists may still point at.",
    remediation=Remediation(
        summary="Associate the address with the instance or interface that needs it, or release it.",
        cli="aws ec2 release-address --allocation-id <ALLOCATION_ID>",
        cloudformation="Remove the AWS::EC2::EIP resource, or add an AWS::EC2::EIPAssociation for it",
        terraform='resource "aws_eip_association" "this" {\n'
        "  allocation_id = aws_eip.this.id\n"
        "  instance_id   = aws_instance.this.id\n"
        "}",
    ),
    reads=("ec2",),
    prowler_id="ec2_elastic_ip_unassigned",
)


def run(inventory: Inventory) -> Iterator[Result]:
    def judge(address: Address, region: str) -> Result:
        return Result.verdict(
            address.association_id is not None,
            arn(inventory, region, f"elastic-ip/{address.allocation_id}"),
            region,
            passed=f"{address.public_ip} is associated ({address.association_id})",
            failed=f"{address.public_ip} is allocated but associated with nothing",
        )

    return judge_each(inventory, "ec2", lambda data: data.addresses, judge, "no Elastic IP addresses")
