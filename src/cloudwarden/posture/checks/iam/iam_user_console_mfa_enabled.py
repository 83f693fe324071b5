"""CIS 1.10, AWS FSBP IAM.5: every IAM user with a console password has MFA."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.iam import user_rows
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="iam_user_console_mfa_enabled",
    title="IAM users with a console password have MFA enabled",
    service="iam",
    severity=Severity.HIGH,
    resource_type="AWS::IAM::User",
    risk="A console password without a second factor is one phishing page or reused password away "
    "from an attacker signing in with all of the user's permissions.",
    remediation=Remediation(
        summary="Have the user register an MFA device (passkey, security key or authenticator app), "
        "and deny console actions without MFA until they do; or remove the console password.",
        cli="aws iam enable-mfa-device --user-name <USER> --serial-number <MFA_ARN> "
        "--authentication-code1 <CODE1> --authentication-code2 <CODE2>",
        cloudformation="AWS::IAM::User has no MFA property; enforce it with a policy denying actions "
        "when aws:MultiFactorAuthPresent is false.",
        terraform='resource "aws_iam_virtual_mfa_device" "user" { virtual_mfa_device_name = "<USER>" }',
    ),
    reads=("iam",),
    prowler_id="iam_user_mfa_enabled_console_access",
)


def run(inventory: Inventory) -> Iterator[Result]:
    users = user_rows(inventory)
    if isinstance(users, Result):
        yield users
        return
    for user in users:
        if not user.password_enabled:
            yield Result.passed(user.arn, GLOBAL, f"user {user.user} has no console password")
            continue
        yield Result.verdict(
            user.mfa_active,
            user.arn,
            GLOBAL,
            passed=f"user {user.user} has a console password and MFA",
            failed=f"user {user.user} has a console password and no MFA",
        )
