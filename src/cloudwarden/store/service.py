"""Store service: plain keyword-only functions over a Session the caller owns.

None of these commit. They flush, so ids are assigned and constraint violations surface here;
the request or task boundary (cloudwarden.store.db.session_scope) commits or rolls back.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NotRequired, TypedDict

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloudwarden.store.models import (
    Account,
    AccountStatus,
    Diagnosis,
    EvidenceRecord,
    Incident,
    IncidentState,
    MetricSeries,
)
from cloudwarden.store.types import utcnow

EXTERNAL_ID_BYTES = 32  # 256 bits of randomness, 43 URL-safe characters (valid for sts:ExternalId)
MAX_LIST_LIMIT = 1000


class StoreError(Exception):
    """A store operation was refused; the message is meant for the user."""


class AccountExistsError(StoreError):
    pass


class AccountClosedError(StoreError):
    pass


class NotFoundError(StoreError, LookupError):
    pass


class EvidenceItem(TypedDict):
    """One item for add_evidence (plain dicts with these keys are accepted too)."""

    source: str  # e.g. "cloudtrail"
    kind: str  # e.g. "change", "service-event", "log-pattern"
    resource: str
    observed_at: datetime | str  # timezone-aware datetime or ISO 8601 with an offset
    summary: str
    data: NotRequired[Mapping[str, Any]]


_EVIDENCE_REQUIRED = frozenset({"source", "kind", "resource", "observed_at", "summary"})
_EVIDENCE_KEYS = _EVIDENCE_REQUIRED | {"data"}


def new_external_id() -> str:
    """The sts:ExternalId a customer puts in their role's trust policy. CloudWarden picks it."""
    return secrets.token_urlsafe(EXTERNAL_ID_BYTES)


def _aware(name: str, value: datetime | str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as error:
            raise ValueError(f"{name}: {value!r} is not an ISO 8601 timestamp") from error
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name}: {value.isoformat()} has no timezone; pass an aware datetime")
    return value.astimezone(UTC)


def _json_object(name: str, value: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `value` exactly as it will read back from either database (tuples become lists),
    or a ValueError naming the field that cannot be stored as JSON."""
    try:
        copied: dict[str, Any] = json.loads(json.dumps(value, allow_nan=False))
    except ValueError as error:
        raise ValueError(f"{name}: NaN and Infinity cannot be stored as JSON") from error
    except TypeError as error:
        raise ValueError(f"{name}: {error} (convert it first, e.g. model_dump(mode='json'))") from error
    return copied


def _require_open(account: Account) -> None:
    if account.status == AccountStatus.CLOSED:
        raise AccountClosedError(f"account {account.name!r} ({account.id}) is closed")


# Accounts


def create_account(
    *, db: Session, workspace_id: str, name: str, role_arn: str, regions: Sequence[str]
) -> Account:
    """Register an account; it stays "disconnected" until a probe through its role succeeds."""
    name, role_arn = name.strip(), role_arn.strip()
    unique_regions = list(dict.fromkeys(region.strip() for region in regions if region.strip()))
    if not name:
        raise ValueError("an account needs a name")
    if not role_arn:
        raise ValueError("an account needs the ARN of the role CloudWarden assumes")
    if not unique_regions:
        raise ValueError("an account needs at least one region")
    existing = get_account_by_role(db=db, workspace_id=workspace_id, role_arn=role_arn)
    if existing is not None:
        raise AccountExistsError(f"role {role_arn} is already registered as account {existing.name!r}")
    account = Account(
        workspace_id=workspace_id,
        name=name,
        role_arn=role_arn,
        external_id=new_external_id(),
        regions=unique_regions,
        status=AccountStatus.DISCONNECTED.value,
        status_reason="not checked yet",
        created_at=utcnow(),
    )
    try:
        with db.begin_nested():
            db.add(account)
    except IntegrityError as error:  # registered concurrently between the check and the insert
        raise AccountExistsError(f"role {role_arn} is already registered") from error
    return account


def get_account(*, db: Session, workspace_id: str, account_id: str) -> Account | None:
    """The workspace's account; another workspace's is not found, as if it did not exist."""
    account = db.get(Account, account_id)
    return account if account is not None and account.workspace_id == workspace_id else None


def require_account(*, db: Session, workspace_id: str, account_id: str) -> Account:
    account = get_account(db=db, workspace_id=workspace_id, account_id=account_id)
    if account is None:
        raise NotFoundError(f"no account {account_id}")
    return account


def get_account_by_role(*, db: Session, workspace_id: str, role_arn: str) -> Account | None:
    """The workspace's account (not closed) that uses this role, if any."""
    statement = select(Account).where(
        Account.workspace_id == workspace_id,
        Account.role_arn == role_arn,
        Account.status != AccountStatus.CLOSED.value,
    )
    return db.scalars(statement).one_or_none()


def list_accounts(*, db: Session, workspace_id: str, include_closed: bool = False) -> list[Account]:
    statement = (
        select(Account).where(Account.workspace_id == workspace_id).order_by(Account.created_at, Account.id)
    )
    if not include_closed:
        statement = statement.where(Account.status != AccountStatus.CLOSED.value)
    return list(db.scalars(statement))


def mark_connected(*, db: Session, account: Account, probe: Mapping[str, Any] | None = None) -> Account:
    """Record a successful AssumeRole and, when given, what each evidence source may do (the probe).

    Writes nothing when the account is already connected and there is no new probe.
    """
    _require_open(account)
    if account.status == AccountStatus.CONNECTED and probe is None:
        return account
    if account.status != AccountStatus.CONNECTED:
        account.connected_at = utcnow()
    account.status = AccountStatus.CONNECTED.value
    account.status_reason = None
    if probe is not None:
        account.last_probe = _json_object("probe", probe)
    db.flush()
    return account


def mark_disconnected(*, db: Session, account: Account, reason: str) -> Account:
    """Record that CloudWarden cannot reach the account, and why (shown to the user)."""
    _require_open(account)
    account.status = AccountStatus.DISCONNECTED.value
    account.status_reason = reason
    db.flush()
    return account


def close_account(*, db: Session, account: Account) -> Account:
    """Close the account. The next purge deletes it with its incidents, evidence and diagnoses."""
    if account.status != AccountStatus.CLOSED:
        account.status = AccountStatus.CLOSED.value
        account.closed_at = utcnow()
        db.flush()
    return account


# Incidents


def get_incident(*, db: Session, workspace_id: str, incident_id: str) -> Incident | None:
    incident = db.get(Incident, incident_id)
    return incident if incident is not None and incident.workspace_id == workspace_id else None


def _require_same_workspace(incident: Incident, workspace_id: str) -> None:
    # A delivery id is unique per notification: one naming another workspace's incident is refused,
    # without saying whose.
    if incident.workspace_id != workspace_id:
        raise NotFoundError("this notification was recorded for another workspace")


def _incident_by_dedup_key(db: Session, dedup_key: str) -> Incident | None:
    return db.scalars(select(Incident).where(Incident.dedup_key == dedup_key)).one_or_none()


def _require_incident(db: Session, workspace_id: str, incident_id: str) -> Incident:
    incident = get_incident(db=db, workspace_id=workspace_id, incident_id=incident_id)
    if incident is None:
        raise NotFoundError(f"no incident {incident_id}")
    return incident


def record_incident(
    *,
    db: Session,
    workspace_id: str,
    account_id: str,
    alarm_name: str,
    alarm_arn: str,
    region: str,
    opened_at: datetime,
    notification: Mapping[str, Any],
    dedup_key: str,
) -> tuple[Incident, bool]:
    """Record an alarm notification. Returns (incident, created); a re-delivery returns the first."""
    existing = _incident_by_dedup_key(db, dedup_key)
    if existing is not None:
        _require_same_workspace(existing, workspace_id)
        return existing, False
    account = get_account(db=db, workspace_id=workspace_id, account_id=account_id)
    if account is None:
        raise NotFoundError(f"no account {account_id}")
    _require_open(account)
    incident = Incident(
        workspace_id=workspace_id,
        account_id=account_id,
        alarm_name=alarm_name,
        alarm_arn=alarm_arn,
        region=region,
        state=IncidentState.OPEN.value,
        opened_at=_aware("opened_at", opened_at),
        received_at=utcnow(),
        notification=_json_object("notification", notification),
        dedup_key=dedup_key,
    )
    try:
        with db.begin_nested():
            db.add(incident)
    except IntegrityError:
        # The same notification arrived twice at once and the other delivery won the insert.
        existing = _incident_by_dedup_key(db, dedup_key)
        if existing is None:
            raise
        _require_same_workspace(existing, workspace_id)
        return existing, False
    return incident, True


def count_incidents(*, db: Session, workspace_id: str, account_id: str) -> int:
    statement = (
        select(func.count())
        .select_from(Incident)
        .where(Incident.workspace_id == workspace_id, Incident.account_id == account_id)
    )
    return int(db.scalar(statement) or 0)


# Evidence and metrics


def add_evidence(
    *, db: Session, workspace_id: str, incident_id: str, items: Sequence[Mapping[str, Any]]
) -> list[EvidenceRecord]:
    """Store evidence items (see EvidenceItem) for an incident; all or none are added."""
    _require_incident(db, workspace_id, incident_id)
    records: list[EvidenceRecord] = []
    collected_at = utcnow()
    for position, item in enumerate(items):
        missing = _EVIDENCE_REQUIRED - item.keys()
        unknown = item.keys() - _EVIDENCE_KEYS
        if missing or unknown:
            problems = [
                f"missing {sorted(missing)}" if missing else "",
                f"unknown {sorted(unknown)}" if unknown else "",
            ]
            raise ValueError(f"evidence item {position}: " + ", ".join(p for p in problems if p))
        records.append(
            EvidenceRecord(
                workspace_id=workspace_id,
                incident_id=incident_id,
                source=str(item["source"]),
                kind=str(item["kind"]),
                resource=str(item["resource"]),
                observed_at=_aware(f"evidence item {position} observed_at", item["observed_at"]),
                summary=str(item["summary"]),
                data=_json_object(f"evidence item {position} data", item.get("data") or {}),
                collected_at=collected_at,
            )
        )
    db.add_all(records)
    db.flush()
    return records


def list_evidence(*, db: Session, workspace_id: str, incident_id: str) -> list[EvidenceRecord]:
    statement = (
        select(EvidenceRecord)
        .where(EvidenceRecord.workspace_id == workspace_id, EvidenceRecord.incident_id == incident_id)
        .order_by(EvidenceRecord.observed_at, EvidenceRecord.id)
    )
    return list(db.scalars(statement))


def add_metric_series(
    *,
    db: Session,
    workspace_id: str,
    incident_id: str,
    resource: str,
    namespace: str,
    metric_name: str,
    stat: str,
    datapoints: Sequence[tuple[datetime, float]],
    dimensions: Mapping[str, str] | None = None,
) -> MetricSeries:
    """Store one metric's raw datapoints (sorted by time) for an incident."""
    _require_incident(db, workspace_id, incident_id)
    points: list[tuple[datetime, float]] = []
    for when, value in datapoints:
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(
                f"{namespace}/{metric_name}: datapoint at {when} is {value}, not a finite number"
            )
        points.append((_aware(f"{namespace}/{metric_name} datapoint", when), number))
    points.sort(key=lambda point: point[0])
    series = MetricSeries(
        workspace_id=workspace_id,
        incident_id=incident_id,
        resource=resource,
        namespace=namespace,
        metric_name=metric_name,
        stat=stat,
        dimensions=dict(dimensions or {}),
        datapoints=[[when.isoformat(), value] for when, value in points],
        collected_at=utcnow(),
    )
    db.add(series)
    db.flush()
    return series


def list_metric_series(*, db: Session, workspace_id: str, incident_id: str) -> list[MetricSeries]:
    statement = (
        select(MetricSeries)
        .where(MetricSeries.workspace_id == workspace_id, MetricSeries.incident_id == incident_id)
        .order_by(MetricSeries.resource, MetricSeries.namespace, MetricSeries.metric_name, MetricSeries.id)
    )
    return list(db.scalars(statement))


# Diagnoses


def save_diagnosis(
    *,
    db: Session,
    workspace_id: str,
    incident_id: str,
    result: Mapping[str, Any],
    top_resource: str | None,
    top_fault: str | None,
    confidence: float,
    aws_calls: int,
    duration_ms: int,
) -> Diagnosis:
    """Store a diagnosis document and mark the incident diagnosed. Confidence is 0..1."""
    incident = _require_incident(db, workspace_id, incident_id)
    if not (math.isfinite(confidence) and 0.0 <= confidence <= 1.0):
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if aws_calls < 0 or duration_ms < 0:
        raise ValueError("aws_calls and duration_ms cannot be negative")
    diagnosis = Diagnosis(
        workspace_id=workspace_id,
        incident_id=incident_id,
        created_at=utcnow(),
        top_resource=top_resource,
        top_fault=top_fault,
        confidence=float(confidence),
        result=_json_object("result", result),
        aws_calls=aws_calls,
        duration_ms=duration_ms,
    )
    db.add(diagnosis)
    incident.state = IncidentState.DIAGNOSED.value
    db.flush()
    return diagnosis


def latest_diagnosis(*, db: Session, workspace_id: str, incident_id: str) -> Diagnosis | None:
    statement = (
        select(Diagnosis)
        .where(Diagnosis.workspace_id == workspace_id, Diagnosis.incident_id == incident_id)
        .order_by(Diagnosis.created_at.desc())
        .limit(1)
    )
    return db.scalars(statement).first()


def latest_diagnoses(*, db: Session, workspace_id: str, incident_ids: list[str]) -> dict[str, Diagnosis]:
    """Each listed incident's latest diagnosis (incidents without one are absent), in one query."""
    if not incident_ids:
        return {}
    statement = (
        select(Diagnosis)
        .where(Diagnosis.workspace_id == workspace_id, Diagnosis.incident_id.in_(incident_ids))
        .order_by(Diagnosis.created_at)
    )
    return {diagnosis.incident_id: diagnosis for diagnosis in db.scalars(statement)}


def list_incidents(
    *,
    db: Session,
    workspace_id: str,
    limit: int = 50,
    account_id: str | None = None,
    state: str | None = None,
    since: datetime | None = None,
    before: tuple[datetime, str] | None = None,
) -> list[Incident]:
    """The workspace's incidents, newest first by (opened_at, id), a page at a time.

    `before`: the (opened_at, id) of the last incident of the previous page; the page starts
    after it, so paging through changing data never repeats or skips one already listed.
    `since`: only incidents opened at or after it.
    """
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIST_LIMIT}")
    statement = select(Incident).where(Incident.workspace_id == workspace_id)
    if account_id is not None:
        statement = statement.where(Incident.account_id == account_id)
    if state is not None:
        statement = statement.where(Incident.state == state)
    if since is not None:
        statement = statement.where(Incident.opened_at >= _aware("since", since))
    if before is not None:
        opened_at, incident_id = _aware("before", before[0]), before[1]
        statement = statement.where(
            (Incident.opened_at < opened_at)
            | ((Incident.opened_at == opened_at) & (Incident.id < incident_id))
        )
    statement = statement.order_by(Incident.opened_at.desc(), Incident.id.desc()).limit(limit)
    return list(db.scalars(statement))
