"""CIS 1.11: no console user holds an active access key that was never used (keys made "just in
case" when the user was set up)."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.iam import user_rows
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="iam_user_no_unused_initial_access_key",
    title="Console users have no active access key that was never used",
    service="iam",
    severity=Severity.MEDIUM,
    resource_type="AWS::IAM::User",
    risk="Access keys created along with a console user, and never needed, are long-lived secrets "
    "that nobody watches; they widen what can leak without serving anyone.",
    remediation=Remediation(
        summary="Delete access keys that were never used, and create keys only when the user asks "
        "for programmatic access.",
        cli="aws iam delete-access-key --user-name <USER> --access-key-id <KEY_ID>",
        cloudformation="Remove the unused AWS::IAM::AccessKey resource for the user.",
        terraform="Remove the unused aws_iam_access_key resource for the user.",
    ),
    reads=("iam",),
    prowler_id="iam_user_no_setup_initial_access_key",
)


def run(inventory: Inventory) -> Iterator[Result]:
    users = user_rows(inventory)
    if isinstance(users, Result):
        yield users
        return
    for user in users:
        unused = [n for n, _, used in user.active_keys if used is None]
        if user.password_enabled and unused:
            keys = " and ".join(str(n) for n in unused)
            yield Result.failed(
                user.arn,
                GLOBAL,
                f"user {user.user} has a console password and never used active access key {keys}",
            )
        else:
            yield Result.passed(
                user.arn, GLOBAL, f"user {user.user} has no never-used access key next to a password"
            )
