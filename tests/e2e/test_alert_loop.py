"""The on-call loop in the embedded default: alarm → SNS → the service's intake → investigation task →
WhatsApp (the Cloud API stand-in) → "Approve fix" → consent → restart through the actions role →
the alarm back to OK → the recovery on the phone; every step in the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from cloudwarden import runtime
from cloudwarden.config import Settings
from cloudwarden.demo import DemoRun, run_demo
from cloudwarden.simulator.server import SimulatorServer
from cloudwarden.store.tenancy import AuditEntry


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder: Path = tmp_path_factory.mktemp("loop")
    return Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'cw.db'}")


@pytest.fixture(scope="module")
def run(simulator_server: SimulatorServer, settings: Settings) -> DemoRun:
    return run_demo("memory_leak", settings=settings, server=simulator_server, deliver=True)


def test_the_diagnosis_the_result_and_the_recovery_reach_the_phone(run: DemoRun) -> None:
    assert run.correct()
    kinds = {(d["kind"], d["channel"], d["status"]) for d in run.deliveries}
    assert {("diagnosis", "whatsapp", "delivered"), ("action_result", "whatsapp", "delivered")} <= kinds
    assert ("recovery", "whatsapp", "delivered") in kinds or ("recovery", "whatsapp", "sent") in kinds
    assert all(status != "pending" for _, _, status in kinds)


def test_the_approved_restart_ran_once_through_the_actions_role_and_the_alarm_recovered(run: DemoRun) -> None:
    remediation = run.remediation
    assert remediation is not None and remediation["action"] == "restart_ecs_service"
    assert remediation["resource"] == run.injection.truth_resource
    assert remediation["consent"] == {"via": "whatsapp", "approver": "on-call@example.com", "used": True}
    assert remediation["executed"] and remediation["recovered"] is True


def test_every_step_of_the_loop_is_in_the_audit_log(run: DemoRun, settings: Settings) -> None:
    factory = runtime.open_store(settings)
    with factory.begin() as db:
        actions = db.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("action.%")).order_by(AuditEntry.seq)
        ).all()
        executed = db.scalars(select(AuditEntry).where(AuditEntry.action == "action.execute")).one()
        assert executed.outcome == "success" and executed.actor == "on-call@example.com"
    assert actions == [
        "action.propose",
        "action.approve",
        "action.start",
        "action.execute",
        "action.recovery",
    ]
