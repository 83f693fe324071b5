"""Latency injection and LookupEvents' rate limit in the simulated account (patches/latency.py).

The waits are observed through the patch's sleep (and, as a floor only, the clock); the rate
limit through a fake clock, so no test depends on how fast this machine is.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cloudwarden.simulator.client import ROOT_KEYS
from cloudwarden.simulator.patches import latency
from cloudwarden.simulator.server import SimulatorServer

ONE_CALL = Config(retries={"total_max_attempts": 1})  # a throttled call surfaces, not retried


class Waits:
    """Replaces the patch's sleep and clock: records each wait; time moves only when a test moves it."""

    def __init__(self) -> None:
        self.slept: list[float] = []
        self.now = 1000.0

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        time.sleep(seconds)  # really waited: the caller sees the latency too


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> Iterator[Waits]:
    recorded = Waits()
    monkeypatch.setattr(latency, "_sleep", recorded.sleep)
    monkeypatch.setattr(latency, "_clock", lambda: recorded.now)
    yield recorded
    latency.disable()


def _client(
    endpoint: str, service: str, *, region: str = "us-east-1", session_token: str | None = None
) -> Any:
    keys: dict[str, Any] = dict(ROOT_KEYS)
    if session_token:
        keys["aws_session_token"] = session_token  # signed as an AssumeRole session's requests are
    return boto3.Session(region_name=region, **keys).client(service, endpoint_url=endpoint, config=ONE_CALL)


def test_calls_wait_the_latency_of_their_action(simulator_server: SimulatorServer, waits: Waits) -> None:
    latency.enable(
        latency.LatencyProfile(
            operations={"sts:GetCallerIdentity": latency.Latency(p50_ms=250, p95_ms=250)},
            default=latency.Latency(p50_ms=40, p95_ms=40),
            applies_to="all",
        )
    )
    sts = _client(simulator_server.endpoint, "sts")
    started = time.monotonic()
    sts.get_caller_identity()
    assert time.monotonic() - started >= 0.25
    _client(simulator_server.endpoint, "sqs").list_queues()
    assert waits.slept == pytest.approx([0.25, 0.04])  # the action's own latency, then the default


def test_by_default_only_session_callers_wait(simulator_server: SimulatorServer, waits: Waits) -> None:
    """The simulator's administrator seeds thousands of writes; CloudWarden reads with a session."""
    latency.enable(latency.LatencyProfile(default=latency.Latency(p50_ms=30, p95_ms=30)))
    _client(simulator_server.endpoint, "sqs").list_queues()
    assert waits.slept == []
    _client(simulator_server.endpoint, "sqs", session_token="FwoGZXIvYXdzEXAMPLE").list_queues()
    assert waits.slept == pytest.approx([0.03])


def test_lookup_events_beyond_two_per_second_is_throttled_per_region(
    simulator_server: SimulatorServer, waits: Waits
) -> None:
    latency.enable(latency.realistic())
    trail = _client(simulator_server.endpoint, "cloudtrail")
    trail.lookup_events(MaxResults=1)
    trail.lookup_events(MaxResults=1)
    with pytest.raises(ClientError) as throttled:
        trail.lookup_events(MaxResults=1)
    error = throttled.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
        "ThrottlingException",
        400,
    )
    assert throttled.value.operation_name == "LookupEvents"
    # Another region has a quota of its own; other APIs have none here.
    _client(simulator_server.endpoint, "cloudtrail", region="eu-west-1").lookup_events(MaxResults=1)
    for _ in range(4):
        trail.describe_trails()
    waits.now += 0.99  # still within the second of the first two
    with pytest.raises(ClientError):
        trail.lookup_events(MaxResults=1)
    waits.now += 0.01  # a second after them, two more fit
    trail.lookup_events(MaxResults=1)
    trail.lookup_events(MaxResults=1)


def test_disabled_nothing_waits_and_nothing_is_throttled(
    simulator_server: SimulatorServer, waits: Waits
) -> None:
    latency.enable(latency.realistic())
    latency.disable()
    trail = _client(simulator_server.endpoint, "cloudtrail", session_token="FwoGZXIvYXdzEXAMPLE")
    for _ in range(5):
        trail.lookup_events(MaxResults=1)
    assert waits.slept == []


def test_draws_are_seeded_and_follow_the_p50_and_p95() -> None:
    spec = latency.Latency(p50_ms=200, p95_ms=800)
    first = [spec.draw(random.Random(5)) for _ in range(3)]
    again = [spec.draw(random.Random(5)) for _ in range(3)]
    assert first == again
    rng = random.Random(1)
    draws = sorted(spec.draw(rng) for _ in range(4000))
    assert statistics.median(draws) == pytest.approx(0.2, rel=0.1)
    assert draws[int(0.95 * len(draws))] == pytest.approx(0.8, rel=0.15)
    assert max(draws) <= latency.MAX_DRAW_P95S * 0.8


def test_the_server_enables_it_on_request_or_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert latency.from_environment({}) is None
    assert latency.from_environment({latency.LATENCY_ENV: "off"}) is None
    chosen = latency.from_environment({latency.LATENCY_ENV: "realistic", latency.SEED_ENV: "4"})
    assert chosen is not None and chosen.seed == 4
    assert chosen.latency("cloudtrail:LookupEvents").p50_ms > chosen.latency("ecs:ListClusters").p50_ms
    assert chosen.rate_limits == {"cloudtrail:LookupEvents": 2}
    with pytest.raises(ValueError, match=latency.LATENCY_ENV):
        latency.from_environment({latency.LATENCY_ENV: "fast"})

    monkeypatch.setenv(latency.LATENCY_ENV, "realistic")
    server = SimulatorServer(tick_seconds=0).start()
    try:
        assert latency.enabled() == latency.realistic()
    finally:
        server.stop()
    assert latency.enabled() is None
    monkeypatch.delenv(latency.LATENCY_ENV)
    assert SimulatorServer(tick_seconds=0).latency is None  # off by default
