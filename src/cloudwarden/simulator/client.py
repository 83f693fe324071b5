"""Talk to a running simulator: its injection API and boto3 clients that act at a chosen time.

Writes made through `acting_client` carry the simulated event time and actor in headers, so the
CloudTrail recorder files them as if they had happened then, by that principal.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config

from cloudwarden.aws.session import simulator_proxies

SIM_TIME_HEADER = "X-Cloudwarden-Sim-Time"
SIM_ACTOR_HEADER = "X-Cloudwarden-Sim-Actor"
SIM_SOURCE_IP_HEADER = "X-Cloudwarden-Sim-Source-Ip"
ROOT_KEYS = {"aws_access_key_id": "AKIASIMULATEDROOT000", "aws_secret_access_key": "simulated"}


class SimulatorError(RuntimeError):
    pass


# One boto3 session for every simulator client in the process: each client gets its own keys and
# region, but the service models load once (a session per client took about 0.15 s a client).
# boto3 sessions are not safe to create clients from concurrently, hence the lock.
_SESSION_LOCK = threading.Lock()
_SESSION: boto3.Session | None = None


def _shared_session() -> boto3.Session:
    global _SESSION
    if _SESSION is None:
        _SESSION = boto3.Session()
    return _SESSION


class SimulatorClient:
    def __init__(self, endpoint: str, *, region: str = "us-east-1") -> None:
        self.endpoint = endpoint.rstrip("/")
        self.region = region

    def inject(
        self, kind: str, *, account_id: str, payload: dict[str, Any], region: str | None = None
    ) -> Any:
        body = {"account_id": account_id, "region": region or self.region, "payload": payload}
        return self._post(f"/_cloudwarden/inject/{kind}", body)

    def service_metrics(
        self, *, account_id: str, namespace: str, data: list[dict[str, Any]], region: str | None = None
    ) -> None:
        """Datapoints an AWS service emits (an "AWS/" namespace), in PutMetricData's shape."""
        rows = [d | {"Timestamp": d["Timestamp"].isoformat()} for d in data]
        self.inject(
            "service_metrics",
            account_id=account_id,
            region=region,
            payload={"namespace": namespace, "data": rows},
        )

    def queue_inspector_findings(
        self, *, account_id: str, findings: list[dict[str, Any]], region: str | None = None
    ) -> None:
        """What the next inspector2:ListFindings answers: moto serves Inspector findings only from
        a queue filled through its own API, each queued answer given once."""
        body = {"results": [findings], "account_id": account_id, "region": region or self.region}
        self._post("/moto-api/static/inspector2/findings-results", body)

    def tick(self, *, advance_seconds: float = 0.0) -> None:
        """Let time pass in the account; `advance_seconds`: evaluate as if that much later."""
        self._post("/_cloudwarden/tick", {"advance_seconds": advance_seconds} if advance_seconds else {})

    def reset(self) -> None:
        self._post("/moto-api/reset", {})
        self._post("/_cloudwarden/reset-extensions", {})
        self._post("/moto-api/config", {"lambda": {"use_docker": False}})

    def client(self, service: str, *, region: str | None = None, **session_kwargs: Any) -> Any:
        """A client of the account's administrator (the default account unless keys given)."""
        keys = session_kwargs or ROOT_KEYS
        with _SESSION_LOCK:
            return _shared_session().client(
                service,
                region_name=region or self.region,
                endpoint_url=self.endpoint,
                config=Config(
                    retries={"mode": "standard", "max_attempts": 2},
                    proxies=simulator_proxies(self.endpoint),
                ),
                **keys,
            )

    def acting_client(
        self,
        service: str,
        *,
        at: datetime,
        actor: str,
        source_ip: str = "203.0.113.10",
        region: str | None = None,
        **session_kwargs: Any,
    ) -> Any:
        """A client whose writes are recorded in CloudTrail at time `at` by principal `actor`."""
        client = self.client(service, region=region, **session_kwargs)

        def add_headers(request: Any, **_: Any) -> None:
            request.headers[SIM_TIME_HEADER] = at.isoformat()
            request.headers[SIM_ACTOR_HEADER] = actor
            request.headers[SIM_SOURCE_IP_HEADER] = source_ip

        client.meta.events.register_first("before-sign", add_headers)
        return client

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(  # noqa: S310 - loopback simulator endpoint
            self.endpoint + path,
            data=json.dumps(body, default=str).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise SimulatorError(
                f"simulator {path}: {exc.code} {exc.read().decode(errors='replace')}"
            ) from None
        return json.loads(raw) if raw else {}
