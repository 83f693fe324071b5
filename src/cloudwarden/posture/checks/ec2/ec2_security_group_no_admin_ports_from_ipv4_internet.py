from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.ec2 import WORLD_IPV4, admin_ports_check
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ec2_security_group_no_admin_ports_from_ipv4_internet",
    title="Security groups do not admit 0.0.0.0/0 to SSH (22) or RDP (3389)",
    service="ec2",
    severity=Severity.HIGH,
    resource_type="AWS::EC2::SecurityGroup",
    risk="SSH and RDP open to every IPv4 address are scanned within minutes of exposure; a weak "
    "password, a leaked key or an unpatched server is then a compromised instance.",
    remediation=Remediation(
        summary="Remove the rule and allow administration only from known address ranges, or use "
        "Session Manager and no inbound rule at all.",
        cli="aws ec2 revoke-security-group-ingress --group-id <SG> --protocol tcp --port 22 --cidr 0.0.0.0/0 "
        "&& aws ec2 revoke-security-group-ingress --group-id <SG> --protocol tcp --port 3389 --cidr 0.0.0.0/0",
        cloudformation="AWS::EC2::SecurityGroup SecurityGroupIngress: no entry with CidrIp 0.0.0.0/0 whose "
        "FromPort-ToPort covers 22 or 3389 (or IpProtocol -1)",
        terraform='resource "aws_vpc_security_group_ingress_rule" "ssh" {\n'
        '  cidr_ipv4 = "203.0.113.0/24" # a known range, never 0.0.0.0/0\n  from_port = 22\n'
        '  to_port   = 22\n  ip_protocol = "tcp"\n  security_group_id = aws_security_group.this.id\n}',
    ),
    reads=("ec2",),
)


def run(inventory: Inventory) -> Iterator[Result]:
    return admin_ports_check(inventory, (WORLD_IPV4,))
