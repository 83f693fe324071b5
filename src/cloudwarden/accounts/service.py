"""Account rules above the store: role ARN validation, finding an account, onboarding facts.

Keyword-only functions that never commit: the caller (a CLI command, an API request, a task)
owns the transaction.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from cloudwarden.aws import arns
from cloudwarden.errors import NotFound, UsageError, shorten
from cloudwarden.store import models
from cloudwarden.store import service as store

NAME_MAX = 255  # the accounts.name column
MIN_ID_PREFIX = 4
ROLE_ARN_EXAMPLE = arns.ROLE_ARN_EXAMPLE
STACK_NAME = "CloudWardenOnboarding"


def parse_role_arn(value: str) -> arns.IamArn:
    """A validated IAM role ARN, or a UsageError saying which part is wrong."""
    return arns.parse_iam_arn(value, kinds=("role",))


def check_name(name: str, *, what: str = "account name", limit: int = NAME_MAX) -> str:
    """A name as stored: stripped, not empty, not longer than its column."""
    cleaned = name.strip()
    if not cleaned:
        raise UsageError(f"the {what} is empty")
    if len(cleaned) > limit:
        raise UsageError(f"the {what} {shorten(cleaned, 40)!r} is {len(cleaned)} characters; at most {limit}")
    return cleaned


def resolve(*, db: Session, workspace_id: str, ref: str | None) -> models.Account:
    """The workspace's account `ref` names: its id, a unique id prefix, its AWS account id or its name.

    With no `ref`, the only registered account. A NotFound or UsageError says what matched.
    """
    accounts = store.list_accounts(db=db, workspace_id=workspace_id)
    if ref is None:
        if not accounts:
            raise NotFound("no account is registered", hint="run `cloudwarden connect --role-arn ARN` first")
        if len(accounts) > 1:
            raise UsageError(
                f"{len(accounts)} accounts are registered; name one with --account",
                hint="an id (or a unique prefix of it), an AWS account id, or a name: "
                + ", ".join(f"{a.name} ({aws_account_id(a)})" for a in accounts[:5]),
            )
        return accounts[0]
    wanted = ref.strip()
    for match in (
        lambda a: a.id == wanted,
        lambda a: aws_account_id(a) == wanted,
        lambda a: a.name == wanted,
        lambda a: len(wanted) >= MIN_ID_PREFIX and a.id.startswith(wanted),
    ):
        found = [a for a in accounts if match(a)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise UsageError(
                f"--account {shorten(wanted, 40)!r} matches {len(found)} accounts: "
                + ", ".join(f"{a.id[:8]} ({a.name})" for a in found[:5]),
                hint="use the full id (`cloudwarden accounts` lists them)",
            )
    raise NotFound(
        f"no registered account matches {shorten(wanted, 40)!r}",
        hint="`cloudwarden accounts` lists them; --account takes an id, a unique id prefix "
        f"(at least {MIN_ID_PREFIX} characters), an AWS account id or a name",
    )


def require_open(*, db: Session, workspace_id: str, account_id: str) -> models.Account:
    """The workspace's open account; another workspace's, a closed or an unknown one is NotFound."""
    account = store.get_account(db=db, workspace_id=workspace_id, account_id=account_id)
    if account is None or account.status == models.AccountStatus.CLOSED:
        raise NotFound(
            "no such account", hint=f"list them with GET /api/v1/workspaces/{workspace_id}/accounts"
        )
    return account


def quick_create_url(account: models.Account, *, template_url: str, enable_actions: bool = False) -> str:
    """The AWS console's quick-create page for the onboarding stack, this account's ExternalId filled in
    (and EnableActions, which adds the separate actions role)."""
    region = account.regions[0]
    query = urlencode(
        {
            "templateURL": template_url,
            "stackName": STACK_NAME,
            "param_ExternalId": account.external_id,
            "param_EnableActions": "true" if enable_actions else "false",
        }
    )
    return f"https://{region}.console.aws.amazon.com/cloudformation/home?region={region}#/stacks/quickcreate?{query}"


def aws_account_id(account: models.Account) -> str:
    return account.role_arn.split(":")[4]


def deploy_command(account: models.Account) -> str:
    """The exact command that deploys the onboarding template with this account's ExternalId."""
    return (
        "cloudwarden iam-template > cloudwarden.yaml && aws cloudformation deploy "
        f"--template-file cloudwarden.yaml --stack-name {STACK_NAME} --capabilities CAPABILITY_NAMED_IAM "
        f"--region {account.regions[0]} --parameter-overrides ExternalId={account.external_id}"
    )


def describe(account: models.Account) -> dict[str, Any]:
    """What `accounts show` prints: identity, state and everything onboarding needs."""
    return {
        "id": account.id,
        "name": account.name,
        "aws_account_id": aws_account_id(account),
        "role_arn": account.role_arn,
        "external_id": account.external_id,
        "regions": list(account.regions),
        "status": account.status,
        "status_reason": account.status_reason,
        "created_at": account.created_at,
        "connected_at": account.connected_at,
        "last_probe": account.last_probe,
        "actions_role_arn": account.actions_role_arn,
        "deploy_command": deploy_command(account),
    }


_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")


def check_region(region: str) -> str:
    cleaned = region.strip()
    if not _REGION.match(cleaned):
        raise UsageError(f"{shorten(cleaned, 40)!r} is not an AWS region (e.g. us-east-1, eu-west-2)")
    return cleaned
