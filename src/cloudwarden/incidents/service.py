"""Incident records of an investigation: what of the evidence is kept, and the diagnosis.

Keyword-only functions that never commit: the caller owns the transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cloudwarden.diagnosis.model import Diagnosis
from cloudwarden.errors import UsageError, shorten
from cloudwarden.evidence.model import EvidenceBundle
from cloudwarden.store import service as store

ALARM_NAME_MAX = 255  # CloudWatch's own limit, and the incidents.alarm_name column


def check_alarm_name(name: str) -> str:
    """An alarm name as given, checked at the edge before any AWS call or insert."""
    if not name.strip():
        raise UsageError("the alarm name is empty")
    if len(name) > ALARM_NAME_MAX:
        raise UsageError(
            f"the alarm name {shorten(name, 40)!r} is {len(name)} characters; "
            f"CloudWatch alarm names have at most {ALARM_NAME_MAX}"
        )
    return name


def evidence_items(bundle: EvidenceBundle, diagnosis: Diagnosis) -> list[dict[str, Any]]:
    """What of the evidence is kept: cited findings, changes, GitHub comparisons and events."""
    items: list[dict[str, Any]] = []
    for hypothesis in diagnosis.hypotheses:
        for ref in hypothesis.evidence:
            items.append(
                {
                    "source": ref.source,
                    "kind": f"finding:{hypothesis.fault}",
                    "resource": ref.resource,
                    "observed_at": ref.time or diagnosis.alarm.state_changed_at,
                    "summary": ref.summary[:2000],
                    "data": {"weight": ref.weight, "rank": hypothesis.rank},
                }
            )
    for change in bundle.changes:
        items.append(
            {
                "source": change.source,
                "kind": "change",
                "resource": (change.resources or [""])[0][:500],
                "observed_at": change.time,
                "summary": f"{change.name} by {change.actor}"[:2000],
                "data": {"event_id": change.event_id},
            }
        )
    for compared in bundle.deploy_commits:  # GitHub (opt-in): what a suspect deployment brought
        items.append(
            {
                "source": "github",
                "kind": "deploy-commits",
                "resource": compared.resource[:500],
                "observed_at": compared.deployed_at or diagnosis.alarm.state_changed_at,
                "summary": f"{compared.repository} {compared.base}..{compared.head}: "
                f"{compared.total_commits} commits",
                "data": compared.model_dump(mode="json"),
            }
        )
    for event in bundle.events:
        items.append(
            {
                "source": event.source,
                "kind": event.kind,
                "resource": event.resource,
                "observed_at": event.time,
                "summary": event.message[:2000],
            }
        )
    return items


def record_investigation(
    *,
    db: Session,
    workspace_id: str,
    incident_id: str,
    bundle: EvidenceBundle,
    diagnosis: Diagnosis,
    duration_ms: int,
) -> None:
    """Store the kept evidence, the metric series and the diagnosis under the incident."""
    store.add_evidence(
        db=db, workspace_id=workspace_id, incident_id=incident_id, items=evidence_items(bundle, diagnosis)
    )
    for series in bundle.metrics:
        store.add_metric_series(
            db=db,
            workspace_id=workspace_id,
            incident_id=incident_id,
            resource=series.resource,
            namespace=series.namespace,
            metric_name=series.metric,
            stat=series.stat,
            datapoints=series.points,
            dimensions=series.dimensions,
        )
    top = diagnosis.hypotheses[0] if diagnosis.hypotheses else None
    store.save_diagnosis(
        db=db,
        workspace_id=workspace_id,
        incident_id=incident_id,
        result=diagnosis.model_dump(mode="json"),
        top_resource=top.resource if top else None,
        top_fault=top.fault if top else None,
        confidence=top.confidence if top else 0.0,
        aws_calls=diagnosis.aws_calls,
        duration_ms=duration_ms,
    )
