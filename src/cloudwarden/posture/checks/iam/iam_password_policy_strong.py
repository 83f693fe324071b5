"""AWS FSBP IAM.7: the IAM password policy requires upper and lower case letters, numbers,
symbols and a minimum length (8, Security Hub's default for the control)."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.iam import password_policy
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

MINIMUM_LENGTH = 8
METADATA = CheckMetadata(
    id="iam_password_policy_strong",
    title="The IAM password policy requires upper and lower case, numbers, symbols and 8+ characters",
    service="iam",
    severity=Severity.MEDIUM,
    resource_type="AWS::::Account",
    risk="Without character-class and length requirements users pick short, predictable passwords "
    "that dictionary and credential-stuffing attacks guess quickly.",
    remediation=Remediation(
        summary="Require uppercase and lowercase letters, numbers and symbols and a minimum length "
        "in the account password policy (the call replaces the whole policy).",
        cli="aws iam update-account-password-policy --require-uppercase-characters "
        "--require-lowercase-characters --require-numbers --require-symbols "
        "--minimum-password-length 14 --password-reuse-prevention 24",
        cloudformation="CloudFormation has no account password policy resource; use the CLI or "
        "Terraform's aws_iam_account_password_policy.",
        terraform='resource "aws_iam_account_password_policy" "this" {\n'
        "  require_uppercase_characters = true\n  require_lowercase_characters = true\n"
        "  require_numbers              = true\n  require_symbols              = true\n"
        "  minimum_password_length      = 14\n}",
    ),
    reads=("iam",),
)


def run(inventory: Inventory) -> Iterator[Result]:
    policy = password_policy(inventory)
    if isinstance(policy, Result):
        yield policy
        return
    missing = [
        name
        for name, required in (
            ("uppercase letters", policy.require_uppercase),
            ("lowercase letters", policy.require_lowercase),
            ("numbers", policy.require_numbers),
            ("symbols", policy.require_symbols),
        )
        if not required
    ]
    if policy.minimum_length < MINIMUM_LENGTH:
        missing.append(f"a length of {MINIMUM_LENGTH} (it is {policy.minimum_length})")
    yield Result.verdict(
        not missing,
        inventory.account_arn,
        GLOBAL,
        passed="passwords need uppercase and lowercase letters, numbers, symbols and "
        f"{policy.minimum_length} characters",
        failed=f"the password policy does not require {', '.join(missing)}",
    )
