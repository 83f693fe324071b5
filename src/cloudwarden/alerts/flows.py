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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudwarden.alerts import service
from cloudwarden.alerts.errors import IntakeRefused, InvalidAlert
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
    """Store one delivery; IntakeRefused or InvalidAlert say why it was not."""
    [outcome] = receive_batch(
        db=db, workspace_id=workspace_id, items=[Delivery(source, delivery_id, transition, via_account)]
    )
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


@dataclass(frozen=True)
class Delivery:
    """An alarm transition as one source delivered it."""

    source: AlertSource
    delivery_id: str
    transition: Transition
    via_account: str | None = None  # the account owning the SNS topic it came through


def receive_batch(
    *, db: Session, workspace_id: str, items: Sequence[Delivery]
) -> list[Received | IntakeRefused | InvalidAlert]:
    """Store deliveries to one workspace, each refused on its own when its account is not connected.

    A closed or unknown workspace refuses the whole batch (IntakeRefused raised).
    """
    open_workspace(db, workspace_id)
    accounts = live_accounts(db, workspace_id)  # one read for the whole batch
    outcomes: list[Received | IntakeRefused | InvalidAlert | None] = [None] * len(items)
    accepted: list[tuple[int, service.Incoming]] = []
    for index, item in enumerate(items):
        try:
            if item.via_account is not None and item.via_account != item.transition.aws_account_id:
                connected_account(
                    db, workspace_id=workspace_id, aws_account_id=item.via_account, accounts=accounts
                )
            account = connected_account(
                db,
                workspace_id=workspace_id,
                aws_account_id=item.transition.aws_account_id,
                accounts=accounts,
            )
        except IntakeRefused as exc:
            outcomes[index] = exc
            continue
        accepted.append((index, service.Incoming(account, item.source, item.delivery_id, item.transition)))
    stored = service.record_batch(
        db=db, workspace_id=workspace_id, items=[incoming for _, incoming in accepted]
    )
    for (index, _), outcome in zip(accepted, stored, strict=True):
        outcomes[index] = outcome
    return [o for o in outcomes if o is not None]


def follow_up(workspace_id: str, received: Received) -> list[tuple[str, dict[str, str]]]:
    """The tasks a stored alert calls for, once committed: (task name, its keyword arguments)."""
    if received.duplicate or received.incident_id is None:
        return []
    ids = {"workspace_id": workspace_id, "incident_id": received.incident_id}
    tasks = []
    if received.opened:
        tasks.append(("investigate_incident", ids))
    if received.resolved and received.recovery_to_report:  # back to OK after an action of ours
        tasks.append(("incident_resolved", ids))
    return tasks


def recent_enough(transition: Transition, *, now: datetime, lookback_minutes: int) -> bool:
    """Whether an ALARM seen by the poller is recent enough to investigate (an alarm stuck in
    ALARM for weeks when an account is connected is not a new incident)."""
    return transition.changed_at >= now - timedelta(minutes=lookback_minutes)


def _aws_account_of(role_arn: str) -> str | None:
    try:
        return arns.parse_iam_arn(role_arn).account_id
    except UsageError:
        return None
