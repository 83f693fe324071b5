"""EC2 and VPC checks, and what several of them share: which security group rules and network
ACL entries admit traffic from the whole internet (0.0.0.0/0 or ::/0) to a port."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from cloudwarden.posture.collectors.ec2 import (
    WORLD_IPV4,
    WORLD_IPV6,
    NetworkAcl,
    Permission,
    SecurityGroup,
    arn,
)
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import Result

ADMIN_PORTS = (22, 3389)  # SSH and RDP: remote server administration
PORT_PROTOCOLS = ("tcp", "udp")


def world_rules(group: SecurityGroup, worlds: Iterable[str]) -> Iterator[tuple[Permission, str]]:
    """(rule, source) for every inbound rule of the group open to one of `worlds`."""
    for permission in group.ingress:
        for world in worlds:
            if permission.open_to(world):
                yield permission, world


def exposed(group: SecurityGroup, ports: Iterable[int], worlds: Iterable[str]) -> list[str]:
    """'22 (tcp 0-65535 from 0.0.0.0/0)' for each port of `ports` a world-open rule admits."""
    found: list[str] = []
    rules = list(world_rules(group, worlds))
    for port in ports:
        for permission, world in rules:
            if any(permission.covers(port, p) for p in PORT_PROTOCOLS):
                found.append(f"{port} ({permission.describe()} from {world})")
                break
    return found


def judge_groups(
    inventory: Inventory, judge: Callable[[SecurityGroup, str, str], Result]
) -> Iterator[Result]:
    """judge(group, arn, region) for every security group, used or not, region by region."""

    def each(group: SecurityGroup, region: str) -> Result:
        return judge(group, arn(inventory, region, f"security-group/{group.group_id}"), region)

    return judge_each(inventory, "ec2", lambda d: d.security_groups, each, "no security groups")


def admin_ports_check(inventory: Inventory, worlds: tuple[str, ...]) -> Iterator[Result]:
    """Shared by the IPv4 and the IPv6 admin-port checks: one result per security group."""
    shown = " or ".join(worlds)

    def judge(group: SecurityGroup, resource: str, region: str) -> Result:
        found = exposed(group, ADMIN_PORTS, worlds)
        return Result.verdict(
            not found,
            resource,
            region,
            passed=f"{group.name} admits no traffic from {shown} to ports 22 or 3389",
            failed=f"{group.name} admits traffic from {shown} to admin port(s): {', '.join(found)}",
        )

    return judge_groups(inventory, judge)


def one_port_check(inventory: Inventory, port: int, service: str) -> Iterator[Result]:
    """Shared by the SSH and RDP checks (FSBP EC2.13, EC2.14): one result per security group,
    failing a group that admits 0.0.0.0/0 or ::/0 to TCP `port` (an all-traffic rule included)."""

    def judge(group: SecurityGroup, resource: str, region: str) -> Result:
        found = [
            f"{permission.describe()} from {world}"
            for permission, world in world_rules(group, (WORLD_IPV4, WORLD_IPV6))
            if permission.covers(port, "tcp")
        ]
        return Result.verdict(
            not found,
            resource,
            region,
            passed=f"{group.name} admits no traffic from the internet to {service} (TCP {port})",
            failed=f"{group.name} admits the internet to {service} (TCP {port}): {', '.join(found)}",
        )

    return judge_groups(inventory, judge)


def nacl_admits(acl: NetworkAcl, port: int, world: str) -> str | None:
    """The entry deciding inbound traffic from `world` to `port` when it allows it ('rule 100:
    all traffic'), else None. Entries are evaluated in rule-number order, as AWS does; entries
    for narrower blocks than the world one do not decide for the whole internet."""
    for protocol in PORT_PROTOCOLS:
        for entry in acl.entries:
            if entry.egress or entry.cidr != world or not entry.matches(port, protocol):
                continue
            if entry.allow:
                what = "all traffic" if entry.protocol == "-1" else protocol
                ports = "" if entry.from_port is None else f" {entry.from_port}-{entry.to_port}"
                return f"rule {entry.rule_number}: {what}{ports} from {world}"
            break
    return None


__all__ = [
    "ADMIN_PORTS",
    "WORLD_IPV4",
    "WORLD_IPV6",
    "admin_ports_check",
    "exposed",
    "judge_groups",
    "nacl_admits",
    "one_port_check",
    "world_rules",
]
