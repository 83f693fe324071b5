"""Run a posture scan: collect each service once per region, then judge the inventory.

    outcome = scan(clients=pool.client, account_id="123456789012", regions=["us-east-1"])
    outcome.findings         # one per check and resource; ERROR where data was missing

Collection runs (service, region) pairs concurrently, bounded by `max_workers`; only the services
the selected checks read are collected, so the API calls grow with services x regions x pages,
never with the number of checks. A collector that fails leaves its service Unknown in that region,
and every check reading it reports ERROR with the reason there; a check that raises is reported
as ERROR too. Nothing aborts the scan.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cloudwarden.aws.session import AssumedSession, CallLog
from cloudwarden.posture.checks import Check, all_checks
from cloudwarden.posture.collectors import all_collectors
from cloudwarden.posture.inventory import GLOBAL, Inventory, unknown_from
from cloudwarden.posture.model import Finding, Result, Status
from cloudwarden.store.types import utcnow

log = logging.getLogger(__name__)
MAX_WORKERS = 8
ClientFactory = Callable[[str, str], Any]  # (boto3 service, region) -> client


@dataclass
class ScanOutcome:
    account_id: str
    regions: tuple[str, ...]
    started_at: datetime
    finished_at: datetime
    findings: list[Finding]
    unavailable: dict[str, str] = field(default_factory=dict)  # "service@region" -> reason
    checks: tuple[str, ...] = ()
    api_calls: int = 0
    calls_by_action: dict[str, int] = field(default_factory=dict)  # IAM action -> calls made

    def count(self, status: Status) -> int:
        return sum(1 for f in self.findings if f.status == status)


class ClientPool:
    """One client per (service, region) of a customer session, all bound to one call log."""

    _creation = threading.Lock()  # boto3 sessions are not thread-safe while creating clients

    def __init__(self, session: AssumedSession, call_log: CallLog | None = None) -> None:
        self.session = session
        self.call_log = call_log if call_log is not None else CallLog()
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, region: str) -> Any:
        with self._creation:
            client = self._clients.get((service, region))
            if client is None:
                client = self.session.client(service, call_log=self.call_log, region=region)
                self._clients[(service, region)] = client
            return client


def collect(
    *,
    clients: ClientFactory,
    account_id: str,
    regions: Sequence[str],
    services: Iterable[str],
    home_region: str | None = None,
    max_workers: int = MAX_WORKERS,
) -> Inventory:
    """The inventory of `services`: each read once per region (global services once)."""
    inventory = Inventory(account_id=account_id, regions=tuple(regions))
    collectors = all_collectors()
    jobs: list[tuple[str, str]] = []
    for service in sorted(set(services)):
        collector = collectors[service]
        if collector.SCOPE == "global":
            jobs.append((service, GLOBAL))
        else:
            jobs.extend((service, region) for region in regions)
    home = home_region or regions[0]

    def run(job: tuple[str, str]) -> tuple[tuple[str, str], Any]:
        service, region = job
        where = home if region == GLOBAL else region
        used: list[Any] = []

        def client(name: str) -> Any:
            made = clients(name, where)
            used.append(made)
            return made

        try:
            return job, collectors[service].collect(client, where, account_id)
        except Exception as exc:  # the service stays Unknown here; the checks say why
            log.info("posture: %s in %s unavailable: %s", service, region, exc)
            operation = getattr(exc, "operation_name", None)
            owner = next((c for c in used if operation in c.meta.service_model.operation_names), None)
            return job, unknown_from(exc, client=owner)

    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(jobs) or 1))) as pool:
        for (service, region), value in pool.map(run, jobs):
            inventory.put(service, region, value)
    return inventory


def judge(inventory: Inventory, checks: Sequence[Check]) -> list[Finding]:
    """Every check over the inventory; a check that raises is an ERROR, not a crash."""
    findings: list[Finding] = []
    for check in checks:
        meta = check.metadata
        try:
            results = list(check.run(inventory))
        except Exception as exc:
            log.exception("posture check %s failed", meta.id)
            results = [Result.error(inventory.account_arn, GLOBAL, f"the check failed: {exc!r}"[:300])]
        if not results:
            results = [Result.not_applicable(inventory.account_arn, GLOBAL, "nothing to check")]
        findings.extend(
            Finding(
                check_id=meta.id,
                severity=meta.severity,
                service=meta.service,
                resource_type=meta.resource_type,
                resource_id=r.resource_id,
                region=r.region,
                status=r.status,
                reason=r.reason,
            )
            for r in results
        )
    return findings


def scan(
    *,
    clients: ClientFactory,
    account_id: str,
    regions: Sequence[str],
    check_ids: Sequence[str] | None = None,
    home_region: str | None = None,
    max_workers: int = MAX_WORKERS,
    call_log: CallLog | None = None,
) -> ScanOutcome:
    if not regions:
        raise ValueError("a posture scan needs at least one region")
    registry = all_checks()
    if check_ids is None:
        checks = list(registry.values())
    else:
        missing = sorted(set(check_ids) - set(registry))
        if missing:
            raise ValueError(f"no such posture check: {', '.join(missing)}")
        checks = [registry[c] for c in check_ids]
    started = utcnow()
    inventory = collect(
        clients=clients,
        account_id=account_id,
        regions=regions,
        services={s for c in checks for s in c.metadata.reads},
        home_region=home_region,
        max_workers=max_workers,
    )
    findings = judge(inventory, checks)
    return ScanOutcome(
        account_id=account_id,
        regions=tuple(regions),
        started_at=started,
        finished_at=utcnow(),
        findings=findings,
        unavailable=inventory.unknowns(),
        checks=tuple(c.id for c in checks),
        api_calls=call_log.count if call_log is not None else 0,
        calls_by_action=dict(call_log.by_action()) if call_log is not None else {},
    )


def scan_session(
    session: AssumedSession, *, regions: Sequence[str], check_ids: Sequence[str] | None = None
) -> ScanOutcome:
    """Scan the account behind an assumed session (credentials stay in memory)."""
    pool = ClientPool(session)
    return scan(
        clients=pool.client,
        account_id=session.account_id,
        regions=regions,
        check_ids=check_ids,
        home_region=session.region,
        call_log=pool.call_log,
    )
