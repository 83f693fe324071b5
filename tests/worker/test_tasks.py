"""Task bodies run twice do nothing twice; an alarm that cannot be investigated is still told."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cloudwarden.alerts import channel_store
from cloudwarden.alerts import service as alerts
from cloudwarden.alerts.channels.configs import SnsConfig
from cloudwarden.audit import service as audit
from cloudwarden.errors import NothingToInvestigate
from cloudwarden.incidents import flows as incident_flows
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.onboarding import deploy_onboarding_stack
from cloudwarden.store import models
from cloudwarden.store import service as store
from cloudwarden.store.alerting import AlertSource, OutboxMessage
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID
from cloudwarden.worker import context as worker_context
from cloudwarden.worker import tasks
from tests.api.conftest import Service, start_service
from tests.api.test_intake import Recorder
from tests.conftest import add_connected_account
from tests.worker.sqlite_writer import write_meanwhile


@pytest.fixture
def service(tmp_path: Path, sim: SimulatorClient) -> Iterator[Service]:
    yield from start_service(f"sqlite:///{tmp_path / 'cw.db'}", tmp_path, simulator_url=sim.endpoint)


def test_an_alarm_whose_role_is_gone_is_reported_not_investigated_and_told_once(
    service: Service, sim: SimulatorClient
) -> None:
    context = service.client.app.state.work.context  # type: ignore[attr-defined]
    recorder = Recorder()
    context.dispatcher = recorder
    worker_context.install(context)
    account_id = sim.client("sts").get_caller_identity()["Account"]
    topic = sim.client("sns").create_topic(Name="CloudWardenAlerts")["TopicArn"]
    with service.factory.begin() as db:
        account = store.create_account(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            name="prod",
            role_arn=f"arn:aws:iam::{account_id}:role/DeletedByTheCustomer",
            regions=[sim.region],
        )
        account.status = models.AccountStatus.CONNECTED.value
        channel_store.create(
            db=db,
            keys=context.keys,
            workspace_id=DEFAULT_WORKSPACE_ID,
            name="ops",
            config=SnsConfig(topic_arn=topic),
        )
        transition = alerts.Transition(
            aws_account_id=account_id,
            region=sim.region,
            alarm_name="api-5xx",
            alarm_arn=f"arn:aws:cloudwatch:{sim.region}:{account_id}:alarm:api-5xx",
            new_state="ALARM",
            old_state="OK",
            reason="Threshold Crossed",
            changed_at=datetime.now(UTC),
        )
        received = alerts.record(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            account=account,
            source=AlertSource.SNS,
            delivery_id="m-1",
            transition=transition,
        )
        assert received.incident_id is not None
        incident_id = received.incident_id
    tasks.investigate_incident(DEFAULT_WORKSPACE_ID, incident_id)
    tasks.investigate_incident(DEFAULT_WORKSPACE_ID, incident_id)  # a redelivery: nothing again
    with service.factory.begin() as db:
        incident = db.get(models.Incident, incident_id)
        assert incident is not None and incident.state == "failed"
        assert incident.notification["investigation_error"]["code"] == "not_connected"
        told = db.scalars(select(OutboxMessage).where(OutboxMessage.incident_id == incident_id)).all()
        assert len(told) == 1 and "could not investigate" in told[0].payload["text"]
        account = db.get(models.Account, incident.account_id)
        assert account is not None and account.status == "disconnected"  # what the failure taught
    assert [task for task, _ in recorder.sent] == ["deliver_message"]


def test_the_store_takes_writes_while_an_investigation_reads_aws(
    service: Service, sim: SimulatorClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite a page or an alert arriving while an investigation reads AWS is not kept waiting:
    the task holds no transaction (no writer's lock) between claiming the incident and storing."""
    context = service.client.app.state.work.context  # type: ignore[attr-defined]
    context.dispatcher = Recorder()
    worker_context.install(context)
    account_id = sim.client("sts").get_caller_identity()["Account"]
    with service.factory.begin() as db:
        account = add_connected_account(db, account_id)
        account.regions = [sim.region]
        account.role_arn = deploy_onboarding_stack(
            sim, principal_arn=context.settings.principal_arn, external_id=account.external_id
        ).read_role_arn
        incident, _ = store.record_incident(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            account_id=account.id,
            alarm_name="api-5xx",
            alarm_arn=f"arn:aws:cloudwatch:{sim.region}:{account_id}:alarm:api-5xx",
            region=sim.region,
            opened_at=datetime.now(UTC),
            notification={"source": "sns"},
            dedup_key="lock-test",
        )
        incident_id = incident.id
    written: list[str] = []

    def attempt_while_someone_writes(*args: Any, **kwargs: Any) -> incident_flows.Attempt:
        write_meanwhile(tmp_path / "cw.db")
        written.append("during the investigation")
        return incident_flows.Attempt(error=NothingToInvestigate("the alarm never went off"))

    monkeypatch.setattr(incident_flows, "attempt", attempt_while_someone_writes)
    tasks.investigate_incident(DEFAULT_WORKSPACE_ID, incident_id)
    assert written == ["during the investigation"]
    with service.factory.begin() as db:
        stored = db.get(models.Incident, incident_id)
        assert stored is not None and stored.state == "failed"
        assert stored.notification["investigation_error"]["code"] == NothingToInvestigate.code
        [entry] = audit.entries(db, workspace_id=DEFAULT_WORKSPACE_ID, action="incident.investigate")
        assert (entry.outcome, entry.details["error"]) == ("failure", NothingToInvestigate.code)
