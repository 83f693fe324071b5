"""Posture as people read it: each account's latest scores and their trend, the latest scan's
findings under a filter, and the suppressions with their state.

    accounts = view.overview(db=db, workspace_id=ws)       # one AccountPosture per account
    found = view.findings(db=db, workspace_id=ws, wanted=FindingFilter(status="FAIL"), page=1)
    rows = view.suppression_rows(db=db, workspace_id=ws)    # expired ones too, marked

Reads through the same service functions as the API (scans, results, scores, suppressions);
nothing here is audited, as the API's posture reads are not. Never commits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cloudwarden.errors import UsageError
from cloudwarden.posture import flows, frameworks, service
from cloudwarden.posture.checks import all_checks
from cloudwarden.posture.model import SEVERITY_WEIGHT, CheckMetadata, Finding, Severity, Status
from cloudwarden.posture.outputs.html import STATUS_ORDER
from cloudwarden.posture.outputs.tabular import external_line, requirements_by_check, summarize_external
from cloudwarden.posture.scoring import FrameworkScore
from cloudwarden.store import models
from cloudwarden.store import service as store
from cloudwarden.store.posture import PostureScan, PostureSuppression
from cloudwarden.store.types import utcnow

TREND_SCANS = 30  # the API's list_scans answers as many by default
PAGE_SIZE = 50
CHANGES = ("new", "open", "recurring")  # a failure's change since the previous scan
STATUSES = tuple(s.value for s in sorted(Status, key=STATUS_ORDER.__getitem__))  # failures first
SEVERITIES = tuple(s.value for s in Severity)


@dataclass(frozen=True)
class AccountPosture:
    """An account with its latest scans, oldest first (the latest last; none when never scanned)."""

    account: models.Account
    history: list[PostureScan]

    @property
    def latest(self) -> PostureScan | None:
        return self.history[-1] if self.history else None

    @property
    def previous(self) -> PostureScan | None:
        return self.history[-2] if len(self.history) > 1 else None

    @property
    def scores(self) -> list[FrameworkScore]:
        return flows.scores_of(self.latest) if self.latest is not None else []

    @property
    def external(self) -> dict[str, Any]:
        """Security Hub, GuardDuty and Inspector as the latest scan read them (`read` false: not)."""
        return summarize_external(self.latest.external if self.latest is not None else None)

    @property
    def external_line(self) -> str:
        return external_line(self.external)

    @property
    def scannable(self) -> bool:
        """A scan can run: the worker scans connected accounts only."""
        return self.account.status == models.AccountStatus.CONNECTED.value


def overview(*, db: Session, workspace_id: str, scans: int = TREND_SCANS) -> list[AccountPosture]:
    """Every account of the workspace (not closed) with its latest `scans` scans."""
    return [
        AccountPosture(
            account=account,
            history=service.scans(db=db, workspace_id=workspace_id, account_id=account.id, limit=scans),
        )
        for account in store.list_accounts(db=db, workspace_id=workspace_id)
    ]


@dataclass(frozen=True)
class FindingFilter:
    """What the findings page shows; an empty value matches everything."""

    account_id: str = ""
    framework: str = ""
    severity: str = ""
    status: str = ""
    change: str = ""
    text: str = ""  # in the check's id or title, the resource, the region or the reason

    def check(self) -> None:
        """UsageError naming a value no finding can have."""
        for name, value, allowed in (
            ("severity", self.severity, SEVERITIES),
            ("status", self.status, STATUSES),
            ("change", self.change, CHANGES),
            ("framework", self.framework, tuple(frameworks.load_all())),
        ):
            if value and value not in allowed:
                raise UsageError(f"no {name} {value!r}", hint="one of " + ", ".join(allowed))

    def matches(self, row: FindingRow, framework_checks: set[str] | None, *, status: bool = True) -> bool:
        finding = row.finding
        if framework_checks is not None and finding.check_id not in framework_checks:
            return False
        if self.severity and finding.severity.value != self.severity:
            return False
        if status and self.status and finding.status.value != self.status:
            return False
        if self.change and row.change != self.change:
            return False
        if self.text:
            needle = self.text.strip().lower()
            haystack = (finding.check_id, row.title, finding.resource_id, finding.region, finding.reason)
            return any(needle in part.lower() for part in haystack)
        return True


@dataclass(frozen=True)
class FindingRow:
    account: models.Account
    scan: PostureScan
    finding: Finding
    change: str | None  # new, open, recurring; None when not failing
    check: CheckMetadata | None  # None: a check no longer shipped
    requirements: list[str]  # "<framework> <requirement>"

    @property
    def title(self) -> str:
        return self.check.title if self.check is not None else self.finding.check_id


@dataclass(frozen=True)
class FindingsPage:
    rows: list[FindingRow]  # this page's
    total: int  # every finding the filter matches
    by_status: dict[str, int]  # what the filter matches but for the status, by status
    scans: list[tuple[models.Account, PostureScan]]  # the latest scan of each account read
    page: int
    pages: int


def findings(
    *, db: Session, workspace_id: str, wanted: FindingFilter, page: int = 1, page_size: int = PAGE_SIZE
) -> FindingsPage:
    """The latest scan's findings of each account (or the chosen one) the filter matches: failures
    first, the most severe first."""
    wanted.check()
    if wanted.account_id:
        accounts = [service.account_of(db=db, workspace_id=workspace_id, account_id=wanted.account_id)]
    else:
        accounts = store.list_accounts(db=db, workspace_id=workspace_id)
    checks, requirements = all_checks(), requirements_by_check()
    framework_checks = frameworks.load_all()[wanted.framework].check_ids() if wanted.framework else None
    scans: list[tuple[models.Account, PostureScan]] = []
    candidates: list[FindingRow] = []
    for account in accounts:
        latest = service.scans(db=db, workspace_id=workspace_id, account_id=account.id, limit=1)
        if not latest:
            continue
        scans.append((account, latest[0]))
        for finding, change in service.results_of(db=db, scan=latest[0]):
            check = checks.get(finding.check_id)
            row = FindingRow(
                account=account,
                scan=latest[0],
                finding=finding,
                change=change,
                check=check.metadata if check is not None else None,
                requirements=requirements.get(finding.check_id, []),
            )
            if wanted.matches(row, framework_checks, status=False):
                candidates.append(row)
    by_status = dict.fromkeys(STATUSES, 0)
    for row in candidates:
        by_status[row.finding.status.value] += 1
    matched = [row for row in candidates if not wanted.status or row.finding.status.value == wanted.status]
    matched.sort(
        key=lambda r: (
            STATUS_ORDER[r.finding.status],
            -SEVERITY_WEIGHT[r.finding.severity],
            r.finding.check_id,
            r.account.name,
            r.finding.resource_id,
        )
    )
    pages = max(1, math.ceil(len(matched) / page_size))
    page = min(max(1, page), pages)
    return FindingsPage(
        rows=matched[(page - 1) * page_size : page * page_size],
        total=len(matched),
        by_status=by_status,
        scans=scans,
        page=page,
        pages=pages,
    )


@dataclass(frozen=True)
class SuppressionRow:
    suppression: PostureSuppression
    account: models.Account | None  # None: every account
    check: CheckMetadata | None
    expired: bool  # its findings count as failures again


def suppression_rows(*, db: Session, workspace_id: str, now: datetime | None = None) -> list[SuppressionRow]:
    """Every stored suppression: those in force first (soonest expiry first), then the expired."""
    moment = now or utcnow()
    accounts = {a.id: a for a in store.list_accounts(db=db, workspace_id=workspace_id, include_closed=True)}
    checks = all_checks()
    rows = [
        SuppressionRow(
            suppression=s,
            account=accounts.get(s.account_id) if s.account_id else None,
            check=checks[s.check_id].metadata if s.check_id in checks else None,
            expired=s.expires_at <= moment,
        )
        for s in service.suppressions(db=db, workspace_id=workspace_id, include_expired=True)
    ]
    return sorted(rows, key=lambda r: (r.expired, r.suppression.expires_at))
