"""Posture data in the store: scans with their results, issues across scans, suppressions, and
the findings of the account's AWS security services (one row per finding, updated by each scan
that reads it, purged 7 days after the last: retention class FINDINGS_AND_EVENTS).

Keyword-only functions that never commit: the command, request or task owns the transaction.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import itertools
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from cloudwarden.errors import NotFound, UsageError
from cloudwarden.posture.model import SEVERITY_WEIGHT, ExternalFinding, Finding, Severity, Status
from cloudwarden.posture.scan import ScanOutcome
from cloudwarden.posture.scoring import FrameworkScore
from cloudwarden.store import models
from cloudwarden.store import service as store
from cloudwarden.store.alerting import ARN_LENGTH
from cloudwarden.store.posture import ExternalFinding as StoredExternalFinding
from cloudwarden.store.posture import PostureIssue, PostureResult, PostureScan, PostureSuppression
from cloudwarden.store.types import utcnow

RESULT_BATCH = 1000  # results stored per INSERT (executemany)

NEW, OPEN, RECURRING = "new", "open", "recurring"


def account_of(*, db: Session, workspace_id: str, account_id: str) -> models.Account:
    """The workspace's account that posture may scan or name (not closed); NotFound otherwise."""
    account = store.get_account(db=db, workspace_id=workspace_id, account_id=account_id)
    if account is None or account.status == models.AccountStatus.CLOSED:
        raise NotFound(
            "no such account", hint=f"list them with GET /api/v1/workspaces/{workspace_id}/accounts"
        )
    return account


def suppressions(
    *, db: Session, workspace_id: str, include_expired: bool = False, now: datetime | None = None
) -> list[PostureSuppression]:
    """The workspace's suppressions, oldest first: those in force, or every one still stored."""
    statement = select(PostureSuppression).where(PostureSuppression.workspace_id == workspace_id)
    if not include_expired:
        statement = statement.where(PostureSuppression.expires_at > (now or utcnow()))
    return list(db.scalars(statement.order_by(PostureSuppression.created_at, PostureSuppression.id)))


def live_suppressions(
    *, db: Session, workspace_id: str, account_id: str, now: datetime | None = None
) -> list[PostureSuppression]:
    """Suppressions in force for the account: not expired (an expired one reopens its findings)."""
    moment = now or utcnow()
    return list(
        db.scalars(
            select(PostureSuppression).where(
                PostureSuppression.workspace_id == workspace_id,
                or_(PostureSuppression.account_id.is_(None), PostureSuppression.account_id == account_id),
                PostureSuppression.expires_at > moment,
            )
        )
    )


def apply_suppressions(
    findings: Sequence[Finding], suppressions: Sequence[PostureSuppression]
) -> list[Finding]:
    """The findings, each failure a suppression matches marked with the suppression's id."""
    out = []
    for finding in findings:
        match = None
        if finding.status == Status.FAIL:
            match = next(
                (
                    s
                    for s in suppressions
                    if s.check_id == finding.check_id
                    and fnmatch.fnmatchcase(finding.resource_id, s.resource_id)
                ),
                None,
            )
        out.append(dataclasses.replace(finding, suppression_id=match.id) if match else finding)
    return out


def add_suppression(
    *,
    db: Session,
    workspace_id: str,
    check_id: str,
    resource_id: str,
    reason: str,
    owner: str,
    expires_at: datetime,
    created_by: str,
    account_id: str | None = None,
) -> PostureSuppression:
    from cloudwarden.posture.checks import all_checks

    if check_id not in all_checks():
        raise UsageError(f"no posture check {check_id!r}", hint="`cloudwarden posture checks` lists them")
    if len(reason.strip()) < 10:
        raise UsageError("a suppression needs a reason of at least 10 characters")
    if not owner.strip():
        raise UsageError("a suppression needs an owner (who accepted the risk)")
    if expires_at <= utcnow():
        raise UsageError("a suppression's expiry must be in the future")
    suppression = PostureSuppression(
        workspace_id=workspace_id,
        account_id=account_id,
        check_id=check_id,
        resource_id=resource_id or "*",
        reason=reason.strip(),
        owner=owner.strip(),
        created_by=created_by,
        expires_at=expires_at,
    )
    db.add(suppression)
    db.flush()
    return suppression


def record_scan(
    *,
    db: Session,
    workspace_id: str,
    account_id: str,
    outcome: ScanOutcome,
    findings: Sequence[Finding],
    scores: Sequence[FrameworkScore],
) -> tuple[PostureScan, list[tuple[Finding, str | None]]]:
    """Store the scan and its results; follow each failure across scans (new, open, recurring).

    Returns the scan and every finding with its change (None for those not failing).
    """
    now = outcome.finished_at
    issues = {
        (i.check_id, i.resource_id, i.region): i
        for i in db.scalars(
            select(PostureIssue).where(
                PostureIssue.workspace_id == workspace_id, PostureIssue.account_id == account_id
            )
        )
    }
    failing = {f.key for f in findings if f.status == Status.FAIL}
    changes = {NEW: 0, OPEN: 0, RECURRING: 0, "resolved": 0}
    with_change: list[tuple[Finding, str | None]] = []
    for finding in findings:
        change = None
        if finding.status == Status.FAIL:
            issue = issues.get(finding.key)
            if issue is None:
                change = NEW
                issue = PostureIssue(
                    workspace_id=workspace_id,
                    account_id=account_id,
                    check_id=finding.check_id,
                    resource_id=finding.resource_id,
                    region=finding.region,
                    open=True,
                    first_seen_at=now,
                    last_seen_at=now,
                    reopened=0,
                )
                db.add(issue)
                issues[finding.key] = issue
            elif issue.open:
                change = OPEN
            else:
                change = RECURRING
                issue.open, issue.resolved_at, issue.reopened = True, None, issue.reopened + 1
            issue.last_seen_at = now
            changes[change] += 1
        with_change.append((finding, change))
    # Resolved: the check ran and no longer fails the resource (passes it, or no longer sees it).
    # A check that could not read everything (an ERROR anywhere) resolves nothing this time:
    # what it could not see may still be failing.
    checks_run = set(outcome.checks)
    errored = {f.check_id for f in findings if f.status == Status.ERROR}
    for key, issue in issues.items():
        if issue.open and key not in failing and issue.check_id in checks_run - errored:
            issue.open, issue.resolved_at, issue.last_seen_at = False, now, now
            changes["resolved"] += 1
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.status.value] = counts.get(finding.status.value, 0) + 1
    scan = PostureScan(
        workspace_id=workspace_id,
        account_id=account_id,
        started_at=outcome.started_at,
        finished_at=outcome.finished_at,
        regions=list(outcome.regions),
        checks=len(outcome.checks),
        api_calls=outcome.api_calls,
        counts=counts,
        scores={s.framework: s.as_dict() for s in scores},
        changes=changes,
        unavailable=dict(outcome.unavailable),
        external=None if outcome.external is None else external_summary(outcome),
    )
    db.add(scan)
    db.flush()
    if outcome.external is not None:
        record_external(
            db=db, workspace_id=workspace_id, account_id=account_id, findings=outcome.external, seen_at=now
        )
    # Plain rows in batches (an executemany each), not ORM objects: a scan of thousands of
    # resources stores its results without holding them all in the session.
    rows = (
        {
            "workspace_id": workspace_id,
            "scan_id": scan.id,
            "recorded_at": now,
            "check_id": f.check_id,
            "service": f.service,
            "severity": f.severity.value,
            "resource_type": f.resource_type,
            "resource_id": f.resource_id,
            "region": f.region,
            "status": f.status.value,
            "reason": f.reason[:2000],
            "change": change,
            "suppression_id": f.suppression_id,
        }
        for f, change in with_change
    )
    while batch := list(itertools.islice(rows, RESULT_BATCH)):
        db.execute(insert(PostureResult), batch)
    db.flush()
    return scan, with_change


def scans(*, db: Session, workspace_id: str, account_id: str, limit: int = 30) -> list[PostureScan]:
    """The account's latest scans, oldest first (a trend)."""
    latest = db.scalars(
        select(PostureScan)
        .where(PostureScan.workspace_id == workspace_id, PostureScan.account_id == account_id)
        .order_by(PostureScan.started_at.desc())
        .limit(limit)
    )
    return list(reversed(list(latest)))


def get_scan(*, db: Session, workspace_id: str, scan_id: str) -> PostureScan:
    scan = db.get(PostureScan, scan_id)
    if scan is None or scan.workspace_id != workspace_id:
        raise NotFound(f"no posture scan {scan_id!r}")
    return scan


def results_of(*, db: Session, scan: PostureScan) -> list[tuple[Finding, str | None]]:
    rows = db.scalars(
        select(PostureResult).where(PostureResult.scan_id == scan.id).order_by(PostureResult.check_id)
    )
    return [
        (
            Finding(
                check_id=r.check_id,
                severity=Severity(r.severity),
                service=r.service,
                resource_type=r.resource_type,
                resource_id=r.resource_id,
                region=r.region,
                status=Status(r.status),
                reason=r.reason,
                suppression_id=r.suppression_id,
            ),
            r.change,
        )
        for r in rows
    ]


def external_counts(findings: Sequence[ExternalFinding]) -> dict[str, dict[str, int]]:
    """source -> severity -> findings, severities from critical down."""
    counts: dict[str, dict[str, int]] = {}
    for finding in sorted(findings, key=lambda f: -SEVERITY_WEIGHT[f.severity]):
        by_severity = counts.setdefault(finding.source, {})
        by_severity[finding.severity.value] = by_severity.get(finding.severity.value, 0) + 1
    return dict(sorted(counts.items()))


def external_summary(outcome: ScanOutcome) -> dict[str, object]:
    """What the scan stores of the AWS security services' findings (kept as long as the scan)."""
    findings = outcome.external or []
    return {
        "total": len(findings),
        "counts": external_counts(findings),
        "sources": dict(sorted(outcome.external_sources.items())),
    }


def record_external(
    *,
    db: Session,
    workspace_id: str,
    account_id: str,
    findings: Sequence[ExternalFinding],
    seen_at: datetime,
) -> dict[str, int]:
    """Store the findings a scan read: one already stored (same source and id) is updated (last
    seen, severity, title, ...), a new one added. Returns how many were new and updated."""
    stored = {
        (row.source, row.finding_id): row
        for row in db.scalars(
            select(StoredExternalFinding).where(
                StoredExternalFinding.workspace_id == workspace_id,
                StoredExternalFinding.account_id == account_id,
            )
        )
    }
    counts = {"new": 0, "updated": 0}
    for finding in findings:
        key = (finding.source, finding.finding_id[:ARN_LENGTH])
        row = stored.get(key)
        if row is None:
            row = StoredExternalFinding(
                workspace_id=workspace_id,
                account_id=account_id,
                source=finding.source,
                finding_id=key[1],
                first_seen_at=seen_at,
            )
            db.add(row)
            stored[key] = row
            counts["new"] += 1
        else:
            counts["updated"] += 1
        row.product = finding.product[:128]
        row.title = finding.title[:2000]
        row.severity = finding.severity.value
        row.resource_id = finding.resource_id[:ARN_LENGTH]
        row.region = finding.region[:32]
        row.last_seen_at = seen_at
        row.provider_first_seen_at = finding.first_seen
        row.provider_last_seen_at = finding.last_seen
    db.flush()
    return counts


def external_of(*, db: Session, scan: PostureScan) -> list[ExternalFinding] | None:
    """The AWS security services' findings the scan read, most severe first, as far as they are
    still kept (7 days after the last scan that read them); None when the scan did not read them."""
    if scan.external is None:
        return None
    rows = db.scalars(
        select(StoredExternalFinding).where(
            StoredExternalFinding.workspace_id == scan.workspace_id,
            StoredExternalFinding.account_id == scan.account_id,
            StoredExternalFinding.first_seen_at <= scan.finished_at,
            StoredExternalFinding.last_seen_at >= scan.finished_at,
        )
    )
    found = [
        ExternalFinding(
            source=r.source,
            finding_id=r.finding_id,
            product=r.product,
            severity=Severity(r.severity),
            title=r.title,
            resource_id=r.resource_id,
            region=r.region,
            first_seen=r.provider_first_seen_at or r.first_seen_at,
            last_seen=r.provider_last_seen_at or r.last_seen_at,
        )
        for r in rows
    ]
    return sorted(found, key=lambda f: (-SEVERITY_WEIGHT[f.severity], f.source, f.title, f.finding_id))
