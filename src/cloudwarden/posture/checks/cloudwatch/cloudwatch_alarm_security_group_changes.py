"""CIS AWS Foundations v3.0 4.10, AWS FSBP CloudWatch.10: a metric filter and an alarm for security
group changes."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture import cloudwatch_filters as cf
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Result, Severity

CALLS = (
    "AuthorizeSecurityGroupIngress",
    "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
    "CreateSecurityGroup",
    "DeleteSecurityGroup",
)
CONTROL = cf.calls_control("security group changes", "ec2.amazonaws.com", CALLS, name_source=False)

METADATA = CheckMetadata(
    id="cloudwatch_alarm_security_group_changes",
    title="A metric filter and alarm exist for security group changes",
    service="cloudwatch",
    severity=Severity.MEDIUM,
    resource_type=cf.RESOURCE_TYPE,
    risk=(
        "Security groups are the instance firewall; an unnoticed rule change can open a port to the "
        "internet or cut off a service."
    ),
    remediation=cf.remediation(CONTROL, "SecurityGroupChanges"),
    reads=cf.READS,
    prowler_id="cloudwatch_log_metric_filter_security_group_changes",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return cf.judge(inventory, CONTROL)
