"""CIS 1.7: the root user is not used for everyday tasks (no recent sign-in or key use)."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.checks.iam import days_since, root_row
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="iam_root_not_used_recently",
    title="The root user has not been used recently",
    service="iam",
    severity=Severity.HIGH,
    resource_type="AWS::IAM::User",
    risk="Routine work as root runs with permissions no policy can limit and leaves no named person "
    "in the audit trail; regular root sign-ins also mean its credentials are handled often, which "
    "is how they leak.",
    remediation=Remediation(
        summary="Do daily and administrative work through IAM Identity Center or IAM roles; keep the "
        "root user for the few tasks that need it, and find out who signed in as root and why.",
        cli="aws cloudtrail lookup-events --lookup-attributes "
        "AttributeKey=Username,AttributeValue=root --max-results 20",
        cloudformation="Not a resource setting: grant administrators an IAM Identity Center permission "
        "set or an AWS::IAM::Role instead of using root.",
        terraform="Not a resource setting: grant administrators an aws_ssoadmin_permission_set or an "
        "aws_iam_role instead of using root.",
    ),
    reads=("iam",),
    prowler_id="iam_avoid_root_usage",
)
RECENT_DAYS = 7  # root use within this many days fails


def run(inventory: Inventory) -> Iterator[Result]:
    found = root_row(inventory)
    if isinstance(found, Result):
        yield found
        return
    _, row = found
    uses = [("signed in to the console", row.password_last_used)]
    uses += [(f"used access key {n}", used) for n, (_, _, used) in enumerate(row.access_keys, 1)]
    dated = [(when, what) for what, when in uses if when is not None]
    if not dated:
        yield Result.passed(row.arn, GLOBAL, "the credential report shows no use of the root user")
        return
    when, what = max(dated)
    days = days_since(when)
    yield Result.verdict(
        days > RECENT_DAYS,
        row.arn,
        GLOBAL,
        passed=f"the root user was last used {days} days ago",
        failed=f"the root user {what} {days} day(s) ago ({when:%Y-%m-%d}); the limit is {RECENT_DAYS} days",
    )
