"""CIS 1.4, AWS FSBP IAM.4: the root user has no access keys."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.iam import root_row, summary_value
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="iam_root_access_key_absent",
    title="The root user has no access keys",
    service="iam",
    severity=Severity.CRITICAL,
    resource_type="AWS::IAM::User",
    risk="Access keys of the root user give unrestricted, unscoped programmatic access to the "
    "whole account and cannot be limited by any IAM policy; a leaked key is a lost account. An "
    "inactive key can be switched back on by anyone who signs in as root.",
    remediation=Remediation(
        summary="Sign in as root, delete its access keys under Security credentials, and use "
        "IAM roles for programmatic access.",
        cli="aws iam delete-access-key --access-key-id <KEY_ID>  # signed in with root credentials",
        cloudformation="Root access keys cannot be managed by CloudFormation; delete them in the console.",
        terraform="Root access keys cannot be managed by Terraform; delete them in the console.",
    ),
    reads=("iam",),
    prowler_id="iam_no_root_access_key",
)


def run(inventory: Inventory) -> Iterator[Result]:
    found = root_row(inventory)
    if isinstance(found, Result):
        yield found
        return
    data, row = found
    active = len(row.active_keys)
    inactive = sum(1 for is_active, rotated, _ in row.access_keys if not is_active and rotated is not None)
    if active:
        yield Result.failed(row.arn, GLOBAL, f"the root user has {active} active access key(s)")
    elif inactive:
        yield Result.failed(row.arn, GLOBAL, f"the root user has {inactive} inactive access key(s)")
    elif summary_value(data, "AccountAccessKeysPresent"):
        yield Result.failed(
            row.arn,
            GLOBAL,
            "the account summary says the root user has an access key (newer than the credential report)",
        )
    else:
        yield Result.passed(row.arn, GLOBAL, "the root user has no access keys")
