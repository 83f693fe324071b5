from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.ec2 import SecurityGroup, arn
from cloudwarden.posture.inventory import Inventory, judge_each
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="ec2_default_security_group_closed",
    title="The default security group of every VPC has no inbound or outbound rules",
    service="ec2",
    severity=Severity.HIGH,
    resource_type="AWS::EC2::SecurityGroup",
    risk="Resources launched without a chosen group land in the default one; with rules in it they "
    "get access nobody decided on, and members can reach each other freely.",
    remediation=Remediation(
        summary="Delete every inbound and outbound rule of the default group and give resources "
        "security groups of their own.",
        cli='aws ec2 revoke-security-group-ingress --group-id <SG> --ip-permissions "$(aws ec2 '
        "describe-security-groups --group-ids <SG> --query 'SecurityGroups[0].IpPermissions')\" && "
        'aws ec2 revoke-security-group-egress --group-id <SG> --ip-permissions "$(aws ec2 '
        "describe-security-groups --group-ids <SG> --query 'SecurityGroups[0].IpPermissionsEgress')\"",
        cloudformation="CloudFormation cannot manage the default security group's rules; remove them "
        "with the CLI (or a custom resource) after creating the VPC.",
        terraform='resource "aws_default_security_group" "default" {\n  vpc_id = aws_vpc.this.id\n'
        "  # no ingress or egress blocks: Terraform removes every rule\n}",
    ),
    reads=("ec2",),
    prowler_id="ec2_securitygroup_default_restrict_traffic",
)


def run(inventory: Inventory) -> Iterator[Result]:
    def judge(group: SecurityGroup, region: str) -> Result | None:
        if not group.is_default or group.vpc_id is None:
            return None
        inbound, outbound = len(group.ingress), len(group.egress)
        return Result.verdict(
            inbound + outbound == 0,
            arn(inventory, region, f"security-group/{group.group_id}"),
            region,
            passed=f"the default security group of {group.vpc_id} has no rules",
            failed=f"the default security group of {group.vpc_id} has {inbound} inbound and "
            f"{outbound} outbound rule(s)",
        )

    return judge_each(inventory, "ec2", lambda d: d.security_groups, judge, "no default security groups")
