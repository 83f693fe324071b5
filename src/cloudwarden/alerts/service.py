"""Alerts in the store: one row per delivery, one incident per alarm transition into ALARM.

    received = record(db=db, workspace_id=ws, account=account, source="sns", delivery_id=message_id,
                      transition=transition)
    received.duplicate       # this delivery was stored before: nothing new
    received.opened          # this transition opened its incident (investigate it)

The same transition may arrive by SNS, by EventBridge and through the poller: each is stored as
an alert of its own source, and all of them join the incident keyed by the transition (account,
region, alarm, the moment of the change to the millisecond). A transition back to OK resolves
the alarm's open incident. Never commits: the request or task does, before it acknowledges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cloudwarden.alerts.errors import InvalidAlert
from cloudwarden.store import models
from cloudwarden.store.alerting import ARN_LENGTH, Alert, AlertSource
from cloudwarden.store.models import new_id
from cloudwarden.store.types import utcnow

ALARM = "ALARM"
OK = "OK"


@dataclass(frozen=True)
class Transition:
    """An alarm's change of state, whichever way it reached us."""

    aws_account_id: str
    region: str
    alarm_name: str
    alarm_arn: str
    new_state: str
    old_state: str | None
    reason: str
    changed_at: datetime

    @property
    def key(self) -> str:
        """Identifies the transition whatever path brought it (millisecond UTC timestamp)."""
        moment = self.changed_at.astimezone(UTC).isoformat(timespec="milliseconds")
        return f"transition:{self.aws_account_id}:{self.region}:{self.alarm_name}:{moment}"

    def summary(self) -> dict[str, str | None]:
        return {
            "alarm": self.alarm_name,
            "alarm_arn": self.alarm_arn,
            "state": self.new_state,
            "previous_state": self.old_state,
            "reason": self.reason[:1000],
            "changed_at": self.changed_at.isoformat(),
        }


@dataclass(frozen=True)
class Received:
    alert: Alert
    incident: models.Incident | None
    duplicate: bool  # this very delivery was stored before
    opened: bool  # this transition's incident is new: it needs an investigation
    resolved: bool  # this transition closed an open incident of the alarm (back to OK)


def record(
    *,
    db: Session,
    workspace_id: str,
    account: models.Account,
    source: AlertSource,
    delivery_id: str,
    transition: Transition,
) -> Received:
    """Store the alert (once per delivery) and open, join or resolve its incident.

    Inserts skip conflicts in the database (ON CONFLICT DO NOTHING) rather than read first: the
    same delivery or transition arriving twice at once is stored once, in a few round trips.
    """
    _check_lengths(transition)
    incident: models.Incident | None = None
    opened = resolved = False
    if transition.new_state == ALARM:
        incident, opened = _open_incident(db, workspace_id, account, source, transition)
    elif transition.new_state == OK:
        incident = open_incident_of(
            db=db, workspace_id=workspace_id, account_id=account.id, alarm_name=transition.alarm_name
        )
        if incident is not None and incident.opened_at <= transition.changed_at:
            resolved = incident.resolved_at != transition.changed_at
            incident.resolved_at = transition.changed_at
            db.flush()
        else:
            incident = None
    values = {
        "id": new_id(),
        "workspace_id": workspace_id,
        "account_id": account.id,
        "source": source.value,
        "delivery_id": delivery_id,
        "alarm_name": transition.alarm_name,
        "alarm_arn": transition.alarm_arn,
        "region": transition.region,
        "new_state": transition.new_state,
        "old_state": transition.old_state,
        "reason": transition.reason[:4000],
        "state_changed_at": transition.changed_at,
        "received_at": utcnow(),
        "incident_id": incident.id if incident is not None else None,
    }
    alert = db.scalars(
        _insert(db, Alert)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["workspace_id", "source", "delivery_id"])
        .returning(Alert)
    ).one_or_none()
    if alert is None:  # this very delivery was stored before (an SNS retry, a replay)
        existing = _by_delivery(db, workspace_id, source, delivery_id)
        assert existing is not None
        return Received(existing, _incident(db, existing.incident_id), True, False, False)
    return Received(alert, incident, False, opened, resolved)


def _open_incident(
    db: Session, workspace_id: str, account: models.Account, source: AlertSource, transition: Transition
) -> tuple[models.Incident, bool]:
    dedup_key = f"{workspace_id}:{transition.key}"
    created = db.scalars(
        _insert(db, models.Incident)
        .values(
            id=new_id(),
            workspace_id=workspace_id,
            account_id=account.id,
            alarm_name=transition.alarm_name,
            alarm_arn=transition.alarm_arn,
            region=transition.region,
            state=models.IncidentState.OPEN.value,
            opened_at=transition.changed_at,
            received_at=utcnow(),
            notification={"source": source.value, **transition.summary()},
            dedup_key=dedup_key,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(models.Incident)
    ).one_or_none()
    incident = (
        created or db.scalars(select(models.Incident).where(models.Incident.dedup_key == dedup_key)).one()
    )
    if incident.workspace_id != workspace_id:  # cannot happen: the key starts with the workspace
        raise ValueError("an incident key names another workspace")
    return incident, created is not None


def _insert(db: Session, model: type[Any]) -> Any:
    """INSERT with ON CONFLICT for the session's database (PostgreSQL or SQLite)."""
    if db.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def _check_lengths(transition: Transition) -> None:
    for what, value, limit in (
        ("alarm name", transition.alarm_name, 255),
        ("alarm ARN", transition.alarm_arn, ARN_LENGTH),
        ("region", transition.region, 32),
        ("state", transition.new_state, 32),
    ):
        if not value or len(value) > limit:
            raise InvalidAlert(f"the {what} is empty or longer than {limit} characters")


def open_incident_of(
    *, db: Session, workspace_id: str, account_id: str, alarm_name: str
) -> models.Incident | None:
    """The alarm's latest incident that has not been resolved, if any."""
    return db.scalars(
        select(models.Incident)
        .where(
            models.Incident.workspace_id == workspace_id,
            models.Incident.account_id == account_id,
            models.Incident.alarm_name == alarm_name,
            models.Incident.resolved_at.is_(None),
        )
        .order_by(models.Incident.opened_at.desc())
        .limit(1)
    ).first()


def _by_delivery(db: Session, workspace_id: str, source: AlertSource, delivery_id: str) -> Alert | None:
    return db.scalars(
        select(Alert).where(
            Alert.workspace_id == workspace_id, Alert.source == source.value, Alert.delivery_id == delivery_id
        )
    ).first()


def _incident(db: Session, incident_id: str | None) -> models.Incident | None:
    return db.get(models.Incident, incident_id) if incident_id else None
