"""CIS 1.16: no attached customer managed policy allows "*:*" (every action on every resource)."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.iam import customer_policies, grants_full_admin
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="iam_customer_policy_attached_no_full_admin",
    title='No attached customer managed policy grants full "*:*" administrative privileges',
    service="iam",
    severity=Severity.HIGH,
    resource_type="AWS::IAM::ManagedPolicy",
    risk="A home-made policy allowing every action on every resource makes whoever holds it an "
    "administrator, usually far beyond what the job needs and without the visibility of the "
    "AWS-managed AdministratorAccess policy.",
    remediation=Remediation(
        summary="Replace the statement with the actions and resources the holders need, or detach "
        "the policy from its users, groups and roles.",
        cli="aws iam list-entities-for-policy --policy-arn <POLICY_ARN> && aws iam detach-role-policy "
        "--role-name <ROLE> --policy-arn <POLICY_ARN>",
        cloudformation='AWS::IAM::ManagedPolicy PolicyDocument: no statement with Action "*" and '
        'Resource "*"; remove the policy from Roles, Groups and Users it should not reach.',
        terraform='aws_iam_policy policy: no statement with actions = ["*"] and resources = ["*"].',
    ),
    reads=("iam",),
    prowler_id="iam_customer_attached_policy_no_administrative_privileges",
)


def run(inventory: Inventory) -> Iterator[Result]:
    policies = customer_policies(inventory)
    if isinstance(policies, Result):
        yield policies
        return
    attached = [p for p in policies if p.attachment_count > 0]
    if not attached:
        yield Result.not_applicable(inventory.account_arn, GLOBAL, "no customer managed policy is attached")
        return
    for policy in attached:
        if isinstance(policy.document, Unknown):
            yield Result.error(policy.arn, GLOBAL, policy.document)
            continue
        yield Result.verdict(
            not grants_full_admin(policy),
            policy.arn,
            GLOBAL,
            passed=f"policy {policy.name} does not allow every action on every resource",
            failed=f"policy {policy.name} allows every action on every resource and is attached "
            f"{policy.attachment_count} time(s)",
        )
