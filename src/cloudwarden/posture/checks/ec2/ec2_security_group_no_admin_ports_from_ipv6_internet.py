from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.ec2 import WORLD_IPV6, admin_ports_check
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ec2_security_group_no_admin_ports_from_ipv6_internet",
    title="Security groups do not admit ::/0 to SSH (22) or RDP (3389)",
    service="ec2",
    severity=Severity.HIGH,
    resource_type="AWS::EC2::SecurityGroup",
    risk="An IPv6 rule open to ::/0 exposes SSH or RDP to the whole internet just as 0.0.0.0/0 "
    "does, and is easy to overlook when only IPv4 rules are reviewed.",
    remediation=Remediation(
        summary="Remove the IPv6 rule and allow administration only from known address ranges, or "
        "use Session Manager and no inbound rule at all.",
        cli="aws ec2 revoke-security-group-ingress --group-id <SG> --ip-permissions "
        '\'[{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"Ipv6Ranges":[{"CidrIpv6":"::/0"}]},'
        '{"IpProtocol":"tcp","FromPort":3389,"ToPort":3389,"Ipv6Ranges":[{"CidrIpv6":"::/0"}]}]\'',
        cloudformation="AWS::EC2::SecurityGroup SecurityGroupIngress: no entry with CidrIpv6 ::/0 whose "
        "FromPort-ToPort covers 22 or 3389 (or IpProtocol -1)",
        terraform='resource "aws_vpc_security_group_ingress_rule" "ssh" {\n'
        '  cidr_ipv6 = "2001:db8::/32" # a known range, never ::/0\n  from_port = 22\n'
        '  to_port   = 22\n  ip_protocol = "tcp"\n  security_group_id = aws_security_group.this.id\n}',
    ),
    reads=("ec2",),
)


def run(inventory: Inventory) -> Iterator[Result]:
    return admin_ports_check(inventory, (WORLD_IPV6,))
