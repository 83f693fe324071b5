from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.ec2 import one_port_check
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ec2_security_group_no_rdp_from_internet",
    title="Security groups do not admit 0.0.0.0/0 or ::/0 to RDP (TCP 3389)",
    service="ec2",
    severity=Severity.HIGH,
    resource_type="AWS::EC2::SecurityGroup",
    risk="RDP open to the whole internet is brute-forced continuously and has a history of "
    "pre-authentication flaws; exposure is a common first step of ransomware.",
    remediation=Remediation(
        summary="Remove the rule; allow RDP only from known address ranges, or use Session Manager "
        "and no inbound rule at all.",
        cli="aws ec2 revoke-security-group-ingress --group-id <SG> --protocol tcp --port 3389 --cidr 0.0.0.0/0 "
        "&& aws ec2 revoke-security-group-ingress --group-id <SG> --ip-permissions "
        "'IpProtocol=tcp,FromPort=3389,ToPort=3389,Ipv6Ranges=[{CidrIpv6=::/0}]'",
        cloudformation="AWS::EC2::SecurityGroup SecurityGroupIngress: no entry with CidrIp 0.0.0.0/0 or "
        "CidrIpv6 ::/0 whose FromPort-ToPort covers 3389 (or IpProtocol -1)",
        terraform='resource "aws_vpc_security_group_ingress_rule" "rdp" {\n'
        '  cidr_ipv4 = "203.0.113.0/24" # a known range, never 0.0.0.0/0\n  from_port = 3389\n'
        '  to_port   = 3389\n  ip_protocol = "tcp"\n  security_group_id = aws_security_group.this.id\n}',
    ),
    reads=("ec2",),
    prowler_id="ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return one_port_check(inventory, 3389, "RDP")
