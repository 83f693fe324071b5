"""CIS AWS Foundations v3.0 4.15: a metric filter and an alarm for AWS Organizations changes."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture import cloudwatch_filters as cf
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Result, Severity

CALLS = (
    "AcceptHandshake",
    "AttachPolicy",
    "CreateAccount",
    "CreateOrganizationalUnit",
    "CreatePolicy",
    "DeclineHandshake",
    "DeleteOrganization",
    "DeleteOrganizationalUnit",
    "DeletePolicy",
    "DetachPolicy",
    "DisablePolicyType",
    "EnablePolicyType",
    "InviteAccountToOrganization",
    "LeaveOrganization",
    "MoveAccount",
    "RemoveAccountFromOrganization",
    "UpdatePolicy",
    "UpdateOrganizationalUnit",
)
CONTROL = cf.calls_control("AWS Organizations changes", "organizations.amazonaws.com", CALLS)

METADATA = CheckMetadata(
    id="cloudwatch_alarm_organizations_changes",
    title="A metric filter and alarm exist for AWS Organizations changes",
    service="cloudwatch",
    severity=Severity.MEDIUM,
    resource_type=cf.RESOURCE_TYPE,
    risk=(
        "Organization changes move accounts, detach service control policies and create accounts; an "
        "unnoticed change can lift the guardrails of every account at once."
    ),
    remediation=cf.remediation(CONTROL, "OrganizationsChanges"),
    reads=cf.READS,
    prowler_id="cloudwatch_log_metric_filter_aws_organizations_changes",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return cf.judge(inventory, CONTROL)
