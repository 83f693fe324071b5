"""Audit a connected account: scan, apply suppressions, score every framework, store, audit.

    report = flows.scan_account(db=db, broker=broker, account=account, actor="cli")
    report.scan.scores["cis_aws_3_0"]["score"]

Called by `cloudwarden posture scan`, the API and the scheduled task. When the account cannot be
reached the error is raised after what was learnt (its role was revoked) and the failed attempt
are recorded in `db`: the caller commits, then reports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from sqlalchemy.orm import Session

from cloudwarden.accounts import flows as account_flows
from cloudwarden.audit import service as audit
from cloudwarden.aws.session import AssumedSession, SessionBroker
from cloudwarden.errors import CloudWardenError
from cloudwarden.posture import frameworks, scoring, service
from cloudwarden.posture import scan as posture_scan
from cloudwarden.posture.model import ExternalFinding, Finding
from cloudwarden.store import models
from cloudwarden.store.posture import PostureScan, PostureSuppression
from cloudwarden.store.types import utcnow

if TYPE_CHECKING:
    from cloudwarden.worker.dispatch import Dispatcher


@dataclass(frozen=True)
class ScanReport:
    """A stored scan with everything the outputs show."""

    scan: PostureScan
    account: models.Account
    findings: list[tuple[Finding, str | None]]  # with their change: new, open, recurring, None
    scores: list[scoring.FrameworkScore]
    history: list[PostureScan]  # the account's earlier scans and this one, oldest first
    # Security Hub, GuardDuty and Inspector findings the scan read (kept 7 days), most severe
    # first; None when it did not read them. Their counts are in scan.external.
    external: list[ExternalFinding] | None = None


def scan_account(
    *,
    db: Session,
    broker: SessionBroker,
    account: models.Account,
    actor: str,
    regions: Sequence[str] | None = None,
    check_ids: Sequence[str] | None = None,
) -> ScanReport:
    session = reach(db=db, broker=broker, account=account, actor=actor)
    outcome = posture_scan.scan_session(session, regions=regions or account.regions, check_ids=check_ids)
    return record(db=db, account=account, actor=actor, outcome=outcome)


def reach(*, db: Session, broker: SessionBroker, account: models.Account, actor: str) -> AssumedSession:
    """The account's read session, or its error raised (the failed attempt audited in `db`).

    The first of `scan_account`'s three steps, for a caller that runs the scan itself outside its
    transaction (the scheduled task: on SQLite the writer's lock is not held for a scan's minutes).
    """
    connection = account_flows.connect(db=db, broker=broker, account=account, probe=False)
    try:
        return connection.raise_for_error()
    except CloudWardenError as exc:
        _audit(db, account, actor, outcome="failure", details={"error": exc.code})
        raise


def record(
    *, db: Session, account: models.Account, actor: str, outcome: posture_scan.ScanOutcome
) -> ScanReport:
    """Store a finished scan: suppressions applied, every framework scored, findings compared
    with the previous scan's, audited. The last of `scan_account`'s steps."""
    suppressions = service.live_suppressions(
        db=db, workspace_id=account.workspace_id, account_id=account.id, now=outcome.finished_at
    )
    findings = service.apply_suppressions(outcome.findings, suppressions)
    scores = [scoring.score(framework, findings) for framework in frameworks.load_all().values()]
    scan, with_change = service.record_scan(
        db=db,
        workspace_id=account.workspace_id,
        account_id=account.id,
        outcome=outcome,
        findings=findings,
        scores=scores,
    )
    _audit(
        db,
        account,
        actor,
        outcome="success",
        details={"scan_id": scan.id, "checks": len(outcome.checks), "failed": scan.counts.get("FAIL", 0)},
    )
    return report_of(db=db, scan=scan, account=account, findings=with_change)


def report_of(
    *,
    db: Session,
    scan: PostureScan,
    account: models.Account,
    findings: list[tuple[Finding, str | None]] | None = None,
) -> ScanReport:
    """A stored scan as a report (its results read back unless given)."""
    results = findings if findings is not None else service.results_of(db=db, scan=scan)
    history = [
        s
        for s in service.scans(db=db, workspace_id=scan.workspace_id, account_id=scan.account_id, limit=60)
        if s.started_at <= scan.started_at
    ]
    return ScanReport(
        scan=scan,
        account=account,
        findings=results,
        scores=scores_of(scan),
        history=history,
        external=service.external_of(db=db, scan=scan),
    )


def scores_of(scan: PostureScan) -> list[scoring.FrameworkScore]:
    """The scan's stored scores of the frameworks still shipped."""
    known = frameworks.load_all()
    return [scoring.FrameworkScore(**value) for key, value in scan.scores.items() if key in known]


@dataclass(frozen=True)
class ScanRequest:
    account_id: str
    requested_at: datetime  # a scan that starts after this answers the request


def request_scan(*, db: Session, dispatcher: Dispatcher, workspace_id: str, account_id: str) -> ScanRequest:
    """Queue a scan of the account (the worker's `posture_scan` runs it, audited as it runs)."""
    account = service.account_of(db=db, workspace_id=workspace_id, account_id=account_id)
    requested = utcnow()
    dispatcher.send(
        "posture_scan", workspace_id=workspace_id, account_id=account.id, requested_at=requested.isoformat()
    )
    return ScanRequest(account_id=account.id, requested_at=requested)


def suppress(
    *,
    db: Session,
    workspace_id: str,
    actor: str,
    check_id: str,
    reason: str,
    owner: str,
    days: int,
    resource_id: str = "*",
    account_id: str | None = None,
) -> PostureSuppression:
    """Suppress a check's failures (on one account, or every one) for `days`, audited."""
    if account_id is not None:
        service.account_of(db=db, workspace_id=workspace_id, account_id=account_id)
    made = service.add_suppression(
        db=db,
        workspace_id=workspace_id,
        account_id=account_id,
        check_id=check_id,
        resource_id=resource_id,
        reason=reason,
        owner=owner,
        expires_at=utcnow() + timedelta(days=days),
        created_by=actor,
    )
    audit.record(
        db,
        workspace_id=workspace_id,
        action="posture.suppress",
        actor=actor,
        target_type="posture_check",
        target_id=made.check_id,
        details={
            "resource_id": made.resource_id,
            "expires_at": made.expires_at.isoformat(),
            "owner": made.owner,
        },
    )
    return made


def _audit(
    db: Session,
    account: models.Account,
    actor: str,
    *,
    outcome: Literal["success", "failure"],
    details: dict[str, object],
) -> None:
    audit.record(
        db,
        workspace_id=account.workspace_id,
        action="posture.scan",
        actor=actor,
        target_type="account",
        target_id=account.id,
        outcome=outcome,
        details=details,
    )
