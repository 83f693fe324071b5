from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.ec2 import WORLD_IPV4, WORLD_IPV6, judge_groups, world_rules
from cloudwarden.posture.collectors.ec2 import Permission, SecurityGroup
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ec2_security_group_only_authorized_ports_open",
    title="Security groups admit the whole internet only on authorized ports (TCP 80 and 443)",
    service="ec2",
    severity=Severity.HIGH,
    resource_type="AWS::EC2::SecurityGroup",
    risk="Every port open to 0.0.0.0/0 or ::/0 beyond the web ports is a service anyone can probe: "
    "databases, admin consoles and debugging endpoints left reachable from anywhere.",
    remediation=Remediation(
        summary="Narrow each internet-wide rule to the authorized ports, or its source to known "
        "ranges; put other services behind a load balancer or VPN.",
        cli="aws ec2 revoke-security-group-ingress --group-id <SG> --protocol <PROTOCOL> --port <PORTS> "
        "--cidr 0.0.0.0/0",
        cloudformation="AWS::EC2::SecurityGroup SecurityGroupIngress: entries with CidrIp 0.0.0.0/0 or "
        "CidrIpv6 ::/0 only for IpProtocol tcp, FromPort = ToPort = 80 or 443",
        terraform='resource "aws_vpc_security_group_ingress_rule" "https" {\n  cidr_ipv4   = "0.0.0.0/0"\n'
        '  ip_protocol = "tcp"\n  from_port   = 443\n  to_port     = 443\n'
        "  security_group_id = aws_security_group.this.id\n}",
    ),
    reads=("ec2",),
)
AUTHORIZED_PORTS: dict[str, frozenset[int]] = {"tcp": frozenset({80, 443}), "udp": frozenset()}
PORTLESS = ("icmp", "icmpv6")  # ICMP has types, not ports: out of this control's scope


def run(inventory: Inventory) -> Iterator[Result]:
    def judge(group: SecurityGroup, resource: str, region: str) -> Result:
        found = sorted(
            {
                f"{permission.describe()} from {world}"
                for permission, world in world_rules(group, (WORLD_IPV4, WORLD_IPV6))
                if not _authorized(permission)
            }
        )
        return Result.verdict(
            not found,
            resource,
            region,
            passed=f"{group.name} admits the internet only on authorized ports, if at all",
            failed=f"{group.name} admits the internet on unauthorized ports: {', '.join(found)}",
        )

    return judge_groups(inventory, judge)


def _authorized(permission: Permission) -> bool:
    name = permission.protocol_name
    if name in PORTLESS:
        return True
    allowed = AUTHORIZED_PORTS.get(name)  # None: all traffic, or a protocol without ports (GRE, ESP)
    low, high = permission.from_port, permission.to_port
    if allowed is None or low is None or high is None or low < 0:
        return False
    return high - low < len(allowed) and all(port in allowed for port in range(low, high + 1))
