"""Consents: single use, 90 seconds, bound to workspace, approver, action, resource and parameters."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from cloudwarden.actions import consent
from cloudwarden.store import models
from cloudwarden.store import service as store
from cloudwarden.store.alerting import ActionProposal
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID, Workspace
from cloudwarden.store.types import utcnow

RESOURCE = "arn:aws:ecs:us-east-1:123456789012:service/shop/worker"
PARAMS = {"cluster": "shop", "service": "worker"}


@pytest.fixture
def proposal(factory: sessionmaker[Session]) -> Iterator[ActionProposal]:
    with factory.begin() as db:
        account = store.create_account(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            name="prod",
            role_arn="arn:aws:iam::123456789012:role/CloudWardenReadOnly",
            regions=["us-east-1"],
        )
        incident, _ = store.record_incident(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            account_id=account.id,
            alarm_name="worker-memory",
            alarm_arn="arn:aws:cloudwatch:us-east-1:123456789012:alarm:worker-memory",
            region="us-east-1",
            opened_at=utcnow(),
            notification={},
            dedup_key="x",
        )
        row = ActionProposal(
            workspace_id=DEFAULT_WORKSPACE_ID,
            incident_id=incident.id,
            account_id=account.id,
            action="restart_ecs_service",
            resource=RESOURCE,
            params=PARAMS,
            result={},
        )
        db.add(row)
    yield row


def _redeem(db: Session, token: str, **changes: object) -> models.Base:
    arguments: dict[str, object] = {
        "db": db,
        "workspace_id": DEFAULT_WORKSPACE_ID,
        "token": token,
        "user_id": "u1",
        "action": "restart_ecs_service",
        "resource": RESOURCE,
        "params": dict(PARAMS),
    }
    arguments.update(changes)
    return consent.redeem(**arguments)  # type: ignore[arg-type]


def _issue(factory: sessionmaker[Session], proposal: ActionProposal, **kwargs: object) -> str:
    with factory.begin() as db:
        row = db.get(ActionProposal, proposal.id)
        assert row is not None
        return consent.issue(
            db=db, proposal=row, approver_id="u1", approver="a@example.com", via="api", **kwargs
        ).token  # type: ignore[arg-type]


def test_a_consent_works_once(factory: sessionmaker[Session], proposal: ActionProposal) -> None:
    token = _issue(factory, proposal)
    with factory.begin() as db:
        assert (
            _redeem(db, token, params={"service": "worker", "cluster": "shop"}).used_at is not None
        )  # key order is not a change
    with factory.begin() as db, pytest.raises(consent.ConsentRefused) as refused:
        _redeem(db, token)
    assert refused.value.reason == "used"


def test_a_consent_expires_after_90_seconds(factory: sessionmaker[Session], proposal: ActionProposal) -> None:
    issued_at = utcnow() - timedelta(seconds=91)
    token = _issue(factory, proposal, now=issued_at)
    with factory.begin() as db, pytest.raises(consent.ConsentRefused) as refused:
        _redeem(db, token)
    assert refused.value.reason == "expired" and "90 s" in refused.value.message


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"params": {"cluster": "shop", "service": "web"}}, "altered"),
        ({"resource": RESOURCE.replace("worker", "web")}, "altered"),
        ({"action": "reboot_rds_instance"}, "altered"),
        ({"user_id": "someone-else"}, "not_approver"),
    ],
)
def test_a_consent_covers_exactly_what_was_approved(
    factory: sessionmaker[Session], proposal: ActionProposal, change: dict[str, object], reason: str
) -> None:
    token = _issue(factory, proposal)
    with factory.begin() as db, pytest.raises(consent.ConsentRefused) as refused:
        _redeem(db, token, **change)
    assert refused.value.reason == reason
    with factory.begin() as db:  # a refused attempt does not spend it
        assert _redeem(db, token).used_at is not None


def test_a_forged_or_foreign_consent_is_refused(
    factory: sessionmaker[Session], proposal: ActionProposal
) -> None:
    token = _issue(factory, proposal)
    with factory.begin() as db:
        other = Workspace(name="Other", slug="other")
        db.add(other)
        db.flush()
        other_id = other.id
    for bad, workspace, reason in (
        (token[:-4] + "AAAA", DEFAULT_WORKSPACE_ID, "invalid"),
        (token, other_id, "unknown"),
        ("cw_consent_not-a-consent", DEFAULT_WORKSPACE_ID, "unknown"),
    ):
        with factory.begin() as db, pytest.raises(consent.ConsentRefused) as refused:
            _redeem(db, bad, workspace_id=workspace)
        assert refused.value.reason == reason


def test_two_uses_at_once_cannot_both_pass(factory: sessionmaker[Session], proposal: ActionProposal) -> None:
    token = _issue(factory, proposal)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def use() -> None:
        barrier.wait()
        try:
            with factory.begin() as db:
                _redeem(db, token)
            outcomes.append("spent")
        except consent.ConsentRefused as exc:
            outcomes.append(exc.reason)
        except Exception as exc:  # SQLite: the loser may find the database locked
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=use) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("spent") == 1, outcomes
