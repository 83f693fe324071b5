"""JSON (the whole report) and CSV (one row per finding, for spreadsheets)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from cloudwarden.posture import frameworks
from cloudwarden.posture.checks import all_checks
from cloudwarden.posture.flows import ScanReport

CSV_COLUMNS = (
    "check_id", "title", "service", "severity", "status", "change", "suppressed", "resource_id",
    "resource_type", "region", "reason", "requirements", "remediation",
)  # fmt: skip


def requirements_by_check() -> dict[str, list[str]]:
    """Each check's framework requirements, as "<framework> <requirement>"."""
    out: dict[str, list[str]] = {}
    for framework in frameworks.load_all().values():
        for requirement in framework.requirements:
            for check in requirement.checks:
                out.setdefault(check, []).append(f"{framework.id} {requirement.id}")
    return out


def summary(report: ScanReport) -> dict[str, Any]:
    scan = report.scan
    return {
        "scan_id": scan.id,
        "account_id": report.account.id,
        "aws_account_id": report.account.role_arn.split(":")[4],
        "account_name": report.account.name,
        "started_at": scan.started_at.isoformat(),
        "finished_at": scan.finished_at.isoformat(),
        "seconds": round((scan.finished_at - scan.started_at).total_seconds(), 2),
        "regions": scan.regions,
        "checks": scan.checks,
        "api_calls": scan.api_calls,
        "counts": scan.counts,
        "changes": scan.changes,
        "unavailable": scan.unavailable,
        "scores": [s.as_dict() for s in report.scores],
    }


def to_json(report: ScanReport) -> str:
    checks = all_checks()
    requirements = requirements_by_check()
    findings = [
        {
            "check_id": f.check_id,
            "title": checks[f.check_id].metadata.title if f.check_id in checks else f.check_id,
            "service": f.service,
            "severity": f.severity.value,
            "status": f.status.value,
            "change": change,
            "suppression_id": f.suppression_id,
            "resource_id": f.resource_id,
            "resource_type": f.resource_type,
            "region": f.region,
            "reason": f.reason,
            "requirements": requirements.get(f.check_id, []),
        }
        for f, change in report.findings
    ]
    trend = [
        {"scan_id": s.id, "started_at": s.started_at.isoformat(), "scores": s.scores, "counts": s.counts}
        for s in report.history
    ]
    return json.dumps({**summary(report), "findings": findings, "trend": trend}, indent=2) + "\n"


def to_csv(report: ScanReport) -> str:
    checks = all_checks()
    requirements = requirements_by_check()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for f, change in report.findings:
        meta = checks[f.check_id].metadata if f.check_id in checks else None
        writer.writerow(
            [
                f.check_id,
                meta.title if meta else "",
                f.service,
                f.severity.value,
                f.status.value,
                change or "",
                "yes" if f.suppression_id else "",
                f.resource_id,
                f.resource_type,
                f.region,
                _cell(f.reason),
                " ".join(requirements.get(f.check_id, [])),
                _cell(meta.remediation.cli) if meta else "",
            ]
        )
    return buffer.getvalue()


def _cell(text: str) -> str:
    """A spreadsheet cell that cannot run as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
