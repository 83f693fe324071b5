"""Posture scans against the simulated account (the session's moto server, reset per test)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from cloudwarden.aws.session import CallLog, _install_call_log
from cloudwarden.posture import scan as posture_scan
from cloudwarden.simulator.client import SimulatorClient

ACCOUNT = "123456789012"  # moto's default account: the simulator administrator's own
Scan = Callable[..., posture_scan.ScanOutcome]


@pytest.fixture
def scan_sim(sim: SimulatorClient) -> Scan:
    """scan_sim(check_ids=[...], regions=[...]) -> ScanOutcome over the simulated account.

    `deny={"iam:GetCredentialReport"}` makes those actions fail with AccessDenied, as a role
    without them would.
    """

    def run(
        check_ids: Sequence[str] | None = None,
        regions: Sequence[str] = ("us-east-1",),
        deny: set[str] | None = None,
    ) -> posture_scan.ScanOutcome:
        call_log = CallLog()
        clients: dict[tuple[str, str], Any] = {}

        def client(service: str, region: str) -> Any:
            if (service, region) not in clients:
                made = sim.client(service, region=region)
                _install_call_log(made, call_log)
                if deny:
                    _deny(made, deny)
                clients[(service, region)] = made
            return clients[(service, region)]

        return posture_scan.scan(
            clients=client, account_id=ACCOUNT, regions=list(regions), check_ids=check_ids, call_log=call_log
        )

    return run


def _deny(client: Any, actions: set[str]) -> None:
    from botocore.exceptions import ClientError

    from cloudwarden.aws.permissions import iam_action

    prefix = client.meta.service_model.endpoint_prefix

    def before_call(model: Any, **_: Any) -> None:
        action = iam_action(prefix, model.name)
        if action in actions:
            raise ClientError(
                {"Error": {"Code": "AccessDenied", "Message": f"not authorized to perform: {action}"}},
                model.name,
            )

    client.meta.events.register("before-call", before_call)


def by_check(outcome: posture_scan.ScanOutcome, check_id: str) -> list[Any]:
    return [f for f in outcome.findings if f.check_id == check_id]
