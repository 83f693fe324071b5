"""OCSF 1.1 Detection Findings (class 2004): one per result, for Security Hub or any OCSF consumer.

`status_code` carries the check's verdict (PASS, FAIL, ERROR, NOT_APPLICABLE) and `status_id`
the finding's state: New for a failure, Suppressed for an accepted one, Resolved for a pass,
Unknown when it could not be judged. `finding_info.uid` is stable across scans (account, check,
resource, region), so a consumer updates the same finding scan after scan.
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from collections.abc import Iterator
from typing import Any

from cloudwarden import __version__
from cloudwarden.posture.checks import all_checks
from cloudwarden.posture.flows import ScanReport
from cloudwarden.posture.model import Finding, Severity, Status
from cloudwarden.posture.outputs.tabular import requirements_by_check

OCSF_VERSION = "1.1.0"
CLASS_UID, CATEGORY_UID, ACTIVITY_CREATE = 2004, 2, 1
SEVERITY_ID = {
    Severity.INFORMATIONAL: (1, "Informational"),
    Severity.LOW: (2, "Low"),
    Severity.MEDIUM: (3, "Medium"),
    Severity.HIGH: (4, "High"),
    Severity.CRITICAL: (5, "Critical"),
}


def _status(finding: Finding) -> tuple[int, str]:
    if finding.status == Status.FAIL:
        return (3, "Suppressed") if finding.suppression_id else (1, "New")
    if finding.status == Status.PASS:
        return 4, "Resolved"
    return 0, "Unknown"


def finding_uid(aws_account_id: str, finding: Finding) -> str:
    digest = hashlib.sha256("\x1f".join((aws_account_id, *finding.key)).encode()).hexdigest()[:32]
    return f"cloudwarden-{finding.check_id}-{digest}"


def stream_ocsf(report: ScanReport) -> Iterator[str]:
    """A JSON array of Detection Findings, written an event at a time."""
    yield "["
    separator = "\n"
    for event in events(report):
        yield separator + textwrap.indent(json.dumps(event, indent=2), "  ")
        separator = ",\n"
    yield "\n]\n" if separator != "\n" else "]\n"


def to_ocsf(report: ScanReport) -> str:
    return "".join(stream_ocsf(report))


def events(report: ScanReport) -> Iterator[dict[str, Any]]:
    """One Detection Finding per result, in the report's order."""
    checks = all_checks()
    requirements = requirements_by_check()
    aws_account = report.account.role_arn.split(":")[4]
    time_ms = int(report.scan.finished_at.timestamp() * 1000)
    for finding, change in report.findings:
        meta = checks[finding.check_id].metadata if finding.check_id in checks else None
        severity_id, severity = SEVERITY_ID[finding.severity]
        status_id, status = _status(finding)
        event: dict[str, Any] = {
            "activity_id": ACTIVITY_CREATE,
            "activity_name": "Create",
            "category_uid": CATEGORY_UID,
            "category_name": "Findings",
            "class_uid": CLASS_UID,
            "class_name": "Detection Finding",
            "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
            "type_name": "Detection Finding: Create",
            "time": time_ms,
            "time_dt": report.scan.finished_at.isoformat(),
            "severity_id": severity_id,
            "severity": severity,
            "status_id": status_id,
            "status": status,
            "status_code": finding.status.value,
            "status_detail": finding.reason,
            "message": finding.reason,
            "metadata": {
                "version": OCSF_VERSION,
                "product": {"name": "CloudWarden", "vendor_name": "CloudWarden", "version": __version__},
                "event_code": finding.check_id,
                "uid": f"{report.scan.id}:{finding_uid(aws_account, finding)}",
            },
            "finding_info": {
                "uid": finding_uid(aws_account, finding),
                "title": meta.title if meta else finding.check_id,
                "desc": meta.risk if meta else "",
                "created_time": time_ms,
                "types": requirements.get(finding.check_id, []) or ["Security posture"],
            },
            "resources": [
                {
                    "uid": finding.resource_id,
                    "type": finding.resource_type,
                    "region": finding.region,
                    "cloud_partition": "aws",
                    "group": {"name": finding.service},
                }
            ],
            "cloud": {
                "provider": "AWS",
                "region": finding.region,
                "account": {
                    "uid": aws_account,
                    "name": report.account.name,
                    "type": "AWS Account",
                    "type_id": 10,
                },
            },
            "unmapped": {"check_id": finding.check_id, "change": change, "scan_id": report.scan.id},
        }
        if meta is not None:
            event["risk_details"] = meta.risk
            event["remediation"] = {
                "desc": meta.remediation.summary,
                "references": [
                    meta.remediation.cli,
                    meta.remediation.cloudformation,
                    meta.remediation.terraform,
                ],
            }
        yield event
