"""Receiving an alarm transition, whichever way it came: check whose it is, then store it.

    received = flows.receive(db=db, workspace_id=ws, source=AlertSource.SNS, delivery_id=message_id,
                             transition=transition, via_account="123456789012")
    db.commit()                                   # stored before the sender is answered
    if received.opened: dispatcher.investigate_incident(...)

Only accounts connected to the workspace are heard: the alarm's account must be one of them, and
so must the account that owns the SNS topic it came through (`via_account`). Anything else is
refused with `IntakeRefused` and nothing is stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudwarden.alerts import service
from cloudwarden.alerts.errors import IntakeRefused
from cloudwarden.alerts.service import Received, Transition
from cloudwarden.aws import arns
from cloudwarden.errors import UsageError
from cloudwarden.store import models
from cloudwarden.store.alerting import AlertSource
from cloudwarden.store.tenancy import Workspace


def open_workspace(db: Session, workspace_id: str) -> Workspace:
    workspace = db.get(Workspace, workspace_id)
    if workspace is None or workspace.closed_at is not None:
        raise IntakeRefused("no such workspace")
    return workspace


def connected_account(
    db: Session, *, workspace_id: str, aws_account_id: str, accounts: list[models.Account] | None = None
) -> models.Account:
    """The workspace's live account for an AWS account id; IntakeRefused when there is none."""
    for account in accounts if accounts is not None else live_accounts(db, workspace_id):
        if _aws_account_of(account.role_arn) == aws_account_id:
            return account
    raise IntakeRefused(f"AWS account {aws_account_id} is not connected to this workspace")


def live_accounts(db: Session, workspace_id: str) -> list[models.Account]:
    return list(
        db.scalars(
            select(models.Account).where(
                models.Account.workspace_id == workspace_id,
                models.Account.status != models.AccountStatus.CLOSED.value,
            )
        )
    )


def receive(
    *,
    db: Session,
    workspace_id: str,
    source: AlertSource,
    delivery_id: str,
    transition: Transition,
    via_account: str | None = None,
) -> Received:
    open_workspace(db, workspace_id)
    accounts = live_accounts(db, workspace_id)  # one read for both checks
    if via_account is not None and via_account != transition.aws_account_id:
        connected_account(db, workspace_id=workspace_id, aws_account_id=via_account, accounts=accounts)
    account = connected_account(
        db, workspace_id=workspace_id, aws_account_id=transition.aws_account_id, accounts=accounts
    )
    return service.record(
        db=db,
        workspace_id=workspace_id,
        account=account,
        source=source,
        delivery_id=delivery_id,
        transition=transition,
    )


def recent_enough(transition: Transition, *, now: datetime, lookback_minutes: int) -> bool:
    """Whether an ALARM seen by the poller is recent enough to investigate (an alarm stuck in
    ALARM for weeks when an account is connected is not a new incident)."""
    return transition.changed_at >= now - timedelta(minutes=lookback_minutes)


def _aws_account_of(role_arn: str) -> str | None:
    try:
        return arns.parse_iam_arn(role_arn).account_id
    except UsageError:
        return None
