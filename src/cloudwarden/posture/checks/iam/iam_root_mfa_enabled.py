"""CIS 1.5, AWS FSBP IAM.9: the root user signs in with MFA."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.iam import root_row, summary_value
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="iam_root_mfa_enabled",
    title="MFA is enabled for the root user",
    service="iam",
    severity=Severity.CRITICAL,
    resource_type="AWS::IAM::User",
    risk="Without MFA the root user, which no policy can restrict, is protected by its password "
    "alone: a phished or reused password hands over the whole account.",
    remediation=Remediation(
        summary="Sign in as root and assign an MFA device (preferably a hardware key or passkey) "
        "under Security credentials, Multi-factor authentication.",
        cli="aws iam get-account-summary --query SummaryMap.AccountMFAEnabled  # 1 once assigned; "
        "root MFA is assigned in the console, signed in as root",
        cloudformation="Root MFA cannot be managed by CloudFormation; assign it in the console.",
        terraform="Root MFA cannot be managed by Terraform; assign it in the console.",
    ),
    reads=("iam",),
    prowler_id="iam_root_mfa_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    found = root_row(inventory)
    if isinstance(found, Result):
        yield found
        return
    data, row = found
    if not row.mfa_active:
        yield Result.failed(row.arn, GLOBAL, "the root user has no MFA device")
    elif summary_value(data, "AccountMFAEnabled") == 0:
        yield Result.failed(
            row.arn,
            GLOBAL,
            "the account summary says the root user has no MFA device (newer than the report)",
        )
    else:
        yield Result.passed(row.arn, GLOBAL, "the root user has an MFA device")
