"""CIS AWS Foundations v3.0 4.4, AWS FSBP CloudWatch.4: a metric filter and an alarm for IAM policy
changes."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture import cloudwatch_filters as cf
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Result, Severity

CALLS = (
    "DeleteGroupPolicy",
    "DeleteRolePolicy",
    "DeleteUserPolicy",
    "PutGroupPolicy",
    "PutRolePolicy",
    "PutUserPolicy",
    "CreatePolicy",
    "DeletePolicy",
    "CreatePolicyVersion",
    "DeletePolicyVersion",
    "SetDefaultPolicyVersion",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "AttachGroupPolicy",
    "DetachGroupPolicy",
)
CONTROL = cf.calls_control("IAM policy changes", "iam.amazonaws.com", CALLS)

METADATA = CheckMetadata(
    id="cloudwatch_alarm_iam_policy_changes",
    title="A metric filter and alarm exist for IAM policy changes",
    service="cloudwatch",
    severity=Severity.MEDIUM,
    resource_type=cf.RESOURCE_TYPE,
    risk=(
        "Changes to IAM policies grant or remove permissions; an unnoticed change can quietly give an "
        "attacker, or a mistaken deployment, far more access than intended."
    ),
    remediation=cf.remediation(CONTROL, "IAMPolicyChanges"),
    reads=cf.READS,
    prowler_id="cloudwatch_log_metric_filter_policy_changes",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return cf.judge(inventory, CONTROL)
