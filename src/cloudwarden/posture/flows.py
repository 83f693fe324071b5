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
from typing import Literal

from sqlalchemy.orm import Session

from cloudwarden.accounts import flows as account_flows
from cloudwarden.audit import service as audit
from cloudwarden.aws.session import SessionBroker
from cloudwarden.errors import CloudWardenError
from cloudwarden.posture import frameworks, scoring, service
from cloudwarden.posture import scan as posture_scan
from cloudwarden.posture.model import ExternalFinding, Finding
from cloudwarden.store import models
from cloudwarden.store.posture import PostureScan


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
    connection = account_flows.connect(db=db, broker=broker, account=account, probe=False)
    try:
        session = connection.raise_for_error()
    except CloudWardenError as exc:
        _audit(db, account, actor, outcome="failure", details={"error": exc.code})
        raise
    outcome = posture_scan.scan_session(session, regions=regions or account.regions, check_ids=check_ids)
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
    known = frameworks.load_all()
    scores = [scoring.FrameworkScore(**value) for key, value in scan.scores.items() if key in known]
    return ScanReport(
        scan=scan,
        account=account,
        findings=results,
        scores=scores,
        history=history,
        external=service.external_of(db=db, scan=scan),
    )


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
