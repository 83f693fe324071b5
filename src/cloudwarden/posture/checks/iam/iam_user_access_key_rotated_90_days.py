"""CIS 1.14, AWS FSBP IAM.3: active access keys are rotated within 90 days."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.iam import days_since, user_rows
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

MAX_AGE_DAYS = 90
METADATA = CheckMetadata(
    id="iam_user_access_key_rotated_90_days",
    title="Active IAM access keys are rotated within 90 days",
    service="iam",
    severity=Severity.MEDIUM,
    resource_type="AWS::IAM::User",
    risk="The older a key, the more places it has been copied to (laptops, CI settings, scripts, "
    "backups); a key that is never rotated stays valid for as long as any of those copies leaks.",
    remediation=Remediation(
        summary="Create a new key, move its clients to it, then deactivate and delete the old one; "
        "better, replace user keys with roles and temporary credentials.",
        cli="aws iam create-access-key --user-name <USER> && aws iam update-access-key "
        "--user-name <USER> --access-key-id <OLD_KEY_ID> --status Inactive",
        cloudformation="Replace the AWS::IAM::AccessKey (bump its Serial property) and update its clients.",
        terraform="Replace the aws_iam_access_key (terraform apply -replace=aws_iam_access_key.<NAME>).",
    ),
    reads=("iam",),
    prowler_id="iam_rotate_access_key_90_days",
)


def run(inventory: Inventory) -> Iterator[Result]:
    users = user_rows(inventory)
    if isinstance(users, Result):
        yield users
        return
    for user in users:
        old = [
            f"access key {n} is {days_since(rotated)} days old"
            for n, rotated, _ in user.active_keys
            if rotated is not None and days_since(rotated) > MAX_AGE_DAYS
        ]
        yield Result.verdict(
            not old,
            user.arn,
            GLOBAL,
            passed=f"user {user.user} has no active access key older than {MAX_AGE_DAYS} days",
            failed=f"user {user.user}: {'; '.join(old)}",
        )
