"""Redis restarted in the middle of an alarm storm: every alert is stored and acknowledged, and
every incident's investigation is queued once the broker is back (the sweep re-sends what the
store says is unfinished; a Redis that restarts empty loses its queue, not the work)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from cloudwarden.simulator.sns_signer import SnsSigner, alarm_notification
from cloudwarden.store import models
from cloudwarden.store.alerting import Alert
from cloudwarden.worker import context as worker_context
from cloudwarden.worker import tasks
from tests.api.conftest import Service, start_service
from tests.api.test_intake import AWS_ACCOUNT, INTAKE, TOPIC
from tests.conftest import add_connected_account


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateRedis:
    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def broker() -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: the outage test starts and stops a Redis of its own")
    private = PrivateRedis(_free_port())
    private.start()
    yield private
    private.stop()


@pytest.fixture
def service(postgres_url: str, broker: PrivateRedis, tmp_path: Path) -> Iterator[Service]:
    from tests.conftest import throwaway_postgres_schema

    schema = throwaway_postgres_schema(postgres_url)
    url = next(schema)
    queue = f"cw-outage-{uuid.uuid4().hex[:8]}"
    yield from start_service(url, tmp_path, broker_url=f"redis://127.0.0.1:{broker.port}/0", task_queue=queue)
    next(schema, None)


def test_nothing_is_lost_when_redis_restarts_during_intake(
    service: Service, broker: PrivateRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    signer = SnsSigner()
    context = service.client.app.state.work.context  # type: ignore[attr-defined]
    context.cert_fetcher = signer.cert_fetcher()
    queue = context.settings.task_queue
    with service.factory.begin() as db:
        add_connected_account(db, AWS_ACCOUNT)
    start = datetime.now(UTC) - timedelta(minutes=30)

    def storm(first: int, count: int) -> None:
        for i in range(first, first + count):
            alarm = alarm_notification(
                account=AWS_ACCOUNT, alarm=f"alarm-{i}", at=start + timedelta(seconds=i)
            )
            answer = service.client.post(
                f"{INTAKE}/sns",
                content=signer.notification(TOPIC, alarm, subject="ALARM"),
                headers={"Content-Type": "text/plain"},
            )
            assert answer.status_code == 200, answer.text

    storm(0, 10)
    assert redis.Redis(port=broker.port).llen(queue) == 10
    broker.stop()
    storm(10, 10)  # the broker is down: stored and acknowledged all the same
    broker.start()  # back, and empty: the ten queued before the outage are gone from Redis too
    assert redis.Redis(port=broker.port).llen(queue) == 0
    with service.factory.begin() as db:
        assert db.scalar(select(func.count()).select_from(Alert)) == 20
        assert db.scalar(select(func.count()).select_from(models.Incident)) == 20
    monkeypatch.setattr(tasks, "STALE_AFTER", timedelta(0))
    worker_context.install(context)
    tasks.sweep()
    assert redis.Redis(port=broker.port).llen(queue) == 20  # every incident's investigation, once
