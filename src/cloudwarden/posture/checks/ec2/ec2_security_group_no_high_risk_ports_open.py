from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.ec2 import WORLD_IPV4, WORLD_IPV6, exposed, judge_groups
from cloudwarden.posture.collectors.ec2 import SecurityGroup
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ec2_security_group_no_high_risk_ports_open",
    title="Security groups do not admit the internet to high-risk ports",
    service="ec2",
    severity=Severity.CRITICAL,
    resource_type="AWS::EC2::SecurityGroup",
    risk="Remote administration, file sharing, mail and database ports open to 0.0.0.0/0 or ::/0 "
    "are what internet-wide scanners and ransomware crews look for first.",
    remediation=Remediation(
        summary="Remove internet-wide rules covering these ports; reach such services privately "
        "(VPN, Session Manager, VPC peering) or from known ranges only.",
        cli="aws ec2 revoke-security-group-ingress --group-id <SG> --protocol tcp --port <PORT> --cidr 0.0.0.0/0",
        cloudformation="AWS::EC2::SecurityGroup SecurityGroupIngress: no entry with CidrIp 0.0.0.0/0 or "
        "CidrIpv6 ::/0 whose port range covers a high-risk port (or IpProtocol -1)",
        terraform='resource "aws_vpc_security_group_ingress_rule" "db" {\n'
        '  referenced_security_group_id = aws_security_group.app.id # not cidr_ipv4 = "0.0.0.0/0"\n'
        '  ip_protocol = "tcp"\n  from_port   = 5432\n  to_port     = 5432\n'
        "  security_group_id = aws_security_group.db.id\n}",
    ),
    reads=("ec2",),
    prowler_id="ec2_securitygroup_allow_ingress_from_internet_to_high_risk_tcp_ports",
)
# AWS Foundational Security Best Practices EC2.19's list of high-risk ports.
HIGH_RISK_PORTS = (
    20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432, 5500, 5601,
    8080, 8088, 8888, 9200, 9300,
)  # fmt: skip


def run(inventory: Inventory) -> Iterator[Result]:
    def judge(group: SecurityGroup, resource: str, region: str) -> Result:
        found = exposed(group, HIGH_RISK_PORTS, (WORLD_IPV4, WORLD_IPV6))
        return Result.verdict(
            not found,
            resource,
            region,
            passed=f"{group.name} admits the internet to no high-risk port",
            failed=f"{group.name} admits the internet to high-risk port(s): {', '.join(found)}",
        )

    return judge_groups(inventory, judge)
