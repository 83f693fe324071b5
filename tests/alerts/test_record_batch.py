"""Alerts stored a batch at a time give what storing them one by one, in order, would give."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cloudwarden.alerts import flows
from cloudwarden.alerts.errors import IntakeRefused, InvalidAlert
from cloudwarden.alerts.intake.batcher import IntakeBatcher
from cloudwarden.alerts.service import Received, Transition
from cloudwarden.store import db as store_db
from cloudwarden.store import models
from cloudwarden.store.alerting import Alert, AlertSource
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID
from tests.conftest import add_connected_account

ACCOUNT = "123456789012"
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def factory(migrated_store: sessionmaker[Session]) -> sessionmaker[Session]:
    with migrated_store.begin() as db:
        add_connected_account(db, ACCOUNT)
    return migrated_store


def _delivery(
    delivery_id: str, state: str, at: datetime, *, alarm: str = "api-5xx", account: str = ACCOUNT
) -> flows.Delivery:
    transition = Transition(
        aws_account_id=account,
        region="us-east-1",
        alarm_name=alarm,
        alarm_arn=f"arn:aws:cloudwatch:us-east-1:{account}:alarm:{alarm}",
        new_state=state,
        old_state="OK" if state == "ALARM" else "ALARM",
        reason="threshold crossed",
        changed_at=at,
    )
    return flows.Delivery(AlertSource.SNS, delivery_id, transition)


def _batch(factory: sessionmaker[Session], items: list[flows.Delivery]) -> list[object]:
    with factory.begin() as db:
        return list(flows.receive_batch(db=db, workspace_id=DEFAULT_WORKSPACE_ID, items=items))


def _one_by_one(factory: sessionmaker[Session], items: list[flows.Delivery]) -> list[object]:
    outcomes: list[object] = []
    for item in items:
        with factory.begin() as db:
            try:
                outcomes.append(
                    flows.receive(
                        db=db,
                        workspace_id=DEFAULT_WORKSPACE_ID,
                        source=item.source,
                        delivery_id=item.delivery_id,
                        transition=item.transition,
                    )
                )
            except (IntakeRefused, InvalidAlert) as exc:
                outcomes.append(exc)
    return outcomes


def _shape(outcomes: list[object]) -> list[object]:
    """What a sender and the incident list would notice, without the generated ids."""
    ids: dict[str | None, int] = {None: -1}
    shaped: list[object] = []
    for outcome in outcomes:
        if isinstance(outcome, Received):
            incident = ids.setdefault(outcome.incident_id, len(ids) - 1)
            shaped.append((outcome.duplicate, outcome.opened, outcome.resolved, incident))
        else:
            shaped.append(type(outcome).__name__)
    return shaped


STORY = [
    _delivery("m1", "ALARM", T0),  # opens incident 1
    _delivery("m2", "ALARM", T0),  # the same transition by another message: joins incident 1
    _delivery("m1", "ALARM", T0),  # m1 again: a duplicate, nothing new
    _delivery("m3", "OK", T0 + timedelta(minutes=5)),  # resolves incident 1
    _delivery("m4", "OK", T0 + timedelta(minutes=6)),  # nothing left to resolve
    _delivery("m5", "ALARM", T0 + timedelta(minutes=9)),  # opens incident 2
    _delivery("m6", "ALARM", T0, alarm="db-cpu", account="999999999999"),  # not connected: refused
    _delivery("m7", "OK", T0 + timedelta(minutes=8)),  # older than incident 2: leaves it open
    _delivery("m8", "ALARM", T0 + timedelta(minutes=1), alarm="x" * 300),  # bad field: refused
    _delivery("m9", "OK", T0 + timedelta(minutes=10)),  # resolves incident 2
]


def test_a_batch_gives_what_storing_one_by_one_gives(factory: sessionmaker[Session]) -> None:
    results = []
    for store_it in (_batch, _one_by_one):
        with factory.begin() as db:  # the same empty store for both
            db.execute(Alert.__table__.delete())
            db.execute(models.Incident.__table__.delete())
        results.append(_shape(store_it(factory, STORY)))
        with factory.begin() as db:
            stored = db.scalar(select(func.count()).select_from(Alert))
            open_incidents = db.scalar(
                select(func.count()).select_from(models.Incident).where(models.Incident.resolved_at.is_(None))
            )
        assert (stored, open_incidents) == (7, 0)  # m1, m2, m3, m4, m5, m7, m9; both incidents resolved
    batch, one_by_one = results
    assert batch == one_by_one
    assert batch == [
        (False, True, False, 0),
        (False, False, False, 0),
        (True, False, False, 0),
        (False, False, True, 0),
        (False, False, False, -1),
        (False, True, False, 1),
        "IntakeRefused",
        (False, False, False, -1),
        "InvalidAlert",
        (False, False, True, 1),
    ]


def test_a_delivery_stored_in_an_earlier_batch_is_a_duplicate(factory: sessionmaker[Session]) -> None:
    [first] = _batch(factory, [_delivery("m1", "ALARM", T0)])
    [again, other] = _batch(factory, [_delivery("m1", "ALARM", T0), _delivery("m2", "ALARM", T0)])
    assert isinstance(first, Received) and isinstance(again, Received) and isinstance(other, Received)
    assert (again.duplicate, again.alert_id, again.incident_id) == (True, first.alert_id, first.incident_id)
    assert (other.duplicate, other.opened, other.incident_id) == (False, False, first.incident_id)


def test_the_batcher_answers_each_request_after_the_commit(factory: sessionmaker[Session]) -> None:
    queued: list[tuple[str, str]] = []

    @contextlib.contextmanager
    def open_session(workspace_id: str) -> Iterator[Session]:
        with store_db.session_scope(factory) as db:
            yield db

    batcher = IntakeBatcher(
        open_session=open_session,
        on_stored=lambda ws, stored: queued.extend(t for r in stored for t in flows.follow_up(ws, r)),
    )

    async def send_all() -> list[object]:
        deliveries = [
            _delivery(f"m{i}", "ALARM", T0 + timedelta(seconds=i), alarm=f"a{i % 7}") for i in range(60)
        ]
        deliveries.append(_delivery("bad", "ALARM", T0, account="999999999999"))
        return await asyncio.gather(
            *(batcher.submit(DEFAULT_WORKSPACE_ID, d) for d in deliveries), return_exceptions=True
        )

    outcomes = asyncio.run(send_all())
    batcher.stop()
    assert all(isinstance(o, Received) and o.opened for o in outcomes[:60])
    assert isinstance(outcomes[60], IntakeRefused)
    assert len(queued) == 60 and {task for task, _ in queued} == {"investigate_incident"}
    with factory.begin() as db:
        assert db.scalar(select(func.count()).select_from(Alert)) == 60


def test_a_failed_transaction_answers_every_request_in_it_with_the_error(
    factory: sessionmaker[Session],
) -> None:
    @contextlib.contextmanager
    def broken(workspace_id: str) -> Iterator[Session]:
        with store_db.session_scope(factory) as db:
            yield db
            raise OSError("the database went away at commit time")

    batcher = IntakeBatcher(open_session=broken, on_stored=lambda ws, r: None)

    async def send() -> list[object]:
        return await asyncio.gather(
            *(batcher.submit(DEFAULT_WORKSPACE_ID, _delivery(f"m{i}", "ALARM", T0)) for i in range(5)),
            return_exceptions=True,
        )

    outcomes = asyncio.run(send())
    batcher.stop()
    assert all(isinstance(o, OSError) for o in outcomes)
    with factory.begin() as db:
        assert db.scalar(select(func.count()).select_from(Alert)) == 0  # nothing acknowledged was kept
