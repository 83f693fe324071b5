from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.ec2 import Ec2Data, SecurityGroup, arn
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="ec2_security_group_attached",
    title="Non-default security groups are attached to a network interface",
    service="ec2",
    severity=Severity.LOW,
    resource_type="AWS::EC2::SecurityGroup",
    risk="A security group attached to nothing protects nothing: it piles up rules nobody reviews, "
    "and whoever attaches it later (by name or by mistake) inherits whatever it still allows.",
    remediation=Remediation(
        summary="Delete the security group, or attach it to the instances or interfaces it was made for.",
        cli="aws ec2 delete-security-group --group-id <SG>",
        cloudformation="Remove the AWS::EC2::SecurityGroup, or list it in the SecurityGroupIds of the "
        "resource that needs it",
        terraform="Remove the aws_security_group resource, or reference it in the "
        "vpc_security_group_ids of the resource that needs it",
    ),
    reads=("ec2",),
    prowler_id="ec2_securitygroup_not_used",
)


def run(inventory: Inventory) -> Iterator[Result]:
    """One result per non-default security group (FSBP EC2.22; AWS Config's
    ec2-security-group-attached-to-eni-periodic): in use when a network interface carries it.
    Every service that puts a group to use in a VPC (instances, Lambda, load balancers,
    endpoints, RDS) does so through an interface, so DescribeNetworkInterfaces sees them all."""
    attached: dict[str, dict[str, list[str]]] = {}  # region -> group id -> interface ids

    def judge(group: SecurityGroup, region: str) -> Result | None:
        if group.is_default:  # a VPC's default group cannot be deleted
            return None
        if region not in attached:
            attached[region] = _interfaces_by_group(inventory.get("ec2", region))
        interfaces = attached[region].get(group.group_id, [])
        shown = ", ".join(interfaces[:3]) + (
            f" and {len(interfaces) - 3} more" if len(interfaces) > 3 else ""
        )
        return Result.verdict(
            bool(interfaces),
            arn(inventory, region, f"security-group/{group.group_id}"),
            region,
            passed=f"{group.name} is attached to {len(interfaces)} network interface(s): {shown}",
            failed=f"{group.name} ({group.group_id}) is attached to no network interface",
        )

    return judge_each(inventory, "ec2", _groups, judge, "no non-default security groups")


def _groups(data: Ec2Data) -> tuple[SecurityGroup, ...] | Unknown:
    if isinstance(data.network_interfaces, Unknown):
        return data.network_interfaces
    return data.security_groups


def _interfaces_by_group(data: Ec2Data) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for interface in data.network_interfaces if not isinstance(data.network_interfaces, Unknown) else ():
        for group_id in interface.group_ids:
            found.setdefault(group_id, []).append(interface.interface_id)
    return found
