"""Incidents: recording alarm notifications exactly once, listing them."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cloudwarden.store import service
from cloudwarden.store.db import session_scope
from cloudwarden.store.models import Account, Incident, IncidentState
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID

from .conftest import at, new_account


def record(db: Session, account: Account, dedup_key: str, **overrides: object) -> tuple[Incident, bool]:
    arguments: dict[str, object] = {
        "alarm_name": "api-5xx",
        "alarm_arn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:api-5xx",
        "region": "eu-west-1",
        "opened_at": at("2025-11-20T10:00:00"),
        "notification": {"AlarmName": "api-5xx", "NewStateValue": "ALARM", "Trigger": {"Period": 60}},
    }
    arguments.update(overrides)
    return service.record_incident(
        db=db, workspace_id=DEFAULT_WORKSPACE_ID, account_id=account.id, dedup_key=dedup_key, **arguments
    )  # type: ignore[arg-type]


def test_a_redelivered_notification_is_the_same_incident(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as db:
        account = new_account(db)
        first, created = record(db, account, "sns-message-1")
        assert created and first.state == IncidentState.OPEN
        account_id, first_id = account.id, first.id

    with session_scope(factory) as db:  # SNS delivers again, later
        same_account = service.get_account(db=db, workspace_id=DEFAULT_WORKSPACE_ID, account_id=account_id)
        assert same_account is not None
        again, created = record(db, same_account, "sns-message-1")
        assert not created
        assert again.id == first_id
        other, created = record(db, same_account, "sns-message-2")
        assert created and other.id != first_id

    with session_scope(factory) as db:
        assert db.scalar(select(func.count()).select_from(Incident)) == 2
        stored = service.get_incident(db=db, workspace_id=DEFAULT_WORKSPACE_ID, incident_id=first_id)
        assert stored is not None
        assert stored.notification["Trigger"] == {"Period": 60}
        assert stored.opened_at == at("2025-11-20T10:00:00")


def test_concurrent_redelivery_keeps_one_incident(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(factory) as db:
        account = new_account(db)
        winner, _ = record(db, account, "sns-message-1")
        winner_id = winner.id

    # The losing delivery checked before the winner committed: its insert hits the unique key.
    calls: list[str] = []
    original = service._incident_by_dedup_key

    def stale_first_lookup(db: Session, dedup_key: str) -> Incident | None:
        calls.append(dedup_key)
        return None if len(calls) == 1 else original(db, dedup_key)

    monkeypatch.setattr(service, "_incident_by_dedup_key", stale_first_lookup)
    with session_scope(factory) as db:
        account = db.merge(account)
        loser, created = record(db, account, "sns-message-1")
        assert not created
        assert loser.id == winner_id
        # The transaction is still usable after the conflict.
        new_account(db, name="after-conflict")
    assert len(calls) == 2  # the stale check, then the lookup after the refused insert

    with session_scope(factory) as db:
        assert db.scalar(select(func.count()).select_from(Incident)) == 1
        assert {a.name for a in service.list_accounts(db=db, workspace_id=DEFAULT_WORKSPACE_ID)} == {
            "prod",
            "after-conflict",
        }


def test_incidents_are_refused_for_unknown_and_closed_accounts(db: Session) -> None:
    account = new_account(db)
    service.close_account(db=db, account=account)
    with pytest.raises(service.AccountClosedError):
        record(db, account, "k1")
    ghost = Account(
        id=str(uuid.uuid4()),
        name="ghost",
        role_arn="arn:aws:iam::999999999999:role/Gone",
        external_id="x",
        regions=[],
    )
    with pytest.raises(service.NotFoundError):
        record(db, ghost, "k2")


def test_alarm_times_must_carry_a_timezone(db: Session) -> None:
    account = new_account(db)
    with pytest.raises(ValueError, match="no timezone"):
        record(db, account, "k1", opened_at=datetime(2025, 11, 20, 10, 0))


def test_list_incidents_newest_first_per_account(db: Session) -> None:
    prod, staging = new_account(db, name="prod"), new_account(db, name="staging")
    for hour in (9, 11, 10):
        record(db, prod, f"prod-{hour}", opened_at=at(f"2025-11-20T{hour:02d}:00:00"))
    record(db, staging, "staging-1", opened_at=at("2025-11-20T12:00:00"))

    newest = service.list_incidents(db=db, workspace_id=DEFAULT_WORKSPACE_ID, account_id=prod.id)
    assert [incident.dedup_key for incident in newest] == ["prod-11", "prod-10", "prod-9"]
    assert [
        i.dedup_key for i in service.list_incidents(db=db, workspace_id=DEFAULT_WORKSPACE_ID, limit=2)
    ] == ["staging-1", "prod-11"]
    with pytest.raises(ValueError, match="limit"):
        service.list_incidents(db=db, workspace_id=DEFAULT_WORKSPACE_ID, limit=0)
