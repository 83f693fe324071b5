"""Findings followed across scans: new, open, resolved, recurring; suppressions and their expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from cloudwarden.errors import UsageError
from cloudwarden.posture import frameworks, scoring, service
from cloudwarden.posture.model import Finding, Severity, Status
from cloudwarden.posture.scan import ScanOutcome
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID
from cloudwarden.store.types import utcnow
from tests.conftest import add_connected_account

CHECK = "iam_root_access_key_absent"


@pytest.fixture
def factory(migrated_store: sessionmaker[Session]) -> sessionmaker[Session]:
    return migrated_store


def _finding(resource: str, status: Status) -> Finding:
    return Finding(CHECK, Severity.CRITICAL, "iam", "AWS::IAM::User", resource, "global", status, "seen")


def _scan(db: Session, account_id: str, findings: list[Finding], *, minutes: int) -> dict[str, int]:
    at = utcnow() + timedelta(minutes=minutes)
    outcome = ScanOutcome("123456789012", ("us-east-1",), at, at, findings, checks=(CHECK,))
    suppressed = service.apply_suppressions(
        findings,
        service.live_suppressions(db=db, workspace_id=DEFAULT_WORKSPACE_ID, account_id=account_id, now=at),
    )
    scores = [scoring.score(f, suppressed) for f in frameworks.load_all().values()]
    scan, _ = service.record_scan(
        db=db,
        workspace_id=DEFAULT_WORKSPACE_ID,
        account_id=account_id,
        outcome=outcome,
        findings=suppressed,
        scores=scores,
    )
    return dict(scan.changes)


def test_a_failure_is_new_then_open_then_resolved_then_recurring(factory: sessionmaker[Session]) -> None:
    with factory.begin() as db:
        account = add_connected_account(db, "123456789012")
        a, b = "arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:user/b"
        first = _scan(db, account.id, [_finding(a, Status.FAIL), _finding(b, Status.PASS)], minutes=0)
        second = _scan(db, account.id, [_finding(a, Status.FAIL), _finding(b, Status.FAIL)], minutes=1)
        third = _scan(db, account.id, [_finding(a, Status.PASS), _finding(b, Status.FAIL)], minutes=2)
        # A check that could not read everything resolves nothing: b is not called fixed.
        fourth = _scan(db, account.id, [_finding(a, Status.FAIL), _finding(b, Status.ERROR)], minutes=3)
        fifth = _scan(db, account.id, [_finding(a, Status.FAIL)], minutes=4)  # b is gone: resolved
    assert first == {"new": 1, "open": 0, "recurring": 0, "resolved": 0}
    assert second == {"new": 1, "open": 1, "recurring": 0, "resolved": 0}
    assert third == {"new": 0, "open": 1, "recurring": 0, "resolved": 1}
    assert fourth == {"new": 0, "open": 0, "recurring": 1, "resolved": 0}
    assert fifth == {"new": 0, "open": 1, "recurring": 0, "resolved": 1}


def test_a_suppression_hides_a_failure_from_the_score_until_it_expires(
    factory: sessionmaker[Session],
) -> None:
    with factory.begin() as db:
        account = add_connected_account(db, "123456789012")
        failing = [_finding("arn:aws:iam::123456789012:root", Status.FAIL)]
        live = service.apply_suppressions(failing, [])
        assert live[0].counts_as == Status.FAIL
        made = service.add_suppression(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            account_id=account.id,
            check_id=CHECK,
            resource_id="arn:aws:iam::123456789012:*",
            reason="break-glass key kept in the safe, reviewed monthly",
            owner="security@example.com",
            expires_at=utcnow() + timedelta(days=1),
            created_by="test",
        )
        now = utcnow()
        covered = service.apply_suppressions(
            failing,
            service.live_suppressions(
                db=db, workspace_id=DEFAULT_WORKSPACE_ID, account_id=account.id, now=now
            ),
        )
        assert covered[0].suppression_id == made.id and covered[0].counts_as == Status.PASS
        later = now + timedelta(days=2)  # expired: the finding counts again
        reopened = service.apply_suppressions(
            failing,
            service.live_suppressions(
                db=db, workspace_id=DEFAULT_WORKSPACE_ID, account_id=account.id, now=later
            ),
        )
        assert reopened[0].suppression_id is None and reopened[0].counts_as == Status.FAIL


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"check_id": "no_such_check"}, "no posture check"),
        ({"reason": "because"}, "reason of at least 10"),
        ({"owner": " "}, "needs an owner"),
        ({"expires_at": utcnow() - timedelta(days=1)}, "in the future"),
    ],
)
def test_a_suppression_needs_a_real_check_a_reason_an_owner_and_an_end(
    factory: sessionmaker[Session], changes: dict[str, object], message: str
) -> None:
    fields: dict[str, object] = {
        "check_id": CHECK,
        "resource_id": "*",
        "reason": "accepted by the security review of 2026-12",
        "owner": "security@example.com",
        "expires_at": utcnow() + timedelta(days=30),
        "created_by": "test",
    }
    with factory.begin() as db, pytest.raises(UsageError, match=message):
        service.add_suppression(db=db, workspace_id=DEFAULT_WORKSPACE_ID, **{**fields, **changes})  # type: ignore[arg-type]
