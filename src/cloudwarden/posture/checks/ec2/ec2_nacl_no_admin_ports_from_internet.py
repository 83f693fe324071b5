from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.ec2 import ADMIN_PORTS, WORLD_IPV4, WORLD_IPV6, nacl_admits
from cloudwarden.posture.collectors.ec2 import NetworkAcl, arn
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ec2_nacl_no_admin_ports_from_internet",
    title="Network ACLs do not admit traffic from the internet to ports 22 or 3389",
    service="ec2",
    severity=Severity.MEDIUM,
    resource_type="AWS::EC2::NetworkAcl",
    risk="A network ACL that lets the whole internet reach SSH or RDP leaves only the security "
    "groups between every instance in its subnets and brute-force or exploit attempts.",
    remediation=Remediation(
        summary="Add inbound deny entries for ports 22 and 3389 from 0.0.0.0/0 (and ::/0) numbered "
        "below the allow entries, then allow administration only from known ranges.",
        cli="aws ec2 create-network-acl-entry --network-acl-id <ACL> --ingress --rule-number 10 "
        "--protocol tcp --port-range From=22,To=22 --cidr-block 0.0.0.0/0 --rule-action deny && "
        "aws ec2 create-network-acl-entry --network-acl-id <ACL> --ingress --rule-number 11 "
        "--protocol tcp --port-range From=3389,To=3389 --cidr-block 0.0.0.0/0 --rule-action deny",
        cloudformation="AWS::EC2::NetworkAclEntry Egress: false, RuleAction: deny, Protocol: 6, "
        "PortRange: {From: 22, To: 22}, CidrBlock: 0.0.0.0/0, RuleNumber: 10 (and one for 3389)",
        terraform='resource "aws_network_acl_rule" "deny_ssh" {\n  network_acl_id = aws_network_acl.this.id\n'
        '  rule_number    = 10\n  egress         = false\n  protocol       = "tcp"\n'
        '  rule_action    = "deny"\n  cidr_block     = "0.0.0.0/0"\n  from_port      = 22\n'
        "  to_port        = 22\n}",
    ),
    reads=("ec2",),
)


def run(inventory: Inventory) -> Iterator[Result]:
    def judge(acl: NetworkAcl, region: str) -> Result:
        found = [
            f"{port} ({decided})"
            for port in ADMIN_PORTS
            for world in (WORLD_IPV4, WORLD_IPV6)
            if (decided := nacl_admits(acl, port, world)) is not None
        ]
        kind = "default network ACL" if acl.is_default else "network ACL"
        return Result.verdict(
            not found,
            arn(inventory, region, f"network-acl/{acl.acl_id}"),
            region,
            passed=f"the {kind} of {acl.vpc_id} admits no internet traffic to ports 22 or 3389",
            failed=f"the {kind} of {acl.vpc_id} admits internet traffic to: {'; '.join(found)}",
        )

    return judge_each(inventory, "ec2", lambda d: d.network_acls, judge, "no network ACLs")
