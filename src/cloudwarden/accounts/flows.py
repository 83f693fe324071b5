"""Account use cases the CLI, the demo, the API and the worker share: register, connect, disconnect,
remove.

The caller owns the transaction. Where a flow learns something about the account that must be
kept even though the use case fails (the role was revoked), it records it through `db` and
returns the error as a value, so the caller can commit and then report it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from cloudwarden.accounts import service
from cloudwarden.audit import service as audit
from cloudwarden.aws.probe import ProbeResult
from cloudwarden.aws.session import AccountDisconnected, AssumedSession, SessionBroker
from cloudwarden.errors import CloudWardenError, Unreachable
from cloudwarden.evidence import registry as evidence_registry
from cloudwarden.store import models, retention
from cloudwarden.store import service as store


def register(
    *, db: Session, workspace_id: str, actor: str, role_arn: str, region: str, name: str | None = None
) -> tuple[models.Account, bool]:
    """The account for this role, registered now (with a new ExternalId) if it was not yet.

    Validates everything before anything is stored. Returns (account, created).
    """
    arn = service.parse_role_arn(role_arn)
    chosen_region = service.check_region(region)
    chosen_name = service.check_name(name) if name is not None else None
    existing = store.get_account_by_role(db=db, workspace_id=workspace_id, role_arn=arn.value)
    if existing is not None:
        return existing, False
    account = store.create_account(
        db=db,
        workspace_id=workspace_id,
        name=chosen_name or arn.value,
        role_arn=arn.value,
        regions=[chosen_region],
    )
    audit.record(
        db,
        workspace_id=workspace_id,
        action="account.register",
        actor=actor,
        target_type="account",
        target_id=account.id,
        details={"role_arn": account.role_arn},
    )
    return account, True


@dataclass
class Connection:
    """The outcome of reaching an account: a session, or the error, and what the probe saw."""

    account: models.Account
    session: AssumedSession | None = None
    probe: list[ProbeResult] = field(default_factory=list)
    error: CloudWardenError | None = None

    def raise_for_error(self) -> AssumedSession:
        if self.error is not None:
            raise self.error
        assert self.session is not None
        return self.session


def connect(*, db: Session, broker: SessionBroker, account: models.Account, probe: bool) -> Connection:
    """AssumeRole with the account's ExternalId; with `probe`, check each evidence source.

    Only a revocation (the role refuses CloudWarden) marks the account disconnected; an
    unreachable AWS (network, CloudWarden's own credentials, throttling) changes nothing; a
    successful AssumeRole marks it connected again.
    """
    try:
        session = broker.session(
            role_arn=account.role_arn, external_id=account.external_id, region=account.regions[0]
        )
        results = evidence_registry.probe(session) if probe else []
    except AccountDisconnected as exc:
        broker.forget(account.role_arn)
        store.mark_disconnected(db=db, account=account, reason=exc.message)
        revoked = AccountDisconnected(
            f"account {account.name} is disconnected: {exc.message}",
            hint=exc.hint,
            details={"account": account.id, "external_id": account.external_id, "connected": False},
        )
        return Connection(account=account, error=revoked)
    except Unreachable as exc:
        exc.details.update({"account": account.id, "connected": False})
        return Connection(account=account, error=exc)
    store.mark_connected(
        db=db, account=account, probe={r.source: r.detail for r in results} if probe else None
    )
    return Connection(account=account, session=session, probe=results)


def disconnect(
    *, db: Session, account: models.Account, actor: str, reason: str = "disconnected by a user"
) -> models.Account:
    """Stop using the account until its connection is tested again (`connect` reconnects it).

    Nothing is deleted: its incidents and diagnoses stay readable. Audited.
    """
    store.mark_disconnected(db=db, account=account, reason=reason)
    audit.record(
        db,
        workspace_id=account.workspace_id,
        action="account.disconnect",
        actor=actor,
        target_type="account",
        target_id=account.id,
        details={"reason": reason},
    )
    return account


def close(*, db: Session, account: models.Account, actor: str) -> models.Account:
    """Close the account now; the next retention purge deletes it with all its data. Audited.

    For a caller that may not purge (the API's database role, under row-level security, owns
    no table): `remove` is this plus the purge, for the CLI that runs as the owner.
    """
    store.close_account(db=db, account=account)
    audit.record(
        db,
        workspace_id=account.workspace_id,
        action="account.remove",
        actor=actor,
        target_type="account",
        target_id=account.id,
        details={"deleted": "at the next retention purge"},
    )
    return account


def remove(*, db: Session, account: models.Account, actor: str) -> dict[str, int]:
    """Close the account and delete its data now, as retention promises for closed accounts.

    Returns the rows deleted per table: this account with its incidents, evidence, metrics and
    diagnoses (and anything else already past its retention, which the next purge would delete).
    """
    store.close_account(db=db, account=account)
    workspace_id, account_id = account.workspace_id, account.id
    counts = retention.purge(db)
    audit.record(
        db,
        workspace_id=workspace_id,
        action="account.remove",
        actor=actor,
        target_type="account",
        target_id=account_id,
        details={"deleted": {table: n for table, n in counts.items() if n}},
    )
    return counts


def set_actions_role(
    *, db: Session, account: models.Account, actor: str, actions_role_arn: str | None
) -> models.Account:
    """Record the stack's actions role (EnableActions=true), or None to turn actions off.

    It must be a role in the account's own AWS account: an approved action runs with it, and only
    with it (never with the read role).
    """
    from cloudwarden.errors import UsageError

    if actions_role_arn is not None:
        arn = service.parse_role_arn(actions_role_arn)
        read = service.parse_role_arn(account.role_arn)
        if arn.account_id != read.account_id:
            raise UsageError(
                f"the actions role is in AWS account {arn.account_id}, the account's read role in "
                f"{read.account_id}: both come from the same onboarding stack"
            )
        if arn.value == read.value:
            raise UsageError(
                "the actions role must not be the read-only role",
                hint="use the stack's ActionsRoleArn output",
            )
        actions_role_arn = arn.value
    account.actions_role_arn = actions_role_arn
    audit.record(
        db,
        workspace_id=account.workspace_id,
        action="account.actions_role",
        actor=actor,
        target_type="account",
        target_id=account.id,
        details={"actions_role_arn": actions_role_arn},
    )
    return account
