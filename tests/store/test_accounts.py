"""Accounts: registration, ExternalId, connect, disconnect, close."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cloudwarden.store import service
from cloudwarden.store.db import session_scope
from cloudwarden.store.models import Account, AccountStatus
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID

from .conftest import new_account

ROLE = "arn:aws:iam::123456789012:role/CloudWardenReadOnly"
PROBE = {
    "cloudtrail": {"usable": True, "denied": []},
    "logs": {"usable": False, "denied": ["logs:FilterLogEvents"]},
}


def test_new_account_waits_for_its_first_check(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as db:
        account = service.create_account(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            name=" prod ",
            role_arn=ROLE,
            regions=["eu-west-1", "us-east-1", "eu-west-1"],
        )
        account_id = account.id

    with session_scope(factory) as db:
        stored = service.get_account(db=db, workspace_id=DEFAULT_WORKSPACE_ID, account_id=account_id)
        assert stored is not None
        assert (stored.name, stored.role_arn) == ("prod", ROLE)
        assert stored.regions == ["eu-west-1", "us-east-1"]
        assert stored.status == AccountStatus.DISCONNECTED
        assert stored.status_reason == "not checked yet"
        assert stored.connected_at is None and stored.last_probe is None
        assert stored.created_at.tzinfo is not None
        assert service.get_account_by_role(db=db, workspace_id=DEFAULT_WORKSPACE_ID, role_arn=ROLE) == stored


def test_account_repr_does_not_reveal_the_external_id(db: Session) -> None:
    account = new_account(db)
    assert account.external_id not in repr(account)


@pytest.mark.parametrize(
    ("name", "role_arn", "regions", "message"),
    [
        ("", ROLE, ["eu-west-1"], "needs a name"),
        ("prod", " ", ["eu-west-1"], "ARN of the role"),
        ("prod", ROLE, [], "at least one region"),
        ("prod", ROLE, [" "], "at least one region"),
    ],
)
def test_incomplete_accounts_are_refused(
    db: Session, name: str, role_arn: str, regions: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        service.create_account(
            db=db, workspace_id=DEFAULT_WORKSPACE_ID, name=name, role_arn=role_arn, regions=regions
        )


def test_external_ids_are_long_random_and_valid_for_sts(db: Session) -> None:
    accounts = [new_account(db, name=f"a{i}") for i in range(50)]
    external_ids = [account.external_id for account in accounts]

    assert len(set(external_ids)) == len(external_ids)
    for external_id in external_ids:
        # 32 random bytes; sts:ExternalId allows 2-1224 characters of [\w+=,.@:/-].
        assert len(external_id) >= 43
        assert re.fullmatch(r"[A-Za-z0-9_-]+", external_id)
    # Not derived from the account: the same name and role never give the same id.
    assert service.new_external_id() != service.new_external_id()


def test_the_database_refuses_a_duplicate_external_id(db: Session) -> None:
    first = new_account(db, name="first")
    second = new_account(db, name="second")
    second.external_id = first.external_id
    with pytest.raises(IntegrityError):
        db.flush()


def test_a_role_can_back_only_one_live_account(db: Session) -> None:
    first = service.create_account(
        db=db, workspace_id=DEFAULT_WORKSPACE_ID, name="prod", role_arn=ROLE, regions=["eu-west-1"]
    )

    with pytest.raises(service.AccountExistsError, match="already registered as account 'prod'"):
        service.create_account(
            db=db, workspace_id=DEFAULT_WORKSPACE_ID, name="again", role_arn=ROLE, regions=["eu-west-1"]
        )

    service.close_account(db=db, account=first)
    again = service.create_account(
        db=db, workspace_id=DEFAULT_WORKSPACE_ID, name="again", role_arn=ROLE, regions=["eu-west-1"]
    )
    assert again.id != first.id
    assert again.external_id != first.external_id
    assert service.get_account_by_role(db=db, workspace_id=DEFAULT_WORKSPACE_ID, role_arn=ROLE) == again


def test_the_database_refuses_two_live_accounts_on_one_role(db: Session) -> None:
    # Two registrations racing past the service's check still cannot both succeed.
    new_account(db, role_arn=ROLE)
    duplicate = Account(
        name="race", role_arn=ROLE, external_id=service.new_external_id(), regions=["eu-west-1"]
    )
    db.add(duplicate)
    with pytest.raises(IntegrityError):
        db.flush()


def test_connect_disconnect_and_close(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as db:
        account = new_account(db)
        service.mark_connected(db=db, account=account, probe=PROBE)
        account_id = account.id

    with session_scope(factory) as db:
        connected = service.get_account(db=db, workspace_id=DEFAULT_WORKSPACE_ID, account_id=account_id)
        assert connected is not None
        assert connected.status == AccountStatus.CONNECTED
        assert connected.status_reason is None
        assert connected.last_probe == PROBE
        connected_at = connected.connected_at
        assert connected_at is not None

        service.mark_disconnected(db=db, account=connected, reason="AccessDenied: sts:AssumeRole")

    with session_scope(factory) as db:
        disconnected = service.get_account(db=db, workspace_id=DEFAULT_WORKSPACE_ID, account_id=account_id)
        assert disconnected is not None
        assert disconnected.status == AccountStatus.DISCONNECTED
        assert disconnected.status_reason == "AccessDenied: sts:AssumeRole"
        assert disconnected.last_probe == PROBE  # what was last seen stays visible

        service.mark_connected(db=db, account=disconnected, probe={})
        assert disconnected.connected_at is not None and disconnected.connected_at >= connected_at
        service.close_account(db=db, account=disconnected)
        closed_at = disconnected.closed_at
        service.close_account(db=db, account=disconnected)  # closing twice changes nothing
        assert disconnected.closed_at == closed_at

    with session_scope(factory) as db:
        closed = service.get_account(db=db, workspace_id=DEFAULT_WORKSPACE_ID, account_id=account_id)
        assert closed is not None
        assert closed.status == AccountStatus.CLOSED
        assert closed.closed_at is not None
        assert service.list_accounts(db=db, workspace_id=DEFAULT_WORKSPACE_ID) == []
        assert service.list_accounts(db=db, workspace_id=DEFAULT_WORKSPACE_ID, include_closed=True) == [
            closed
        ]
        with pytest.raises(service.AccountClosedError):
            service.mark_connected(db=db, account=closed, probe=PROBE)
        with pytest.raises(service.AccountClosedError):
            service.mark_disconnected(db=db, account=closed, reason="x")


def test_list_accounts_in_creation_order(db: Session) -> None:
    names = ["alpha", "beta", "gamma"]
    for name in names:
        new_account(db, name=name)
    assert [
        account.name for account in service.list_accounts(db=db, workspace_id=DEFAULT_WORKSPACE_ID)
    ] == names
