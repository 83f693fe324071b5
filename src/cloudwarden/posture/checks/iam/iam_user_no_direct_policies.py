"""CIS 1.15, AWS FSBP IAM.2: IAM users get permissions only through groups (no policies attached
to or embedded in a user)."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.iam import NO_USERS, authorization
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="iam_user_no_direct_policies",
    title="IAM users have no attached or inline policies (permissions come through groups)",
    service="iam",
    severity=Severity.LOW,
    resource_type="AWS::IAM::User",
    risk="Permissions granted user by user drift apart, outlive job changes and are hard to review; "
    "granting through groups (or roles) keeps who-can-do-what in a few places.",
    remediation=Remediation(
        summary="Put the user in a group that carries the permissions, then detach the user's managed "
        "policies and delete its inline policies.",
        cli="aws iam add-user-to-group --group-name <GROUP> --user-name <USER> && aws iam "
        "detach-user-policy --user-name <USER> --policy-arn <POLICY_ARN> && aws iam "
        "delete-user-policy --user-name <USER> --policy-name <INLINE_POLICY>",
        cloudformation="Remove ManagedPolicyArns and Policies from the AWS::IAM::User; list the "
        "user in an AWS::IAM::Group (Groups property) that has them.",
        terraform="Replace aws_iam_user_policy and aws_iam_user_policy_attachment with "
        "aws_iam_group_policy_attachment and aws_iam_user_group_membership.",
    ),
    reads=("iam",),
    prowler_id="iam_policy_attached_only_to_group_or_roles",
)


def run(inventory: Inventory) -> Iterator[Result]:
    found = authorization(inventory)
    if isinstance(found, Result):
        yield found
        return
    if not found.users:
        yield Result.not_applicable(inventory.account_arn, GLOBAL, NO_USERS)
        return
    for user in found.users:
        direct = [f"attached {arn.rsplit('/', 1)[-1]}" for arn in user.attached_policies]
        direct += [f"inline {name}" for name in user.inline_policies]
        yield Result.verdict(
            not direct,
            user.arn,
            GLOBAL,
            passed=f"user {user.name} has no policies of its own",
            failed=f"user {user.name} has policies of its own: {', '.join(direct)}",
        )
