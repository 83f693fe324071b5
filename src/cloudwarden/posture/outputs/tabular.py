"""JSON (the whole report) and CSV (one row per finding, for spreadsheets).

The JSON carries, beside CloudWarden's own findings, those of the account's AWS security services
(`external_findings`: counts by source and severity, what each service said in each region, and
the findings themselves while they are kept, 7 days). CSV and OCSF carry CloudWarden's only: the
others are already in Security Hub.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from cloudwarden.posture import frameworks
from cloudwarden.posture.checks import all_checks
from cloudwarden.posture.flows import ScanReport
from cloudwarden.posture.model import Severity
from cloudwarden.store.posture import ExternalFinding as StoredExternalFinding
from cloudwarden.store.retention import retention_of

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
        "external_findings": external_summary(report),
    }


def external_summary(report: ScanReport) -> dict[str, Any]:
    """Security Hub, GuardDuty and Inspector findings the scan read: counts by source and by
    severity, what each service said where; `read` false when the scan did not read them."""
    return summarize_external(report.scan.external)


def summarize_external(stored: dict[str, Any] | None) -> dict[str, Any]:
    """`external_summary` from what a scan stored (PostureScan.external)."""
    if stored is None:
        return {"read": False, "total": 0, "counts": {}, "by_severity": {}, "sources": {}}
    by_severity: dict[str, int] = {}
    for counts in stored.get("counts", {}).values():
        for severity, n in counts.items():
            by_severity[severity] = by_severity.get(severity, 0) + n
    order = list(Severity)
    return {
        "read": True,
        "total": int(stored.get("total", 0)),
        "counts": stored.get("counts", {}),
        "by_severity": dict(sorted(by_severity.items(), key=lambda kv: order.index(Severity(kv[0])))),
        "sources": stored.get("sources", {}),
    }


def external_line(data: dict[str, Any]) -> str:
    """'Findings from AWS security services: 3 (guardduty 1, securityhub 2; critical 1, high 2)'."""
    head = "Findings from AWS security services"
    if not data["read"]:
        return f"{head}: not read by this scan (a scan of chosen checks)"
    text = f"{head}: {data['total']}"
    if data["total"]:
        sources = ", ".join(f"{source} {sum(c.values())}" for source, c in data["counts"].items())
        severities = ", ".join(f"{severity} {n}" for severity, n in data["by_severity"].items())
        text += f" ({sources}; {severities})"
    unreadable = sorted(where for where, said in data["sources"].items() if said.startswith("unavailable"))
    if unreadable:
        text += f"; could not read {', '.join(unreadable)}"
    return text


def kept_days() -> int | None:
    """How long the external findings are kept after the last scan that read them (7 days)."""
    kept = retention_of(StoredExternalFinding).max_age
    return kept.days if kept is not None else None


def external_rows(report: ScanReport) -> list[dict[str, Any]]:
    return [
        {
            "source": f.source,
            "product": f.product,
            "finding_id": f.finding_id,
            "severity": f.severity.value,
            "title": f.title,
            "resource_id": f.resource_id,
            "region": f.region,
            "first_seen": f.first_seen.isoformat(),
            "last_seen": f.last_seen.isoformat(),
        }
        for f in report.external or []
    ]


def stream_json(report: ScanReport) -> Iterator[str]:
    """The whole report as one JSON object, its findings written one at a time."""
    checks = all_checks()
    requirements = requirements_by_check()
    findings = (
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
    )
    trend = [
        {"scan_id": s.id, "started_at": s.started_at.isoformat(), "scores": s.scores, "counts": s.counts}
        for s in report.history
    ]
    head = summary(report)
    external = {
        **head["external_findings"],
        "kept_days": kept_days(),
        "findings": external_rows(report),
    }
    fields: dict[str, Any] = {**head, "external_findings": external, "findings": findings, "trend": trend}
    yield "{"
    separator = "\n"
    for key, value in fields.items():
        yield f"{separator}  {json.dumps(key)}: "
        separator = ",\n"
        if isinstance(value, Iterator):
            yield from _stream_array(value, indent="  ")
        else:
            yield json.dumps(value, indent=2).replace("\n", "\n  ")
    yield "\n}\n"


def _stream_array(items: Iterator[Any], indent: str) -> Iterator[str]:
    """A JSON array formatted as json.dumps(indent=2) would, one element at a time."""
    inner = indent + "  "
    yield "["
    separator = "\n"
    for item in items:
        yield separator + inner + json.dumps(item, indent=2).replace("\n", "\n" + inner)
        separator = ",\n"
    yield "]" if separator == "\n" else f"\n{indent}]"


def to_json(report: ScanReport) -> str:
    return "".join(stream_json(report))


def stream_csv(report: ScanReport) -> Iterator[str]:
    """One header row, then a row per finding."""
    checks = all_checks()
    requirements = requirements_by_check()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def flushed() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flushed()
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
        yield flushed()


def to_csv(report: ScanReport) -> str:
    return "".join(stream_csv(report))


def _cell(text: str) -> str:
    """A spreadsheet cell that cannot run as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
