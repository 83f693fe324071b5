"""Scores per framework: which requirements pass, and a severity-weighted score.

A requirement passes when every result of its checks passes (NOT_APPLICABLE results are left
out); it fails when one of them fails and is not suppressed; it is unknown when one could not be
read (ERROR) and none failed. Unknown never counts as passed: the share of requirements passed is
passed / (passed + failed + unknown). The weighted score weighs each judged requirement by the
highest severity among its checks (critical 10, high 5, medium 3, low 1), so one open critical
gap costs more than several low ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from cloudwarden.posture.frameworks import Framework
from cloudwarden.posture.model import SEVERITY_WEIGHT, Finding, Severity, Status


@dataclass(frozen=True)
class FrameworkScore:
    framework: str
    title: str
    passed: int
    failed: int
    unknown: int
    not_applicable: int
    not_assessed: int  # manual, or no check implements it
    share: float  # passed / judged, 0..1 (1.0 when nothing was judged)
    score: float  # severity-weighted, 0..100

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def requirement_status(statuses: Iterable[Status]) -> Status | None:
    """The requirement's status from its checks' results (None: no results at all)."""
    seen = set(statuses)
    if not seen:
        return None
    if Status.FAIL in seen:
        return Status.FAIL
    if Status.ERROR in seen:
        return Status.ERROR
    if Status.PASS in seen:
        return Status.PASS
    return Status.NOT_APPLICABLE


def score(
    framework: Framework, findings: Iterable[Finding], suppressed: set[int] | None = None
) -> FrameworkScore:
    """`suppressed`: the ids (id()) of failing findings a live suppression covers."""
    by_check: dict[str, list[Finding]] = {}
    for finding in findings:
        by_check.setdefault(finding.check_id, []).append(finding)
    counts = {Status.PASS: 0, Status.FAIL: 0, Status.ERROR: 0, Status.NOT_APPLICABLE: 0}
    not_assessed = 0
    earned = possible = 0
    for requirement in framework.requirements:
        results = [f for c in requirement.checks for f in by_check.get(c, [])]
        status = requirement_status(f.counts_as for f in results)
        if not requirement.automated or status is None:
            not_assessed += 1
            continue
        counts[status] += 1
        if status == Status.NOT_APPLICABLE:
            continue
        weight = max((SEVERITY_WEIGHT[Severity(f.severity)] for f in results), default=1) or 1
        possible += weight
        earned += weight if status == Status.PASS else 0
    judged = counts[Status.PASS] + counts[Status.FAIL] + counts[Status.ERROR]
    return FrameworkScore(
        framework=framework.id,
        title=framework.title,
        passed=counts[Status.PASS],
        failed=counts[Status.FAIL],
        unknown=counts[Status.ERROR],
        not_applicable=counts[Status.NOT_APPLICABLE],
        not_assessed=not_assessed,
        share=round(counts[Status.PASS] / judged, 4) if judged else 1.0,
        score=round(100 * earned / possible, 1) if possible else 100.0,
    )
