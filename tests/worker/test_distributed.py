"""The loop on the distributed deployment: `cloudwarden serve` + `cloudwarden worker` + `cloudwarden beat`
as processes, on PostgreSQL and Redis, against the simulated account and the WhatsApp stand-in.

The worker's task process is killed (SIGKILL) while it investigates: the task goes back to the
broker (acks_late, reject_on_worker_lost), runs again, and the incident is diagnosed exactly once,
one message per recipient. Then the responder approves the restart from WhatsApp, the worker runs
it through the actions role, and the recovery reaches the phone.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from pydantic import SecretStr
from sqlalchemy import func, select

from cloudwarden import runtime
from cloudwarden.accounts import flows as account_flows
from cloudwarden.alerts import channel_store
from cloudwarden.alerts.channels.configs import WhatsAppConfig
from cloudwarden.aws.session import SessionBroker, base_session
from cloudwarden.aws.template import READ_ROLE_NAME
from cloudwarden.config import Settings
from cloudwarden.identity import config as identity_config
from cloudwarden.simulator import alarms, inject, scenario, workload
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.onboarding import deploy_onboarding_stack
from cloudwarden.simulator.server import SimulatorServer
from cloudwarden.simulator.whatsapp import WhatsAppStandIn
from cloudwarden.store import models
from cloudwarden.store import service as store
from cloudwarden.store.alerting import ActionProposal, OutboxMessage
from cloudwarden.store.tenancy import Membership, Role, User
from tests.conftest import throwaway_postgres_schema

WS = runtime.LOCAL_WORKSPACE_ID
NUMBER = "447700900123"
REDIS_ENV = "CLOUDWARDEN_TEST_REDIS_URL"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(probe: Callable[[], Any], what: str, timeout: float = 90.0, logs: list[Path] | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    tails = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in logs or [] if p.exists())
    raise AssertionError(f"{what} within {timeout:.0f}s\n{tails}")


class Processes:
    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env, self.folder = env, folder
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "cloudwarden.cli.main", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
        )
        self.running[name] = process
        return process

    @property
    def logs(self) -> list[Path]:
        return sorted(self.folder.glob("*.log"))

    def stop_all(self) -> None:
        for process in self.running.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(line) for line in found.stdout.split()]


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"the distributed deployment needs Redis: set {REDIS_ENV} (CI sets it)")
    return url


@pytest.fixture
def deployment(
    postgres_url: str, redis_url: str, sim: SimulatorClient, simulator_server: SimulatorServer, tmp_path: Path
) -> Iterator[dict[str, Any]]:
    database_url = next(schema := throwaway_postgres_schema(postgres_url))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    queue = f"cw-test-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        simulator_url=simulator_server.endpoint,
        broker_url=redis_url,
        task_queue=queue,
        public_url=base,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDWARDEN_", "AWS_"))}
    env.update(
        CLOUDWARDEN_DATA_DIR=str(tmp_path),
        CLOUDWARDEN_DATABASE_URL=database_url,
        CLOUDWARDEN_SIMULATOR_URL=simulator_server.endpoint,
        CLOUDWARDEN_BROKER_URL=redis_url,
        CLOUDWARDEN_TASK_QUEUE=queue,
        CLOUDWARDEN_PUBLIC_URL=base,
        CLOUDWARDEN_POLL_INTERVAL_SECONDS="3600",
    )
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    w = workload.deploy_workload(sim, now=now)
    factory = runtime.open_store(settings)  # migrated, as `serve` would
    role_arn = f"arn:aws:iam::{w.account_id}:role/{READ_ROLE_NAME}"
    with factory.begin() as db:
        account, _ = account_flows.register(
            db=db, workspace_id=WS, actor="test", role_arn=role_arn, region=sim.region
        )
        account_id, external_id = account.id, account.external_id
    outputs = deploy_onboarding_stack(
        sim, principal_arn=settings.principal_arn, external_id=external_id, enable_actions=True
    )
    with factory.begin() as db:
        account = store.require_account(db=db, workspace_id=WS, account_id=account_id)
        account_flows.set_actions_role(
            db=db, account=account, actor="test", actions_role_arn=outputs.actions_role_arn
        )
        account_flows.connect(
            db=db, broker=SessionBroker(settings), account=account, probe=False
        ).raise_for_error()
    secret, token = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    standin = WhatsAppStandIn(
        app_secret=secret, access_token=token, phone_number_id="106540352242922"
    ).start()
    with factory.begin() as db:
        record = channel_store.create(
            db=db,
            keys=identity_config.key_provider(settings),
            workspace_id=WS,
            name="phones",
            config=WhatsAppConfig(
                api_base_url=standin.base_url,
                phone_number_id=standin.phone_number_id,
                access_token=SecretStr(token),
                app_secret=SecretStr(secret),
                verify_token=SecretStr("verify-me"),
                template_name="cloudwarden_incident",
                recipients=[NUMBER],
            ),
        )
        user = User(email="responder@example.com", display_name="R", password_hash="!", phone=NUMBER)
        db.add(user)
        db.flush()
        db.add(Membership(workspace_id=WS, user_id=user.id, role=Role.RESPONDER.value))
        channel_id = record.id
    processes = Processes(env, tmp_path)
    try:
        processes.start("serve", "serve", "--port", str(port))
        _wait(lambda: _healthy(base), "serve did not answer", logs=processes.logs)
        worker = processes.start("worker", "worker", "--concurrency", "1")
        processes.start("beat", "beat")
        standin.webhook_url = f"{base}/api/v1/intake/workspaces/{WS}/whatsapp/{channel_id}"
        standin.user_sends_text(NUMBER)
        alarms.create_alarms(sim, w, topic_arns=[outputs.alerts_topic_arn], at=now - timedelta(days=1))
        base_session(settings, sim.region).client("sns", endpoint_url=settings.aws_endpoint()).subscribe(
            TopicArn=outputs.alerts_topic_arn,
            Protocol="http",
            Endpoint=f"{base}/api/v1/intake/workspaces/{WS}/sns",
        )
        _wait(lambda: _children(worker.pid), "the worker did not start its task process", logs=processes.logs)
        yield {
            "sim": sim,
            "w": w,
            "now": now,
            "factory": factory,
            "standin": standin,
            "worker": worker,
            "processes": processes,
            "redis_url": redis_url,
        }
    finally:
        processes.stop_all()
        standin.stop()
        factory.kw["bind"].dispose()
        with contextlib.suppress(StopIteration):
            next(schema)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _count(factory: Any, model: Any, *where: Any) -> int:
    with factory.begin() as db:
        return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


@pytest.mark.slow
def test_an_alarm_reaches_the_phone_and_a_killed_worker_investigates_exactly_once(
    deployment: dict[str, Any],
) -> None:
    d = deployment
    factory, standin, logs = d["factory"], d["standin"], d["processes"].logs
    chosen = scenario.get("memory_leak")
    alarm = alarms.alarm_name(chosen.alarm)
    inject.inject(d["sim"], d["w"], chosen, now=d["now"])
    incident_id = _wait(
        lambda: _scalar(factory, select(models.Incident.id).where(models.Incident.alarm_name == alarm)),
        "the alarm did not reach the service",
        logs=logs,
    )
    # The worker's task process is killed once it holds the investigation (taken from the queue,
    # not acknowledged: acks_late) and before the diagnosis is stored: mid-task.
    broker = redis.Redis.from_url(d["redis_url"])
    _wait(lambda: broker.hlen("unacked"), "the worker did not take the investigation", timeout=30, logs=logs)
    assert not _count(factory, models.Diagnosis, models.Diagnosis.incident_id == incident_id), (
        "finished too fast"
    )
    killed = _children(d["worker"].pid)
    for child in killed:
        os.kill(child, signal.SIGKILL)
    assert killed
    _wait(
        lambda: _count(factory, models.Diagnosis, models.Diagnosis.incident_id == incident_id),
        "the investigation was not run again after its worker died",
        logs=logs,
    )
    time.sleep(3)  # a second run, if there were one, would have stored its diagnosis by now
    assert _count(factory, models.Diagnosis, models.Diagnosis.incident_id == incident_id) == 1
    message = _wait(
        lambda: next((m for m in standin.sent if m.to == NUMBER and m.type == "interactive"), None),
        "the diagnosis did not reach WhatsApp",
        logs=logs,
    )
    assert (
        _count(
            factory,
            OutboxMessage,
            OutboxMessage.incident_id == incident_id,
            OutboxMessage.kind == "diagnosis",
        )
        == 1
    )
    button = message.body["interactive"]["action"]["buttons"][0]["reply"]
    assert button["id"].startswith("approve:")
    standin.user_taps_button(NUMBER, message.wamid, button["id"], button["title"])
    proposal_id = button["id"].removeprefix("approve:")
    _wait(
        lambda: (
            _scalar(factory, select(ActionProposal.status).where(ActionProposal.id == proposal_id))
            == "succeeded"
        ),
        "the approved restart did not run",
        logs=logs,
    )
    d["sim"].tick(advance_seconds=180)  # the alarm's next periods see the restarted service
    _wait(
        lambda: _scalar(factory, select(ActionProposal.recovered).where(ActionProposal.id == proposal_id)),
        "the recovery was not reported",
        logs=logs,
    )
    _wait(
        lambda: any("back to ok" in str(m.body).lower() for m in standin.sent),
        "no recovery message",
        logs=logs,
    )


def _scalar(factory: Any, query: Any) -> Any:
    with factory.begin() as db:
        return db.scalars(query).first()
