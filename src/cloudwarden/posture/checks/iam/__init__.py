"""The IAM checks, and what they share: reading the IAM inventory or saying why it is missing.

Each helper returns the data a check needs, or the ERROR result to report instead, so a check
never judges what was not read:

    found = root_row(inventory)
    if isinstance(found, Result):
        yield found
        return
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from cloudwarden.posture.collectors.iam import (
    Authorization,
    CredentialRow,
    IamData,
    ManagedPolicy,
    PasswordPolicy,
)
from cloudwarden.posture.inventory import GLOBAL, Inventory
from cloudwarden.posture.model import Result, Unknown

NO_ROOT_LINE = "the credential report has no root user line"
NO_USERS = "the account has no IAM users"
SERVICE_WILDCARD = re.compile(r"^[a-z0-9-]+:\*$", re.IGNORECASE)


def iam_data(inventory: Inventory) -> IamData | Result:
    data: IamData | Unknown = inventory.account("iam")
    if isinstance(data, Unknown):
        return Result.error(inventory.account_arn, GLOBAL, data)
    return data


def root_row(inventory: Inventory) -> tuple[IamData, CredentialRow] | Result:
    """The IAM data and the root user's line of the credential report."""
    data = iam_data(inventory)
    if isinstance(data, Result):
        return data
    row = data.root()
    if isinstance(row, Unknown):
        return Result.error(inventory.account_arn, GLOBAL, row)
    if row is None:
        return Result.error(inventory.account_arn, GLOBAL, NO_ROOT_LINE)
    return data, row


def user_rows(inventory: Inventory) -> list[CredentialRow] | Result:
    """The credential report's user lines (not the root's); NOT_APPLICABLE when there are none."""
    data = iam_data(inventory)
    if isinstance(data, Result):
        return data
    users = data.users()
    if isinstance(users, Unknown):
        return Result.error(inventory.account_arn, GLOBAL, users)
    if not users:
        return Result.not_applicable(inventory.account_arn, GLOBAL, NO_USERS)
    return users


def authorization(inventory: Inventory) -> Authorization | Result:
    data = iam_data(inventory)
    if isinstance(data, Result):
        return data
    if isinstance(data.authorization, Unknown):
        return Result.error(inventory.account_arn, GLOBAL, data.authorization)
    return data.authorization


def summary_value(data: IamData, key: str) -> int | None:
    """One GetAccountSummary counter, or None when the summary could not be read."""
    if isinstance(data.summary, Unknown):
        return None
    value = data.summary.get(key)
    return int(value) if value is not None else None


def days_since(when: datetime, now: datetime | None = None) -> int:
    return ((now or datetime.now(UTC)) - when).days


def managed_policy_arn(inventory: Inventory, name: str) -> str:
    """The ARN of an AWS managed policy in the scanned partition."""
    return f"arn:{inventory.partition}:iam::aws:policy/{name}"


def password_policy(inventory: Inventory) -> PasswordPolicy | Result:
    """The account's password policy, or the result to report: ERROR when unread, FAIL when none."""
    data = iam_data(inventory)
    if isinstance(data, Result):
        return data
    policy = data.password_policy
    if isinstance(policy, Unknown):
        return Result.error(inventory.account_arn, GLOBAL, policy)
    if policy is None:
        return Result.failed(inventory.account_arn, GLOBAL, "the account has no IAM password policy")
    return policy


def stale_credentials(row: CredentialRow, days: int, now: datetime | None = None) -> list[str]:
    """A user's enabled credentials not used for `days` days or more, described. A credential
    never used counts from when it was set (the password's last change, the key's creation)."""
    now = now or datetime.now(UTC)
    stale: list[str] = []
    if row.password_enabled:
        used = row.password_last_used
        since = used or row.password_last_changed or row.created
        if since is not None and days_since(since, now) >= days:
            what = "used" if used else "set and never used"
            stale.append(f"console password last {what} {days_since(since, now)} days ago")
    for n, rotated, used in row.active_keys:
        since = used or rotated
        if since is not None and days_since(since, now) >= days:
            what = "used" if used else "created and never used"
            stale.append(f"access key {n} last {what} {days_since(since, now)} days ago")
    return stale


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allows(statement: dict[str, Any]) -> bool:
    return str(statement.get("Effect", "")).lower() == "allow"


def grants_full_admin(policy: ManagedPolicy) -> bool:
    """An Allow statement with Action "*" (or "*:*") on Resource "*"."""
    return any(
        allows(s)
        and any(a in ("*", "*:*") for a in _as_list(s.get("Action")))
        and "*" in _as_list(s.get("Resource"))
        for s in policy.statements()
    )


def service_wildcards(policy: ManagedPolicy) -> list[str]:
    """The "service:*" actions its Allow statements grant, e.g. ["s3:*"]."""
    return sorted(
        {
            str(a)
            for s in policy.statements()
            if allows(s)
            for a in _as_list(s.get("Action"))
            if isinstance(a, str) and SERVICE_WILDCARD.match(a)
        }
    )


def customer_policies(inventory: Inventory) -> tuple[ManagedPolicy, ...] | Result:
    """The customer managed policies; NOT_APPLICABLE when the account has none."""
    found = authorization(inventory)
    if isinstance(found, Result):
        return found
    if not found.policies:
        return Result.not_applicable(
            inventory.account_arn, GLOBAL, "the account has no customer managed policies"
        )
    return found.policies


def boundary_only(policy: ManagedPolicy) -> bool:
    """Used only as a permissions boundary: it limits, it grants nothing."""
    return policy.attachment_count == 0 and policy.boundary_count > 0


def judge_customer_policies(
    inventory: Inventory, judge: Callable[[ManagedPolicy], Result]
) -> Iterator[Result]:
    """judge(policy) for each customer managed policy whose document was read; a policy used
    only as a permissions boundary passes (it grants nothing), an unread document is ERROR."""
    policies = customer_policies(inventory)
    if isinstance(policies, Result):
        yield policies
        return
    for policy in policies:
        if boundary_only(policy):
            yield Result.passed(
                policy.arn, GLOBAL, f"policy {policy.name} is used only as a permissions boundary"
            )
        elif isinstance(policy.document, Unknown):
            yield Result.error(policy.arn, GLOBAL, policy.document)
        else:
            yield judge(policy)


def judge_stale_users(inventory: Inventory, days: int) -> Iterator[Result]:
    """Each user: FAIL naming every password or active key unused for `days` or more."""
    users = user_rows(inventory)
    if isinstance(users, Result):
        yield users
        return
    for user in users:
        stale = stale_credentials(user, days)
        yield Result.verdict(
            not stale,
            user.arn,
            GLOBAL,
            passed=f"user {user.user} has no credential unused for {days} days",
            failed=f"user {user.user}: {'; '.join(stale)}",
        )
