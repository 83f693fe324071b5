"""Realistic API latency and rate limits in the simulated account, when the server is asked to.

moto answers in a few milliseconds; real AWS takes 100 ms to over a second per call, and some
APIs have low quotas (CloudTrail LookupEvents: 2 requests per second per account and region,
ThrottlingException beyond). With a LatencyProfile enabled, every request moto dispatches
(`BaseResponse.call_action`):

- is first checked against the profile's rate limits, per (account, region, action), over a
  sliding one-second window of the requests accepted; one over the limit is answered with the
  protocol's throttling error (ThrottlingException for JSON services), as AWS does, from any
  caller: AWS counts the account's requests, not one principal's;
- is then answered no sooner than a latency drawn from a log-normal distribution with the
  action's p50 and p95 after it arrived (seeded, so a run can be repeated). The time moto takes
  to answer counts towards it: it stands in for AWS's own, so it is not added on top. By
  default only requests signed with a session token wait (the AssumeRole sessions CloudWarden
  reads with): the simulator's administrator, which seeds the workload with thousands of
  writes, answers at moto's speed.

Off unless enabled: `SimulatorServer(latency=realistic())`, or `CLOUDWARDEN_SIM_LATENCY=realistic`
(with `CLOUDWARDEN_SIM_LATENCY_SEED`) for a server started without an explicit profile. Like
every moto backend the setting is process-wide, from the server's `start()` to its `stop()`.
"""

from __future__ import annotations

import functools
import math
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cloudwarden.aws.permissions import iam_action
from cloudwarden.simulator.patches import Injector
from cloudwarden.simulator.patches.sts_trust import PATCH_MARKER, is_patched

INJECTORS: dict[str, Injector] = {}

LATENCY_ENV = "CLOUDWARDEN_SIM_LATENCY"
SEED_ENV = "CLOUDWARDEN_SIM_LATENCY_SEED"
# z of the 95th percentile of a normal distribution: p95 = p50 * exp(Z95 * sigma).
Z95 = 1.6448536269514722
# A draw is capped at this many p95s: a log-normal tail is unbounded, AWS's SDK timeouts are not.
MAX_DRAW_P95S = 4.0
RATE_WINDOW_SECONDS = 1.0


class Latency(BaseModel):
    """One action's latency: its median and 95th percentile, in milliseconds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    p50_ms: float = Field(ge=0)
    p95_ms: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Latency:
        if self.p95_ms < self.p50_ms:
            raise ValueError("p95_ms must be at least p50_ms")
        return self

    def draw(self, rng: random.Random) -> float:
        """Seconds, log-normal with this median and 95th percentile (fixed when they are equal)."""
        if self.p50_ms <= 0 or self.p95_ms == self.p50_ms:
            return self.p50_ms / 1000
        sigma = math.log(self.p95_ms / self.p50_ms) / Z95
        milliseconds = min(rng.lognormvariate(math.log(self.p50_ms), sigma), MAX_DRAW_P95S * self.p95_ms)
        return milliseconds / 1000


class LatencyProfile(BaseModel):
    """Latency per IAM action ("cloudtrail:LookupEvents"), rate limits, and who waits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    operations: dict[str, Latency] = Field(default_factory=dict)
    default: Latency = Latency(p50_ms=0, p95_ms=0)
    # IAM action -> requests per second per account and region.
    rate_limits: dict[str, int] = Field(default_factory=dict)
    seed: int = 0
    # "sessions": only requests signed with a session token wait; "all": every request.
    applies_to: Literal["sessions", "all"] = "sessions"

    def latency(self, action: str) -> Latency:
        return self.operations.get(action, self.default)


# Medians and 95th percentiles (ms) of read APIs as seen from a client in the same region, from
# published measurements and experience; LookupEvents and the findings APIs are the slow ones.
REALISTIC_MS: dict[str, tuple[float, float]] = {
    "cloudwatch:DescribeAlarms": (110, 320),
    "cloudwatch:DescribeAlarmHistory": (140, 420),
    "cloudwatch:GetMetricData": (260, 850),
    "cloudwatch:GetMetricStatistics": (150, 450),
    "logs:FilterLogEvents": (380, 1400),
    "logs:GetLogEvents": (150, 450),
    "cloudtrail:LookupEvents": (450, 1300),
    "ecs:ListClusters": (70, 200),
    "ecs:ListServices": (80, 230),
    "ecs:DescribeServices": (120, 350),
    "ecs:DescribeTaskDefinition": (90, 260),
    "ecs:ListTasks": (80, 230),
    "ecs:DescribeTasks": (110, 320),
    "rds:DescribeDBInstances": (190, 550),
    "rds:DescribeEvents": (220, 650),
    "lambda:ListFunctions": (140, 420),
    "lambda:ListEventSourceMappings": (110, 330),
    "lambda:GetFunctionConcurrency": (70, 200),
    "ec2:DescribeInstances": (190, 600),
    "ec2:DescribeSecurityGroups": (170, 520),
    "ec2:DescribeInstanceStatus": (150, 450),
    "elasticloadbalancing:DescribeLoadBalancers": (140, 400),
    "elasticloadbalancing:DescribeTargetGroups": (140, 400),
    "elasticloadbalancing:DescribeTargetHealth": (120, 350),
    "application-autoscaling:DescribeScalableTargets": (110, 330),
    "securityhub:GetFindings": (300, 900),
    "guardduty:ListDetectors": (90, 260),
    "guardduty:ListFindings": (180, 550),
    "guardduty:GetFindings": (190, 580),
    "inspector2:ListFindings": (280, 850),
    "secretsmanager:GetSecretValue": (60, 180),
    "sts:AssumeRole": (140, 400),
    "sts:GetCallerIdentity": (50, 150),
}
REALISTIC_DEFAULT_MS = (100.0, 300.0)
# AWS's published quotas that an investigation can reach.
REALISTIC_RATE_LIMITS = {"cloudtrail:LookupEvents": 2}


def realistic(seed: int = 0) -> LatencyProfile:
    return LatencyProfile(
        operations={action: Latency(p50_ms=p50, p95_ms=p95) for action, (p50, p95) in REALISTIC_MS.items()},
        default=Latency(p50_ms=REALISTIC_DEFAULT_MS[0], p95_ms=REALISTIC_DEFAULT_MS[1]),
        rate_limits=dict(REALISTIC_RATE_LIMITS),
        seed=seed,
    )


def from_environment(environ: Mapping[str, str] | None = None) -> LatencyProfile | None:
    """The profile CLOUDWARDEN_SIM_LATENCY asks for: "realistic", or unset/"off" for none."""
    env = os.environ if environ is None else environ
    choice = env.get(LATENCY_ENV, "").strip().lower()
    if choice in ("", "off", "0", "false"):
        return None
    if choice not in ("realistic", "on", "1", "true"):
        raise ValueError(f"{LATENCY_ENV}={choice!r}: use 'realistic' or 'off'")
    raw_seed = env.get(SEED_ENV, "0")
    try:
        seed = int(raw_seed)
    except ValueError:
        raise ValueError(f"{SEED_ENV}={raw_seed!r} is not an integer") from None
    return realistic(seed)


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.profile: LatencyProfile | None = None
        self.rng = random.Random(0)
        self.accepted: dict[tuple[str, str, str], deque[float]] = {}


_state = _State()
_apply_lock = threading.Lock()
# Replaced in tests to observe the waits without waiting.
_sleep: Callable[[float], None] = time.sleep
_clock: Callable[[], float] = time.monotonic


def enable(profile: LatencyProfile) -> None:
    apply()
    with _state.lock:
        _state.profile = profile
        _state.rng = random.Random(profile.seed)
        _state.accepted.clear()


def disable() -> None:
    """Back to moto's speed and no rate limits; the wrapper stays installed, inert."""
    with _state.lock:
        _state.profile = None
        _state.accepted.clear()


def enabled() -> LatencyProfile | None:
    return _state.profile


def apply() -> None:
    from moto.core.responses import BaseResponse

    with _apply_lock:
        if not is_patched(BaseResponse.call_action, __name__):
            BaseResponse.call_action = _delayed(BaseResponse.call_action)  # type: ignore[method-assign,assignment]


def reset() -> None:
    """A reset account starts with no requests counted against its rate limits."""
    with _state.lock:
        _state.accepted.clear()


def _delayed(inner: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(inner)
    def call_action(self: Any) -> Any:
        profile = _state.profile
        if profile is None:
            return inner(self)
        arrived = _clock()
        action = _action(self)
        if not _admit(profile, action, self.current_account, self.region):
            return _throttled(self)
        if profile.applies_to != "all" and not _has_session_token(self.headers):
            return inner(self)
        with _state.lock:
            seconds = profile.latency(action).draw(_state.rng)
        result = inner(self)
        # The drawn latency is the whole answer time: moto's own work counts towards it.
        remaining = arrived + seconds - _clock()
        if remaining > 0:
            _sleep(remaining)
        return result

    setattr(call_action, PATCH_MARKER, __name__)
    return call_action


def _action(response: Any) -> str:
    from moto.core.utils import get_service_model

    model = get_service_model(response.boto3_service_name)
    return iam_action(str(model.endpoint_prefix), response._get_action() or "")


def _admit(profile: LatencyProfile, action: str, account_id: str, region: str) -> bool:
    """Whether the request fits the action's rate limit now (and count it if so)."""
    limit = profile.rate_limits.get(action)
    if limit is None:
        return True
    with _state.lock:
        now = _clock()
        accepted = _state.accepted.setdefault((account_id, region, action), deque())
        while accepted and now - accepted[0] >= RATE_WINDOW_SECONDS:
            accepted.popleft()
        if len(accepted) >= limit:
            return False
        accepted.append(now)
        return True


def _throttled(response: Any) -> Any:
    """The throttling error of the request's protocol, serialised by moto against the service's model."""
    from moto.core.exceptions import ServiceException
    from moto.core.responses import ActionResult
    from moto.core.utils import get_service_model

    protocol = response.determine_response_protocol(get_service_model(response.boto3_service_name))
    code = {"query": "Throttling", "ec2": "RequestLimitExceeded"}.get(protocol, "ThrottlingException")

    class Throttled(ServiceException):  # defined here: moto looks up a moto.<service> exception's model
        pass

    return response.serialized(ActionResult(Throttled(code, "Rate exceeded")))


def _has_session_token(headers: Any) -> bool:
    names = headers.keys() if hasattr(headers, "keys") else (name for name, _ in headers)
    return any(str(name).lower() == "x-amz-security-token" for name in names)
