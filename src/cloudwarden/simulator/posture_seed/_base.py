"""What every part of the posture seed shares: names, the report, the administrator's clients and
the seeder's state."""

from __future__ import annotations

import functools
import json
import secrets
import string
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from botocore.exceptions import ClientError

from cloudwarden.simulator.client import SimulatorClient

PREFIX = "cw-demo-"
EXTRA_PREFIX = "cw-scale-"
AMI_ID = "ami-0c55b159cbfafe1f0"  # the one AMI the simulator loads (server.py)
EXTRA_KINDS = ("s3_bucket", "security_group", "iam_user", "ebs_volume")
DEMO_VPC_CIDR = "10.77.0.0/16"


def leaked_key_pair() -> tuple[str, str]:
    """An access key id and secret key shaped like AWS's, random each seed: what a leak looks
    like. (AWS's documentation example key is ignored by secret scanners on purpose, so a value
    scanner such as Prowler's would not see a leak in it.) No AWS account knows them."""
    upper = string.ascii_uppercase + "234567"
    secret = string.ascii_letters + string.digits + "+/"
    key_id = "AKIA" + "".join(secrets.choice(upper) for _ in range(16))
    return key_id, "".join(secrets.choice(secret) for _ in range(40))


@dataclass(frozen=True)
class ExpectedFailure:
    """A control an audit of the seeded account should find failing, and on what."""

    control: str
    resources: tuple[str, ...]


@dataclass
class SeedReport:
    account_id: str
    region: str
    created: dict[str, list[str]] = field(default_factory=dict)  # kind -> names (or ids)
    expected_failures: list[ExpectedFailure] = field(default_factory=list)
    expected_passes: list[ExpectedFailure] = field(default_factory=list)  # the contrast
    extra: dict[str, list[str]] = field(default_factory=dict)  # the `size` resources, by kind
    extra_path: Literal["none", "in-process", "http"] = "none"
    limitations: list[str] = field(default_factory=list)
    seconds: float = 0.0
    extra_seconds: float = 0.0

    def add(self, kind: str, name: str) -> str:
        names = self.created.setdefault(kind, [])
        if name not in names:
            names.append(name)
        return name

    def fails(self, control: str, *resources: str) -> None:
        self.expected_failures.append(ExpectedFailure(control, tuple(resources)))

    def passes(self, control: str, *resources: str) -> None:
        self.expected_passes.append(ExpectedFailure(control, tuple(resources)))

    @property
    def extra_count(self) -> int:
        return sum(len(names) for names in self.extra.values())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Clients:
    """The administrator's boto3 clients of one region, made once per service and reused."""

    def __init__(self, sim: SimulatorClient, region: str) -> None:
        self.region = region
        self._sim = sim
        self._made: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, service: str) -> Any:
        with self._lock:
            if service not in self._made:
                self._made[service] = self._sim.client(service, region=self.region)
            return self._made[service]


@functools.cache
def _clients(endpoint: str, region: str) -> _Clients:
    """One set of clients per simulator and region, for every seeding of it."""
    return _Clients(SimulatorClient(endpoint), region)


def _post(sim: SimulatorClient, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(  # noqa: S310 - loopback simulator endpoint
        sim.endpoint + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        raw = response.read()
    return json.loads(raw) if raw else {}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _tolerate(call: Callable[[], Any], *codes: str) -> Any:
    """`call()`, or None when it fails with one of `codes` (the thing is already there)."""
    try:
        return call()
    except ClientError as exc:
        if _code(exc) in codes:
            return None
        raise


def _tags(name: str, **more: str) -> list[dict[str, str]]:
    return [{"Key": "Name", "Value": name}, *({"Key": k, "Value": v} for k, v in more.items())]


def _iso(moment: datetime) -> str:
    return moment.isoformat()


class SeederBase:
    """The state every service's seeding reads: the administrator's clients, the account, now."""

    def __init__(
        self, sim: SimulatorClient, clients: _Clients, account_id: str, now: datetime, report: SeedReport
    ) -> None:
        self.sim = sim
        self.client = clients
        self.region = clients.region
        self.account_id = account_id
        self.now = now
        self.report = report
        self.public_bucket = f"{PREFIX}public-assets"

    def days_ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    # -- S3 --------------------------------------------------------------------------------
