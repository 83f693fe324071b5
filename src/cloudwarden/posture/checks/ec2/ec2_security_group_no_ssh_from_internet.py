from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.ec2 import one_port_check
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ec2_security_group_no_ssh_from_internet",
    title="Security groups do not admit 0.0.0.0/0 or ::/0 to SSH (TCP 22)",
    service="ec2",
    severity=Severity.HIGH,
    resource_type="AWS::EC2::SecurityGroup",
    risk="SSH open to the whole internet is found by scanners within minutes; a leaked key, a weak "
    "password or an unpatched daemon is then a shell on the instance.",
    remediation=Remediation(
        summary="Remove the rule; allow SSH only from known address ranges, or use Session Manager "
        "and no inbound rule at all.",
        cli="aws ec2 revoke-security-group-ingress --group-id <SG> --protocol tcp --port 22 --cidr 0.0.0.0/0 "
        "&& aws ec2 revoke-security-group-ingress --group-id <SG> --ip-permissions "
        "'IpProtocol=tcp,FromPort=22,ToPort=22,Ipv6Ranges=[{CidrIpv6=::/0}]'",
        cloudformation="AWS::EC2::SecurityGroup SecurityGroupIngress: no entry with CidrIp 0.0.0.0/0 or "
        "CidrIpv6 ::/0 whose FromPort-ToPort covers 22 (or IpProtocol -1)",
        terraform='resource "aws_vpc_security_group_ingress_rule" "ssh" {\n'
        '  cidr_ipv4 = "203.0.113.0/24" # a known range, never 0.0.0.0/0\n  from_port = 22\n'
        '  to_port   = 22\n  ip_protocol = "tcp"\n  security_group_id = aws_security_group.this.id\n}',
    ),
    reads=("ec2",),
    prowler_id="ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return one_port_check(inventory, 22, "SSH")
