"""AWS FSBP IAM.19: every IAM user has MFA enabled."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.iam import user_rows
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="iam_user_mfa_enabled",
    title="Every IAM user has MFA enabled",
    service="iam",
    severity=Severity.MEDIUM,
    resource_type="AWS::IAM::User",
    risk="A user without MFA cannot satisfy policies that require it, and anyone holding the user's "
    "password or keys acts as the user with no second proof of identity.",
    remediation=Remediation(
        summary="Register an MFA device for every IAM user, or replace long-lived users with IAM "
        "Identity Center users and roles.",
        cli="aws iam create-virtual-mfa-device --virtual-mfa-device-name <USER> "
        "--outfile qr.png --bootstrap-method QRCodePNG && aws iam enable-mfa-device "
        "--user-name <USER> --serial-number <MFA_ARN> --authentication-code1 <CODE1> "
        "--authentication-code2 <CODE2>",
        cloudformation="AWS::IAM::User has no MFA property; register the device with the CLI or console.",
        terraform='resource "aws_iam_virtual_mfa_device" "user" { virtual_mfa_device_name = "<USER>" }',
    ),
    reads=("iam",),
)


def run(inventory: Inventory) -> Iterator[Result]:
    users = user_rows(inventory)
    if isinstance(users, Result):
        yield users
        return
    for user in users:
        yield Result.verdict(
            user.mfa_active,
            user.arn,
            GLOBAL,
            passed=f"user {user.user} has MFA",
            failed=f"user {user.user} has no MFA device",
        )
