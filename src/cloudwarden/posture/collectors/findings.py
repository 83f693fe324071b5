"""Security Hub, GuardDuty and Inspector findings, read in every region beside the posture checks.

The reads are the investigation's (`evidence/collectors/findings.py`: its `get` and `transform`,
and its IAM declaration, so each action is declared once), without a time window: every open
finding counts, however old (GuardDuty's unarchived, Inspector's active, Security Hub's active
ones whose workflow is NEW or NOTIFIED: not suppressed, not resolved, not a passed control), up
to MAX_PAGES pages per service and region. Each service is read on
its own: one that is denied or fails is an `Unknown` naming the action, one that is switched off
says so, and neither hides the others. No check reads them; the scan stores them beside its
results (`posture/service.record_external`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from cloudwarden.evidence.collectors import findings as evidence_findings
from cloudwarden.posture.collectors import Clients
from cloudwarden.posture.inventory import read
from cloudwarden.posture.model import ExternalFinding, Severity, Unknown
from cloudwarden.store.types import utcnow

SERVICE = "findings"
SCOPE: Literal["global", "regional"] = "regional"
# The investigation's declaration, not a second one: the same actions, read the same way.
PERMISSIONS = evidence_findings.PERMISSIONS
SOURCES = evidence_findings.SOURCES  # native sources first: Security Hub repeats their findings
MAX_PAGES = 10  # per service and region (100 findings a page; GuardDuty 50)


@dataclass(frozen=True)
class SourceRead:
    """What one service said in one region: its findings were read, or it is not enabled."""

    state: Literal["collected", "not_enabled"]
    findings: int = 0
    truncated: bool = False  # more open findings than MAX_PAGES pages
    detail: str = ""  # why it is not enabled

    def describe(self) -> str:
        if self.state == "not_enabled":
            return f"not enabled ({self.detail})"
        more = ", more than were read" if self.truncated else ""
        return f"{self.findings} open finding{'' if self.findings == 1 else 's'}{more}"


@dataclass(frozen=True)
class FindingsData:
    findings: tuple[ExternalFinding, ...]
    sources: dict[str, SourceRead | Unknown]  # source -> what it said, or why it could not be read


def collect(clients: Clients, region: str, account_id: str) -> FindingsData:
    now = utcnow()
    found: list[ExternalFinding] = []
    sources: dict[str, SourceRead | Unknown] = {}
    for source in SOURCES:
        client = clients(source)  # boto3's name is the source's
        call = functools.partial(
            evidence_findings.get, client, source, start=None, end=now, max_pages=MAX_PAGES, open_only=True
        )
        raw = read(client, call)
        if isinstance(raw, Unknown):
            sources[source] = raw
        elif raw["not_enabled"]:
            sources[source] = SourceRead(state="not_enabled", detail=raw["not_enabled"])
        else:
            read_here = [
                external(f, region)
                for f in evidence_findings.transform(raw, region=region, account_id=account_id)
            ]
            found += read_here
            sources[source] = SourceRead(
                state="collected", findings=len(read_here), truncated=raw["truncated"]
            )
    return FindingsData(findings=tuple(found), sources=sources)


def severity(finding: evidence_findings.SecurityFinding) -> Severity:
    """Ours from the provider's: its label, and informational where the score is nil (Security
    Hub's INFORMATIONAL is normalised 0; GuardDuty's lowest severity is 1)."""
    if finding.severity == "LOW" and finding.severity_score <= 0:
        return Severity.INFORMATIONAL
    return Severity(finding.severity.lower())


def external(finding: evidence_findings.SecurityFinding, region: str) -> ExternalFinding:
    return ExternalFinding(
        source=finding.source,
        finding_id=finding.id,
        product=finding.product,
        severity=severity(finding),
        title=finding.title,
        resource_id=finding.resources[0] if finding.resources else "",
        region=region,
        first_seen=finding.first_seen,
        last_seen=finding.last_seen,
    )
