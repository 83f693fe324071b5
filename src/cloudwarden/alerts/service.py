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

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cloudwarden.alerts.errors import InvalidAlert
from cloudwarden.store import models
from cloudwarden.store.alerting import ARN_LENGTH, ActionProposal, Alert, AlertSource, ProposalStatus
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
class Incoming:
    """One delivery to store: where it came from and the transition it reports."""

    account: models.Account
    source: AlertSource
    delivery_id: str
    transition: Transition


@dataclass(frozen=True)
class Received:
    alert_id: str
    incident_id: str | None
    duplicate: bool  # this very delivery was stored before: nothing new
    opened: bool  # this transition's incident is new: it needs an investigation
    resolved: bool  # this transition closed an open incident of the alarm (back to OK)
    # It resolved an incident whose action succeeded and whose recovery is not reported yet.
    recovery_to_report: bool = False


def record(
    *,
    db: Session,
    workspace_id: str,
    account: models.Account,
    source: AlertSource,
    delivery_id: str,
    transition: Transition,
) -> Received:
    """Store one alert (once per delivery) and open, join or resolve its incident."""
    [outcome] = record_batch(
        db=db, workspace_id=workspace_id, items=[Incoming(account, source, delivery_id, transition)]
    )
    if isinstance(outcome, InvalidAlert):
        raise outcome
    return outcome


def record_batch(
    *, db: Session, workspace_id: str, items: Sequence[Incoming]
) -> list[Received | InvalidAlert]:
    """Store a batch of alerts of one workspace, in a few statements whatever its size.

    The outcome is the one storing the items one after the other, in order, would give: a
    delivery seen before (in the store or earlier in the batch) is a duplicate and changes
    nothing; an ALARM opens or joins the incident keyed by its transition; an OK resolves the
    alarm's latest unresolved incident if it opened no later than the OK. Inserts skip conflicts
    in the database (ON CONFLICT DO NOTHING), so the same delivery or transition arriving at once
    through another process is stored once. Items with bad fields get their InvalidAlert.
    """
    outcomes: list[Received | InvalidAlert | None] = [None] * len(items)
    valid: list[int] = []
    for index, item in enumerate(items):
        problem = _length_problem(item.transition)
        if problem is not None:
            outcomes[index] = problem
        else:
            valid.append(index)
    if not valid:
        return [o for o in outcomes if o is not None]
    now = utcnow()
    # Deliveries stored before: answered as duplicates, with what they were stored as.
    stored = _stored_deliveries(
        db, workspace_id, {(items[i].source.value, items[i].delivery_id) for i in valid}
    )
    fresh: list[int] = []
    for index in valid:
        key = (items[index].source.value, items[index].delivery_id)
        if key in stored:
            outcomes[index] = Received(*stored[key], duplicate=True, opened=False, resolved=False)
        else:
            fresh.append(index)
    # The incidents the batch's ALARMs open (or join), and the alarms' unresolved incidents.
    unresolved = _unresolved(
        db, workspace_id, {(items[i].account.id, items[i].transition.alarm_name) for i in fresh}
    )
    created, keyed = _open_incidents(
        db, workspace_id, [items[i] for i in fresh if items[i].transition.new_state == ALARM], now
    )
    rows: list[dict[str, Any]] = []
    resolutions: dict[str, datetime] = {}
    first_of: dict[tuple[str, str], int] = {}
    for index in fresh:
        item = items[index]
        transition = item.transition
        key = (item.source.value, item.delivery_id)
        if key in first_of:  # the same delivery twice in one batch: the second is its duplicate
            first = outcomes[first_of[key]]
            assert isinstance(first, Received)
            outcomes[index] = Received(first.alert_id, first.incident_id, True, False, False)
            continue
        first_of[key] = index
        incident_id: str | None = None
        opened = resolved = False
        alarm = (item.account.id, transition.alarm_name)
        if transition.new_state == ALARM:
            incident_id, opened_at, resolved_at = keyed[_dedup_key(workspace_id, transition)]
            opened = incident_id in created
            created.discard(incident_id)  # opened once, by its first alert
            if resolved_at is None and incident_id not in resolutions:
                unresolved.setdefault(alarm, {})[incident_id] = opened_at
        elif transition.new_state == OK:
            candidates = unresolved.get(alarm, {})
            if candidates:
                latest = max(candidates, key=lambda i: candidates[i])
                if candidates[latest] <= transition.changed_at:
                    incident_id, resolved = latest, True
                    resolutions[latest] = transition.changed_at
                    del candidates[latest]
        alert_id = new_id()
        rows.append(
            {
                "id": alert_id,
                "workspace_id": workspace_id,
                "account_id": item.account.id,
                "source": item.source.value,
                "delivery_id": item.delivery_id,
                "alarm_name": transition.alarm_name,
                "alarm_arn": transition.alarm_arn,
                "region": transition.region,
                "new_state": transition.new_state,
                "old_state": transition.old_state,
                "reason": transition.reason[:4000],
                "state_changed_at": transition.changed_at,
                "received_at": now,
                "incident_id": incident_id,
            }
        )
        outcomes[index] = Received(alert_id, incident_id, False, opened, resolved)
    if resolutions:
        table = cast(Table, models.Incident.__table__)
        db.execute(
            update(table).where(table.c.id == bindparam("b_id")).values(resolved_at=bindparam("b_at")),
            [{"b_id": i, "b_at": at} for i, at in resolutions.items()],
        )
        watched = _recoveries_to_report(db, set(resolutions))
        for index, outcome in enumerate(outcomes):
            if isinstance(outcome, Received) and outcome.resolved and outcome.incident_id in watched:
                outcomes[index] = replace(outcome, recovery_to_report=True)
    if rows:
        inserted = _insert_new(
            db, cast(Table, Alert.__table__), rows, ["workspace_id", "source", "delivery_id"]
        )
        if len(inserted) < len(rows):  # stored at the same moment by another process
            _mark_raced(db, workspace_id, items, outcomes, inserted)
    return [o for o in outcomes if o is not None]


def _dedup_key(workspace_id: str, transition: Transition) -> str:
    return f"{workspace_id}:{transition.key}"


def _recoveries_to_report(db: Session, incident_ids: set[str]) -> set[str]:
    """The incidents among these with an action that succeeded and whose recovery is unreported.

    Only those need the incident_resolved task. An action that succeeds after this read is
    watched by its own watch_recovery, which sees the incident resolved.
    """
    return set(
        db.scalars(
            select(ActionProposal.incident_id).where(
                ActionProposal.incident_id.in_(incident_ids),
                ActionProposal.status == ProposalStatus.SUCCEEDED.value,
                ActionProposal.recovered.is_(None),
            )
        )
    )


def _stored_deliveries(
    db: Session, workspace_id: str, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], tuple[str, str | None]]:
    if not keys:
        return {}
    found = db.execute(
        select(Alert.source, Alert.delivery_id, Alert.id, Alert.incident_id).where(
            Alert.workspace_id == workspace_id,
            Alert.source.in_({source for source, _ in keys}),
            Alert.delivery_id.in_({delivery for _, delivery in keys}),
        )
    )
    return {(s, d): (a, i) for s, d, a, i in found if (s, d) in keys}


def _unresolved(
    db: Session, workspace_id: str, alarms: set[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, datetime]]:
    """Each alarm's unresolved incidents (id -> opened at), before the batch."""
    out: dict[tuple[str, str], dict[str, datetime]] = {}
    if not alarms:
        return out
    rows = db.execute(
        select(
            models.Incident.id,
            models.Incident.account_id,
            models.Incident.alarm_name,
            models.Incident.opened_at,
        ).where(
            models.Incident.workspace_id == workspace_id,
            models.Incident.resolved_at.is_(None),
            models.Incident.alarm_name.in_({alarm for _, alarm in alarms}),
        )
    )
    for incident_id, account_id, alarm_name, opened_at in rows:
        if (account_id, alarm_name) in alarms:
            out.setdefault((account_id, alarm_name), {})[incident_id] = opened_at
    return out


def _open_incidents(
    db: Session, workspace_id: str, items: list[Incoming], now: datetime
) -> tuple[set[str], dict[str, tuple[str, datetime, datetime | None]]]:
    """Insert the incidents of these ALARM transitions where none exists yet.

    Returns the ids created now, and every transition's incident by dedup key: (id, opened at,
    resolved at).
    """
    if not items:
        return set(), {}
    values: dict[str, dict[str, Any]] = {}
    for item in items:
        key = _dedup_key(workspace_id, item.transition)
        if key not in values:
            values[key] = {
                "id": new_id(),
                "workspace_id": workspace_id,
                "account_id": item.account.id,
                "alarm_name": item.transition.alarm_name,
                "alarm_arn": item.transition.alarm_arn,
                "region": item.transition.region,
                "state": models.IncidentState.OPEN.value,
                "opened_at": item.transition.changed_at,
                "received_at": now,
                "notification": {"source": item.source.value, **item.transition.summary()},
                "dedup_key": key,
            }
    table = cast(Table, models.Incident.__table__)
    created = _insert_new(db, table, list(values.values()), ["dedup_key"])
    keyed: dict[str, tuple[str, datetime, datetime | None]] = {
        key: (row["id"], row["opened_at"], None) for key, row in values.items() if row["id"] in created
    }
    missing = [key for key in values if key not in keyed]
    if missing:
        for incident_id, key, opened_at, resolved_at, owner in db.execute(
            select(
                table.c.id, table.c.dedup_key, table.c.opened_at, table.c.resolved_at, table.c.workspace_id
            ).where(table.c.dedup_key.in_(missing))
        ):
            if owner != workspace_id:  # cannot happen: the key starts with the workspace
                raise ValueError("an incident key names another workspace")
            keyed[key] = (incident_id, opened_at, resolved_at)
    return created, keyed


def _mark_raced(
    db: Session,
    workspace_id: str,
    items: Sequence[Incoming],
    outcomes: list[Received | InvalidAlert | None],
    inserted: set[str],
) -> None:
    """Alerts another process stored between our read and our insert: answer them as duplicates."""
    lost = {
        (items[i].source.value, items[i].delivery_id): i
        for i, o in enumerate(outcomes)
        if isinstance(o, Received) and not o.duplicate and o.alert_id not in inserted
    }
    stored = _stored_deliveries(db, workspace_id, set(lost))
    for key, index in lost.items():
        alert_id, incident_id = stored[key]
        outcomes[index] = Received(alert_id, incident_id, True, False, False)


def _insert_new(db: Session, table: Table, rows: list[dict[str, Any]], unique: list[str]) -> set[str]:
    """Insert the rows that conflict with none stored (on `unique`); the ids of those inserted.

    On PostgreSQL the rows travel as one array per column (INSERT ... SELECT unnest(...)): one
    short statement whatever the batch size, which the driver parses once and the server prepares
    once, where a VALUES list would be a new, long statement for every batch size.
    """
    columns = [table.c[name] for name in rows[0]]
    if db.get_bind().dialect.name == "postgresql":
        arrays = select(
            *(
                func.unnest(
                    bindparam(f"a_{c.name}", [row[c.name] for row in rows], type_=postgresql.ARRAY(c.type))
                )
                for c in columns
            )
        )
        statement = postgresql.insert(table).from_select(columns, arrays)
        return set(db.scalars(statement.on_conflict_do_nothing(index_elements=unique).returning(table.c.id)))
    return set(
        db.scalars(
            sqlite.insert(table)
            .values(rows)
            .on_conflict_do_nothing(index_elements=unique)
            .returning(table.c.id)
        )
    )


def _length_problem(transition: Transition) -> InvalidAlert | None:
    for what, value, limit in (
        ("alarm name", transition.alarm_name, 255),
        ("alarm ARN", transition.alarm_arn, ARN_LENGTH),
        ("region", transition.region, 32),
        ("state", transition.new_state, 32),
    ):
        if not value or len(value) > limit:
            return InvalidAlert(f"the {what} is empty or longer than {limit} characters")
    return None
