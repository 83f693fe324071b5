"""CIS 1.17: a role with the AWSSupportAccess policy exists to manage incidents with AWS Support."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.iam import authorization, managed_policy_arn
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

POLICY = "AWSSupportAccess"
METADATA = CheckMetadata(
    id="iam_support_role_exists",
    title="A support role with the AWSSupportAccess policy exists",
    service="iam",
    severity=Severity.LOW,
    resource_type="AWS::::Account",
    risk="Without a role meant for AWS Support, opening and following cases during an incident "
    "falls to the root user or to over-privileged administrators.",
    remediation=Remediation(
        summary="Create a role that the incident responders may assume and attach the AWS managed "
        "AWSSupportAccess policy to it.",
        cli="aws iam create-role --role-name aws-support --assume-role-policy-document "
        "file://trust.json && aws iam attach-role-policy --role-name aws-support --policy-arn "
        "arn:aws:iam::aws:policy/AWSSupportAccess",
        cloudformation="AWS::IAM::Role ManagedPolicyArns: [arn:aws:iam::aws:policy/AWSSupportAccess]",
        terraform='aws_iam_role_policy_attachment policy_arn = "arn:aws:iam::aws:policy/AWSSupportAccess"',
    ),
    reads=("iam",),
    prowler_id="iam_support_role_created",
)


def run(inventory: Inventory) -> Iterator[Result]:
    found = authorization(inventory)
    if isinstance(found, Result):
        yield found
        return
    arn = managed_policy_arn(inventory, POLICY)
    roles = [p.name for p in found.attached_to(arn) if p.kind == "role"]
    yield Result.verdict(
        bool(roles),
        inventory.account_arn,
        GLOBAL,
        passed=f"{POLICY} is attached to role(s) {', '.join(roles)}",
        failed=f"no role has the {POLICY} policy attached",
    )
