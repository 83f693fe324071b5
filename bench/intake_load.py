"""Intake under load: signed SNS alarm notifications at a fixed rate against `cloudwarden serve` with
`cloudwarden worker`, on PostgreSQL and Redis, on loopback.

    .venv/bin/python bench/intake_load.py --rate 1000 --seconds 20 --serve-workers 2 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test --broker-url redis://127.0.0.1:6379/2

Every message is a distinct, correctly signed delivery (its own MessageId) of a new state change of
one of --alarms alarms, alternating ALARM and OK, so half of them open an incident and queue an
investigation. The account's endpoint is a stand-in (`_stand_in`) that refuses every AssumeRole
with AccessDenied, so each investigation fails fast, as one against a revoked role does;
`investigated_by_end` counts those the worker finished during the run. Sends are scheduled at
fixed times and each latency is measured from its scheduled time, so a server that falls behind
is charged for the queue it builds (no coordinated omission).
Afterwards the store is read: every acknowledged MessageId must be stored exactly once (lost: 0,
duplicated: 0) and every ALARM transition must have exactly one incident. Prints one JSON object.

The store starts as a running service's would: --history resolved incidents with their alerts,
vacuumed and analyzed (see `_history`). The run's task queue is deleted from Redis afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvloop

ACCOUNT = "123456789012"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:CloudWardenAlerts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _messages(count: int, alarms: int) -> list[tuple[str, bytes]]:
    from cloudwarden.simulator.sns_signer import SnsSigner, alarm_notification

    signer = _messages.signer = SnsSigner()  # type: ignore[attr-defined]
    start = datetime.now(UTC) - timedelta(hours=1)
    out = []
    for i in range(count):
        alarm, turn = i % alarms, i // alarms
        state = "ALARM" if turn % 2 == 0 else "OK"
        at = start + timedelta(seconds=turn, milliseconds=alarm)
        body = alarm_notification(account=ACCOUNT, alarm=f"load-{alarm:04d}", state=state, old="OK", at=at)
        message_id = str(uuid.uuid4())
        out.append(
            (message_id, signer.notification(TOPIC, body, subject=f"{state}: load", message_id=message_id))
        )
    return out


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection that sends a request, reads its response, and repeats.

    A bare protocol rather than asyncio streams: the generator shares the machine's two cores with
    the server it measures, so it parses only the status line and Content-Length.
    """

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.waiting: asyncio.Future[int] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiting is None:
            return
        head = bytes(self.buffer[:end]).lower()
        at = head.find(b"content-length:")
        length = int(head[at + 15 :].split(b"\r\n", 1)[0]) if at >= 0 else 0
        if len(self.buffer) < end + 4 + length:
            return
        status = int(head[9:12])
        del self.buffer[: end + 4 + length]
        self.waiting.set_result(status)
        self.waiting = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiting is not None and not self.waiting.done():
            self.waiting.set_exception(exc or ConnectionError("closed"))

    async def send(self, request: bytes) -> int:
        assert self.transport is not None
        self.waiting = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiting


async def _load(
    port: int, path: str, bodies: list[bytes], rate: float, connections: int
) -> list[tuple[int, float]]:
    """(status, latency from the scheduled send time in seconds) per message, in order."""
    requests = [
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain; charset=UTF-8\r\n"
        f"x-amz-sns-message-type: Notification\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
        for body in bodies
    ]
    results: list[tuple[int, float]] = [(0, 0.0)] * len(bodies)
    loop = asyncio.get_running_loop()
    started = time.perf_counter() + 0.5
    next_index = 0

    async def connection() -> None:
        nonlocal next_index
        transport, protocol = await loop.create_connection(_Connection, "127.0.0.1", port)
        try:
            while next_index < len(requests):
                index = next_index  # no await between the read and the increment: no lock needed
                next_index += 1
                due = started + index / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                status = await protocol.send(requests[index])
                results[index] = (status, time.perf_counter() - due)
        finally:
            transport.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return results


_HISTORY_INCIDENTS = """
INSERT INTO incidents (id, workspace_id, account_id, alarm_name, alarm_arn, region, state, opened_at,
                       received_at, notification, dedup_key, resolved_at)
SELECT gen_random_uuid()::text, CAST(:ws AS text), CAST(:account AS text), 'history-' || (i % 997),
       'arn:aws:cloudwatch:us-east-1:123456789012:alarm:history-' || (i % 997), 'us-east-1', 'diagnosed',
       now() - interval '1 day' + i * interval '1 second', now() - interval '1 day', '{}'::jsonb,
       CAST(:ws AS text) || ':history:' || i, now() - interval '1 day' + i * interval '2 second'
FROM generate_series(1, CAST(:n AS integer)) AS i
"""
_HISTORY_ALERTS = """
INSERT INTO alerts (id, workspace_id, account_id, source, delivery_id, alarm_name, alarm_arn, region,
                    new_state, old_state, reason, state_changed_at, received_at, incident_id)
SELECT gen_random_uuid()::text, CAST(:ws AS text), CAST(:account AS text), 'sns', gen_random_uuid()::text,
       alarm_name, alarm_arn, region, 'ALARM', 'OK', '', opened_at, received_at, id
FROM incidents WHERE workspace_id = :ws
"""


def _history(engine: Any, *, account_id: str, workspace_id: str, count: int) -> None:
    """A service that has been running: `count` resolved incidents of other alarms, each with its
    alert, from yesterday; then ANALYZE, as autovacuum would have. Without statistics, PostgreSQL's
    planner takes a table it has never analyzed for a tiny one and reads every alert of the
    workspace to find a handful of MessageIds, so a load on a brand-new schema slows down as the
    tables fill (until autovacuum's first ANALYZE, up to a minute in), which no running service
    sees."""
    from sqlalchemy import text

    if count <= 0:
        return
    params = {"ws": workspace_id, "account": account_id, "n": count}
    with engine.begin() as connection:
        connection.execute(text(_HISTORY_INCIDENTS), params)
        connection.execute(text(_HISTORY_ALERTS), params)
    with engine.connect() as connection:
        # VACUUM too: otherwise autovacuum takes the new rows on during the measured load.
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))


_REVOKED = (
    b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
    b"<Code>AccessDenied</Code><Message>not authorized to perform: sts:AssumeRole</Message></Error>"
    b"<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
)


def _stand_in(signer: Any) -> tuple[str, Any]:
    """The simulated account's endpoint for this run: it serves the SNS signing certificate and
    refuses every AssumeRole with AccessDenied, as a revoked role would (each investigation fails
    fast, in its own transaction, as a real one against a revoked role does)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from cloudwarden.simulator.sns_signer import CERT_PATH

    pem = signer.certificate_pem

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else each answer waits 40 ms for a delayed ACK
        wbufsize = -1  # the head and the body in one write (flushed after each request)

        def log_message(self, format: str, *args: object) -> None:
            return None

        def _answer(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            ok = self.path.endswith(CERT_PATH)
            self._answer(200 if ok else 404, pem if ok else b"not found", "text/plain")

        def do_POST(self) -> None:  # STS (through the proxy): the role refuses CloudWarden
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._answer(403, _REVOKED, "text/xml")

    # In a process of its own, so its answers do not wait for the load generator's GIL.
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    process = multiprocessing.get_context("fork").Process(target=server.serve_forever, daemon=True)
    process.start()
    server.server_close()  # the child serves; this process only needed the bound port

    def stop() -> None:
        process.terminate()
        process.join(5)

    return f"http://127.0.0.1:{server.server_address[1]}", stop


def _drop_queue(broker_url: str, queue: str) -> None:
    """The run's own task queue: without a worker its investigations would pile up in Redis."""
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        client.delete(queue)
    finally:
        client.close()


def _wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("serve exited:\n" + log.read_text()[-3000:])
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit("serve did not answer:\n" + log.read_text()[-3000:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="messages per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to send")
    parser.add_argument("--alarms", type=int, default=500, help="distinct alarms")
    parser.add_argument("--connections", type=int, default=64, help="concurrent HTTP connections")
    parser.add_argument("--serve-workers", type=int, default=2, help="`cloudwarden serve --workers`")
    parser.add_argument(
        "--worker-concurrency", type=int, default=1, help="`cloudwarden worker --concurrency`"
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("CLOUDWARDEN_TEST_POSTGRES_URL"), required=False
    )
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/2")
    parser.add_argument(
        "--history",
        type=int,
        default=20_000,
        help="resolved incidents (and their alerts) of other alarms stored beforehand, then ANALYZE",
    )
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("--database-url (PostgreSQL) is required, or set CLOUDWARDEN_TEST_POSTGRES_URL")

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from sqlalchemy import func, select
    from tests.conftest import throwaway_postgres_schema

    from cloudwarden.config import Settings
    from cloudwarden.store import db as store_db
    from cloudwarden.store import models
    from cloudwarden.store import service as store
    from cloudwarden.store.alerting import Alert
    from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID

    count = int(args.rate * args.seconds)
    messages = _messages(count, args.alarms)
    cert_endpoint, stop_cert = _stand_in(_messages.signer)  # type: ignore[attr-defined]
    schema = throwaway_postgres_schema(args.database_url, prefix="cw_bench")
    database_url = next(schema)
    folder = Path(tempfile.mkdtemp(prefix="cw-intake-bench-"))
    queue = f"cw-bench-{uuid.uuid4().hex[:8]}"
    engine = store_db.make_engine(database_url)
    store_db.migrate(engine)
    factory = store_db.session_factory(engine)
    with factory.begin() as db:
        account = store.create_account(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            name="load",
            role_arn=f"arn:aws:iam::{ACCOUNT}:role/CloudWardenReadOnly",
            regions=["us-east-1"],
        )
        account.status = models.AccountStatus.CONNECTED.value
    _history(engine, account_id=account.id, workspace_id=DEFAULT_WORKSPACE_ID, count=args.history)
    Settings()  # the environment is valid
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDWARDEN_", "AWS_"))}
    env.update(
        CLOUDWARDEN_DATA_DIR=str(folder),
        CLOUDWARDEN_DATABASE_URL=database_url,
        CLOUDWARDEN_BROKER_URL=args.broker_url,
        CLOUDWARDEN_TASK_QUEUE=queue,
        CLOUDWARDEN_SIMULATOR_URL=cert_endpoint,  # the signing certificate; AssumeRole refused
        CLOUDWARDEN_POLL_INTERVAL_SECONDS="3600",
    )
    processes = []
    try:
        serve_log = folder / "serve.log"
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "cloudwarden.cli.main", "serve", "--port", str(port),
                 "--workers", str(args.serve_workers)],
                stdout=serve_log.open("wb"), stderr=subprocess.STDOUT, env=env, start_new_session=True,
            )
        )  # fmt: skip
        _wait_healthy(f"http://127.0.0.1:{port}", processes[0], serve_log)
        if args.worker_concurrency > 0:  # 0: no worker (to see what the intake alone accepts)
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "cloudwarden.cli.main", "worker", "--concurrency",
                     str(args.worker_concurrency)],
                    stdout=(folder / "worker.log").open("wb"), stderr=subprocess.STDOUT, env=env,
                    start_new_session=True,
                )
            )  # fmt: skip
        time.sleep(3)
        path = f"/api/v1/intake/workspaces/{DEFAULT_WORKSPACE_ID}/sns"
        began = time.perf_counter()
        load = _load(port, path, [body for _, body in messages], args.rate, args.connections)
        results = uvloop.run(load)  # the generator's own CPU is taken from the server it measures
        elapsed = time.perf_counter() - began - 0.5
        acknowledged = {messages[i][0] for i, (status, _) in enumerate(results) if status == 200}
        with factory.begin() as db:
            stored = db.execute(select(Alert.delivery_id, func.count()).group_by(Alert.delivery_id)).all()
            incidents = db.scalar(select(func.count()).select_from(models.Incident)) or 0
            # The run's incidents the worker has investigated by now (each fails: the role is revoked).
            investigated = db.scalar(select(func.count()).where(models.Incident.state == "failed")) or 0
            transitions = (
                db.scalar(select(func.count()).select_from(Alert).where(Alert.new_state == "ALARM")) or 0
            )
        stored_ids = {delivery for delivery, _ in stored}
        latencies = sorted(latency for status, latency in results if status == 200)
        statuses: dict[int, int] = {}
        for status, _ in results:
            statuses[status] = statuses.get(status, 0) + 1

        def pct(q: float) -> float:
            return (
                round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 1)
                if latencies
                else 0.0
            )

        print(
            json.dumps(
                {
                    "rate_offered_per_s": args.rate,
                    "seconds": args.seconds,
                    "sent": count,
                    "accepted": len(acknowledged),
                    "accepted_per_s": round(len(acknowledged) / elapsed, 1),
                    "statuses": statuses,
                    "ack_latency_ms": {"p50": pct(0.5), "p99": pct(0.99), "max": pct(1.0)},
                    "lost": len(acknowledged - stored_ids),
                    "duplicated": sum(1 for _, n in stored if n > 1),
                    "alarm_transitions_stored": transitions,
                    "incidents": incidents,
                    "incidents_per_transition_ok": incidents == transitions,
                    "investigated_by_end": investigated,
                    "serve_workers": args.serve_workers,
                    "worker_concurrency": args.worker_concurrency,
                    "history": args.history,
                    "connections": args.connections,
                    "cpus": os.cpu_count(),
                },
                indent=2,
            )
        )
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
        stop_cert()
        engine.dispose()
        _drop_queue(args.broker_url, queue)
        with contextlib.suppress(StopIteration):
            next(schema)


if __name__ == "__main__":
    main()
