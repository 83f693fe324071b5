"""Posture scans on the schedule: one per connected account when due; a re-run does not scan twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.onboarding import deploy_onboarding_stack
from cloudwarden.store.posture import PostureScan
from cloudwarden.store.types import utcnow
from cloudwarden.worker import context as worker_context
from cloudwarden.worker import tasks
from tests.api.conftest import Service, start_service
from tests.api.test_intake import Recorder
from tests.conftest import add_connected_account


@pytest.fixture
def service(tmp_path: Path, sim: SimulatorClient) -> Iterator[Service]:
    yield from start_service(f"sqlite:///{tmp_path / 'cw.db'}", tmp_path, simulator_url=sim.endpoint)


def test_a_due_account_is_scanned_once_however_often_the_task_runs(
    service: Service, sim: SimulatorClient
) -> None:
    context = service.client.app.state.work.context  # type: ignore[attr-defined]
    recorder = Recorder()
    context.dispatcher = recorder
    worker_context.install(context)
    with service.factory.begin() as db:
        account = add_connected_account(db, "123456789012")
        outputs = deploy_onboarding_stack(
            sim, principal_arn=context.settings.principal_arn, external_id=account.external_id
        )
        account.role_arn = outputs.read_role_arn
        account_id = account.id

    tasks.posture_scans()  # beat: never scanned, so due
    [(task, kwargs)] = recorder.sent
    assert task == "posture_scan" and kwargs["account_id"] == account_id
    tasks.posture_scan(**kwargs)
    tasks.posture_scan(**kwargs)  # delivered twice (a worker died after the scan): no second scan
    with service.factory.begin() as db:
        assert db.scalar(select(func.count()).select_from(PostureScan)) == 1

    recorder.sent.clear()
    tasks.posture_scans()  # scanned within the interval: not due
    assert recorder.sent == []
    later = (utcnow() + timedelta(seconds=1)).isoformat()  # an API request after that scan
    tasks.posture_scan(workspace_id=kwargs["workspace_id"], account_id=account_id, requested_at=later)
    with service.factory.begin() as db:
        assert db.scalar(select(func.count()).select_from(PostureScan)) == 2
