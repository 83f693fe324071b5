"""Posture scans on the schedule: one per connected account when due; a re-run does not scan twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cloudwarden.posture import scan as posture_scan_run
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.onboarding import deploy_onboarding_stack
from cloudwarden.store.posture import PostureScan
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID
from cloudwarden.store.types import utcnow
from cloudwarden.worker import context as worker_context
from cloudwarden.worker import tasks
from tests.api.conftest import Service, start_service
from tests.api.test_intake import Recorder
from tests.conftest import add_connected_account
from tests.worker.sqlite_writer import write_meanwhile


@pytest.fixture
def service(tmp_path: Path, sim: SimulatorClient) -> Iterator[Service]:
    yield from start_service(f"sqlite:///{tmp_path / 'cw.db'}", tmp_path, simulator_url=sim.endpoint)


def _connected(service: Service, sim: SimulatorClient) -> tuple[Recorder, str]:
    """The simulated account connected through its onboarding stack; the tasks it queues recorded."""
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
        return recorder, account.id


def test_a_due_account_is_scanned_once_however_often_the_task_runs(
    service: Service, sim: SimulatorClient
) -> None:
    recorder, account_id = _connected(service, sim)

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


def test_the_store_takes_writes_while_the_scan_reads_aws(
    service: Service, sim: SimulatorClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan of a large account reads AWS for minutes; on SQLite, a console request that writes
    meanwhile (an approval, a sign-in) must not wait for it, nor fail after the busy timeout."""
    _, account_id = _connected(service, sim)
    scan_session = posture_scan_run.scan_session
    written: list[str] = []

    def scan_while_someone_writes(*args: Any, **kwargs: Any) -> Any:
        write_meanwhile(tmp_path / "cw.db")
        written.append("during the scan")
        return scan_session(*args, **kwargs)

    monkeypatch.setattr(posture_scan_run, "scan_session", scan_while_someone_writes)
    tasks.posture_scan(
        workspace_id=DEFAULT_WORKSPACE_ID, account_id=account_id, requested_at=utcnow().isoformat()
    )
    assert written == ["during the scan"]
    with service.factory.begin() as db:
        [scan] = db.scalars(select(PostureScan)).all()
        assert scan.account_id == account_id and scan.checks > 0
