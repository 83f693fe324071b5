"""Concurrent collection: the same calls and the same bundle as one read at a time, gaps kept.

One incident (bad_deploy, in eu-west-1 so the global CloudTrail read runs too) is set up once
for the module, in the past, so that every collection sees the same window; the simulated
account answers with jittered latency, so concurrent reads finish in varying orders.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from cloudwarden.aws import rate_limits
from cloudwarden.aws.session import AssumedSession, SessionBroker
from cloudwarden.config import Settings
from cloudwarden.evidence import collect as collect_module
from cloudwarden.evidence.context import CollectContext
from cloudwarden.evidence.model import EvidenceBundle
from cloudwarden.simulator import alarms, inject, scenario, workload
from cloudwarden.simulator.client import ROOT_KEYS, SimulatorClient
from cloudwarden.simulator.patches import latency
from cloudwarden.simulator.server import SimulatorServer

REGION = "eu-west-1"
EXTERNAL_ID = "Zt3mQk9vL2pX8rW4yN6bC1dF5gH7jK0sA9eU3iO2uY4"
# Jittered: concurrent reads complete in a different order from one run to the next.
JITTER = latency.LatencyProfile(
    default=latency.Latency(p50_ms=15, p95_ms=90),
    rate_limits={"cloudtrail:LookupEvents": 2},
    seed=11,
    applies_to="all",
)


@dataclass(frozen=True)
class Incident:
    session: AssumedSession
    alarm_name: str
    truth_resource: str


@pytest.fixture(scope="module")
def incident(simulator_server: SimulatorServer) -> Incident:
    sim = SimulatorClient(simulator_server.endpoint, region=REGION)
    sim.reset()
    # 20 minutes ago: the window ends 15 minutes after the alarm, the same for every collection.
    now = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=20)
    w = workload.deploy_workload(sim, now=now)
    alarms.create_alarms(sim, w, topic_arns=[], at=now - timedelta(days=1))
    injection = inject.inject(sim, w, scenario.get("bad_deploy"), now=now)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}},
            }
        ],
    }
    sim.client("iam").create_role(RoleName="CloudWardenReadOnly", AssumeRolePolicyDocument=json.dumps(trust))
    broker = SessionBroker(Settings(simulator_url=sim.endpoint))
    session = broker.session(
        role_arn=f"arn:aws:iam::{w.account_id}:role/CloudWardenReadOnly",
        external_id=EXTERNAL_ID,
        region=REGION,
    )
    return Incident(session, injection.alarm_name, injection.truth_resource)


@pytest.fixture
def jittered() -> Iterator[None]:
    latency.enable(JITTER)
    yield
    latency.disable()


class InFlight:
    """The most AWS calls an investigation had waiting for an answer at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._now = 0
        self.most = 0

    def watch(self, client: Any) -> Any:
        client.meta.events.register("before-call", self._started)
        client.meta.events.register("after-call", self._ended)
        client.meta.events.register("after-call-error", self._ended)
        return client

    def _started(self, **_: Any) -> None:
        with self._lock:
            self._now += 1
            self.most = max(self.most, self._now)

    def _ended(self, **_: Any) -> None:
        with self._lock:
            self._now -= 1


def _collect(
    incident: Incident, workers: int, **stubs: Any
) -> tuple[EvidenceBundle, CollectContext, InFlight]:
    """Collect the incident with `workers` concurrent reads; `stubs` fail chosen calls (Stubber)."""
    watched = InFlight()
    session = _SessionView(incident.session, watched)
    ctx = CollectContext(session=session, max_workers=workers)  # type: ignore[arg-type]
    for service, stub in stubs.items():
        stub(ctx.client(service))
    bundle = collect_module.collect(ctx, alarm_name=incident.alarm_name, lookback_minutes=60)
    return bundle, ctx, watched


class _SessionView:
    """The investigation's session, whose clients report the calls they have in flight."""

    def __init__(self, session: AssumedSession, watched: InFlight) -> None:
        self._session = session
        self._watched = watched

    def client(self, service: str, **kwargs: Any) -> Any:
        return self._watched.watch(self._session.client(service, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


def test_concurrent_collection_makes_the_same_calls_and_bundle_as_one_read_at_a_time(
    incident: Incident, jittered: None
) -> None:
    sequential, seq_ctx, seq_flight = _collect(incident, workers=1)
    concurrent, con_ctx, con_flight = _collect(incident, workers=8)

    assert seq_flight.most == 1 and con_flight.most > 1  # the reads did overlap
    assert sorted(con_ctx.call_log.calls) == sorted(seq_ctx.call_log.calls)
    assert concurrent.aws_calls == sequential.aws_calls <= collect_module.CALL_BUDGET
    assert concurrent == sequential  # resources, changes, events, logs, findings, gaps: same order
    # ... and the bundle is a real one: every kind of evidence arrived, nothing was throttled.
    assert incident.truth_resource in {r.key for r in concurrent.resources}
    assert concurrent.metrics and concurrent.logs and concurrent.finding_sources
    assert any(c.source == "cloudtrail" for c in concurrent.changes)
    assert con_ctx.call_log.by_action()["cloudtrail:LookupEvents"] == 2  # eu-west-1's, then us-east-1's
    assert concurrent.gaps == []


def _denied(operation: str, action: str) -> Any:
    """The role may not call `operation`: AccessDeniedException, worded as IAM words it."""
    message = f"User: arn:aws:sts::123456789012:assumed-role/CloudWardenReadOnly/cw is not authorized to perform: {action}"

    def stub(client: Any) -> None:
        stubber = Stubber(client)
        stubber.add_client_error(
            operation, service_error_code="AccessDeniedException", service_message=message
        )
        stubber.activate()

    return stub


def test_a_failed_call_in_one_branch_is_a_gap_and_the_other_reads_still_arrive(
    incident: Incident, jittered: None
) -> None:
    denied = {
        "lambda": _denied("list_functions", "lambda:ListFunctions"),
        "cloudtrail": _denied("lookup_events", "cloudtrail:LookupEvents"),
        "inspector2": _denied("list_findings", "inspector2:ListFindings"),
    }
    concurrent, _, _ = _collect(incident, workers=8, **denied)
    sequential, _, _ = _collect(incident, workers=1, **denied)

    # CloudTrail's read starts first and fails at once, but the gaps keep the order of the
    # sequential reads: discovery (Lambda), then changes, then findings.
    assert [(g.action, g.code) for g in concurrent.gaps] == [
        ("lambda:ListFunctions", "AccessDeniedException"),
        ("cloudtrail:LookupEvents", "AccessDeniedException"),
        ("inspector2:ListFindings", "AccessDeniedException"),
    ]
    assert concurrent == sequential
    # What failed is missing; everything else arrived.
    assert not any(r.kind == "lambda_function" for r in concurrent.resources)
    assert not any(c.source == "cloudtrail" for c in concurrent.changes)
    assert incident.truth_resource in {r.key for r in concurrent.resources}
    assert any(c.source == "ecs-deployment" for c in concurrent.changes)
    assert concurrent.metrics and concurrent.logs
    states = {s.source: s.state for s in concurrent.finding_sources}
    assert states == {"guardduty": "collected", "inspector2": "unavailable", "securityhub": "collected"}


def test_one_client_per_service_when_many_reads_ask_at_once() -> None:
    made: list[str] = []
    ecs = boto3.Session(region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b").client(
        "ecs"
    )

    class CountingSession:
        account_id, region = "123456789012", "us-east-1"

        def client(self, service: str, **_: Any) -> Any:
            time.sleep(0.01)  # widen the window a racy cache would lose in
            made.append(service)
            return ecs

    ctx = CollectContext(session=CountingSession())  # type: ignore[arg-type]
    branches = [ctx.branch() for _ in range(8)]
    got: list[Any] = []
    threads = [threading.Thread(target=lambda b=b: got.append(b.client("ecs"))) for b in branches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert made == ["ecs"] and len({id(c) for c in got}) == 1


# --- LookupEvents' rate limit, kept client-side ---------------------------------------------------


def _most_in_one_second(times: list[float]) -> int:
    return max(sum(1 for t in times if start <= t < start + 1.0) for start in times)


def test_the_limiter_lets_through_no_more_than_two_in_any_second() -> None:
    clock = [0.0]
    limiter = rate_limits.SlidingWindowLimiter(
        2, 1.0, clock=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s)
    )
    granted = []
    for _ in range(7):
        limiter.acquire()
        granted.append(clock[0])
    assert granted == [0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0]  # as fast as the quota allows, no faster
    assert _most_in_one_second(granted) == 2


def test_concurrent_lookups_never_exceed_two_per_second_and_are_never_throttled(
    simulator_server: SimulatorServer, jittered: None
) -> None:
    """Three threads page LookupEvents at once; the simulated account throttles beyond 2/s."""
    client = boto3.Session(region_name="ap-south-1", **ROOT_KEYS).client(  # a limiter no other test used
        "cloudtrail", endpoint_url=simulator_server.endpoint, config=Config(retries={"total_max_attempts": 1})
    )
    rate_limits.install(client, account_id="123456789012", region="ap-south-1")
    sent: list[float] = []
    client.meta.events.register(
        "before-send.cloudtrail.LookupEvents", lambda **_: sent.append(time.monotonic())
    )
    errors: list[ClientError] = []

    def page_twice() -> None:
        for _ in range(2):
            try:
                client.lookup_events(MaxResults=1)
            except ClientError as exc:
                errors.append(exc)

    threads = [threading.Thread(target=page_twice) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sent) == 6 and errors == []
    assert _most_in_one_second(sorted(sent)) == 2
