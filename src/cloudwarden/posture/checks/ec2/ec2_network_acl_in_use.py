from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.ec2 import NetworkAcl, arn
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ec2_network_acl_in_use",
    title="Custom network ACLs are associated with a subnet",
    service="ec2",
    severity=Severity.LOW,
    resource_type="AWS::EC2::NetworkAcl",
    risk="An ACL associated with nothing protects nothing: it is clutter that reviewers misread as a "
    "control in force, and a stale rule set waiting to be attached by mistake.",
    remediation=Remediation(
        summary="Associate the network ACL with the subnets it was meant for, or delete it.",
        cli="aws ec2 delete-network-acl --network-acl-id <ACL>",
        cloudformation="Remove the AWS::EC2::NetworkAcl, or add an AWS::EC2::SubnetNetworkAclAssociation for it",
        terraform='resource "aws_network_acl_association" "this" {\n'
        "  network_acl_id = aws_network_acl.this.id\n"
        "  subnet_id      = aws_subnet.this.id\n"
        "}",
    ),
    reads=("ec2",),
    prowler_id="ec2_networkacl_unused",
)


def run(inventory: Inventory) -> Iterator[Result]:
    def judge(acl: NetworkAcl, region: str) -> Result | None:
        if acl.is_default:  # a VPC's default ACL cannot be deleted, and takes every new subnet
            return None
        return Result.verdict(
            bool(acl.subnet_ids),
            arn(inventory, region, f"network-acl/{acl.acl_id}"),
            region,
            passed=f"{acl.acl_id} is associated with {', '.join(acl.subnet_ids)}",
            failed=f"{acl.acl_id} is associated with no subnet",
        )

    return judge_each(inventory, "ec2", lambda data: data.network_acls, judge, "no custom network ACLs")
