"""CIS 1.8: the IAM password policy requires at least 14 characters."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.iam import password_policy
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

MINIMUM_LENGTH = 14
METADATA = CheckMetadata(
    id="iam_password_policy_minimum_length_14",
    title="The IAM password policy requires passwords of 14 characters or more",
    service="iam",
    severity=Severity.MEDIUM,
    resource_type="AWS::::Account",
    risk="Short passwords fall to guessing and offline cracking far sooner; length is the property "
    "that adds the most resistance, and without a policy IAM accepts passwords of 8 characters.",
    remediation=Remediation(
        summary="Set the account password policy's minimum length to 14 or more (keep the other "
        "requirements you already have: the call replaces the whole policy).",
        cli="aws iam update-account-password-policy --minimum-password-length 14 "
        "--password-reuse-prevention 24 --require-uppercase-characters "
        "--require-lowercase-characters --require-numbers --require-symbols",
        cloudformation="CloudFormation has no account password policy resource; use the CLI or "
        "Terraform's aws_iam_account_password_policy.",
        terraform='resource "aws_iam_account_password_policy" "this" {\n  minimum_password_length = 14\n}',
    ),
    reads=("iam",),
    prowler_id="iam_password_policy_minimum_length_14",
)


def run(inventory: Inventory) -> Iterator[Result]:
    policy = password_policy(inventory)
    if isinstance(policy, Result):
        yield policy
        return
    yield Result.verdict(
        policy.minimum_length >= MINIMUM_LENGTH,
        inventory.account_arn,
        GLOBAL,
        passed=f"passwords need at least {policy.minimum_length} characters",
        failed=f"passwords need only {policy.minimum_length} characters (at least {MINIMUM_LENGTH} required)",
    )
