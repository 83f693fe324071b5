"""AWS FSBP IAM.1: no customer managed policy, attached or not, allows "*" on "*"."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.iam import grants_full_admin, judge_customer_policies
from cloudwarden.posture.collectors.iam import ManagedPolicy
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="iam_customer_policy_no_full_admin",
    title='No customer managed policy allows full "*" administrative privileges',
    service="iam",
    severity=Severity.HIGH,
    resource_type="AWS::IAM::ManagedPolicy",
    risk="A customer managed policy allowing every action on every resource is an administrator "
    "grant waiting to be attached: one AttachRolePolicy by anyone allowed to attach policies turns "
    "a role into a full administrator.",
    remediation=Remediation(
        summary="Rewrite the policy to the actions and resources it is meant for, or delete it "
        "(detach it first if attached).",
        cli="aws iam create-policy-version --policy-arn <POLICY_ARN> --policy-document "
        "file://least-privilege.json --set-as-default",
        cloudformation='AWS::IAM::ManagedPolicy PolicyDocument: no statement with Action "*" and '
        'Resource "*".',
        terraform='aws_iam_policy policy: no statement with actions = ["*"] and resources = ["*"].',
    ),
    reads=("iam",),
)


def run(inventory: Inventory) -> Iterator[Result]:
    return judge_customer_policies(inventory, _judge)


def _judge(policy: ManagedPolicy) -> Result:
    attached = f"attached {policy.attachment_count} time(s)" if policy.attachment_count else "not attached"
    return Result.verdict(
        not grants_full_admin(policy),
        policy.arn,
        GLOBAL,
        passed=f"policy {policy.name} does not allow every action on every resource",
        failed=f"policy {policy.name} allows every action on every resource ({attached})",
    )
