"""Queueing on Redis: several tasks go in one pipeline, each its own Celery message; a broker that
is down loses nothing the sweep cannot send again (the send is logged, not raised)."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import pytest
import redis

from cloudwarden.config import Settings
from cloudwarden.worker.celery_app import make_celery
from cloudwarden.worker.dispatch import CeleryDispatcher
from tests.worker.test_redis_outage import PrivateRedis, broker  # noqa: F401 - the fixture

TASKS = [
    ("investigate_incident", {"workspace_id": "ws", "incident_id": f"incident-{n}"}) for n in range(3)
] + [("incident_resolved", {"workspace_id": "ws", "incident_id": "incident-9"})]


def _dispatcher(port: int, queue: str, tmp_path: Path) -> CeleryDispatcher:
    settings = Settings(data_dir=tmp_path, broker_url=f"redis://127.0.0.1:{port}/0", task_queue=queue)
    return CeleryDispatcher(make_celery(settings))


def test_several_tasks_are_queued_as_one_message_each(broker: PrivateRedis, tmp_path: Path) -> None:  # noqa: F811
    queue = f"cw-dispatch-{uuid.uuid4().hex[:8]}"
    _dispatcher(broker.port, queue, tmp_path).send_many(TASKS)
    client = redis.Redis(port=broker.port)
    queued = [json.loads(raw) for raw in reversed(client.lrange(queue, 0, -1))]  # LPUSH: newest first
    assert [(m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[1]) for m in queued] == [
        (f"cloudwarden.{task}", kwargs) for task, kwargs in TASKS
    ]


def test_a_broker_that_is_down_raises_nothing(
    broker: PrivateRedis,  # noqa: F811
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    dispatcher = _dispatcher(broker.port, "cw-dispatch-down", tmp_path)
    broker.stop()
    dispatcher.send_many(TASKS)  # the alerts are stored; the sweep re-sends their work
    assert "the sweep will re-send them" in caplog.text
