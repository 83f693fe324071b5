"""CIS 1.13: each IAM user has at most one active access key."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.iam import user_rows
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="iam_user_single_active_access_key",
    title="IAM users have at most one active access key",
    service="iam",
    severity=Severity.MEDIUM,
    resource_type="AWS::IAM::User",
    risk="Two active keys for one user usually means a rotation that was never finished: the old key "
    "keeps working wherever it was copied, doubling what can leak.",
    remediation=Remediation(
        summary="Finish the rotation: move every client to the newer key, then deactivate and delete "
        "the older one.",
        cli="aws iam update-access-key --user-name <USER> --access-key-id <OLD_KEY_ID> --status Inactive",
        cloudformation="Keep one AWS::IAM::AccessKey per user with Status: Active.",
        terraform='Keep one aws_iam_access_key per user with status = "Active".',
    ),
    reads=("iam",),
    prowler_id="iam_user_two_active_access_key",
)


def run(inventory: Inventory) -> Iterator[Result]:
    users = user_rows(inventory)
    if isinstance(users, Result):
        yield users
        return
    for user in users:
        active = len(user.active_keys)
        yield Result.verdict(
            active <= 1,
            user.arn,
            GLOBAL,
            passed=f"user {user.user} has {active} active access key(s)",
            failed=f"user {user.user} has {active} active access keys",
        )
