"""CIS 1.9: the IAM password policy prevents reuse of the last 24 passwords."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.iam import password_policy
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

REMEMBERED = 24
METADATA = CheckMetadata(
    id="iam_password_policy_reuse_24",
    title="The IAM password policy prevents reuse of the last 24 passwords",
    service="iam",
    severity=Severity.MEDIUM,
    resource_type="AWS::::Account",
    risk="When old passwords may be set again, a password that was exposed and changed can simply "
    "come back, and forced rotation achieves nothing.",
    remediation=Remediation(
        summary="Set the account password policy to remember 24 passwords (keep the other "
        "requirements you already have: the call replaces the whole policy).",
        cli="aws iam update-account-password-policy --password-reuse-prevention 24 "
        "--minimum-password-length 14 --require-uppercase-characters "
        "--require-lowercase-characters --require-numbers --require-symbols",
        cloudformation="CloudFormation has no account password policy resource; use the CLI or "
        "Terraform's aws_iam_account_password_policy.",
        terraform='resource "aws_iam_account_password_policy" "this" {\n  password_reuse_prevention = 24\n}',
    ),
    reads=("iam",),
    prowler_id="iam_password_policy_reuse_24",
)


def run(inventory: Inventory) -> Iterator[Result]:
    policy = password_policy(inventory)
    if isinstance(policy, Result):
        yield policy
        return
    remembered = policy.reuse_prevention or 0
    yield Result.verdict(
        remembered >= REMEMBERED,
        inventory.account_arn,
        GLOBAL,
        passed=f"the last {remembered} passwords cannot be reused",
        failed=f"password reuse prevention remembers {remembered} passwords (at least {REMEMBERED} required)",
    )
