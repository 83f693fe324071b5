"""Run a posture scan: collect each service once per region, then judge the inventory.

    outcome = scan(clients=pool.client, account_id="123456789012", regions=["us-east-1"])
    outcome.findings         # one per check and resource; ERROR where data was missing

Collection runs (service, region) pairs concurrently, bounded by `max_workers`; only the services
the selected checks read are collected, so the API calls grow with services x regions x pages,
never with the number of checks. A collector that fails leaves its service Unknown in that region,
and every check reading it reports ERROR with the reason there; a check that raises is reported
as ERROR too. Nothing aborts the scan.

A scan of every check also reads the findings of the account's AWS security services (Security
Hub, GuardDuty, Inspector: `collectors/findings.py`) in each region, alongside the inventory:
`outcome.external`, each finding once. A service that could not be read is in
`outcome.unavailable` ("findings.guardduty@us-east-1": the action and the error), never an empty
list.
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
from cloudwarden.posture.collectors import findings as external_collector
from cloudwarden.posture.inventory import GLOBAL, Inventory, unknown_from
from cloudwarden.posture.model import ExternalFinding, Finding, Result, Status, Unknown
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
    # The AWS security services' findings, each once; None when the scan did not read them.
    external: list[ExternalFinding] | None = None
    external_sources: dict[str, str] = field(default_factory=dict)  # "source@region" -> what it said

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


def external_findings(inventory: Inventory) -> tuple[list[ExternalFinding], dict[str, str], dict[str, str]]:
    """The findings read in every region, each once; what each source said where; what could not
    be read ("findings.<source>@<region>" -> the action and the error).

    Security Hub repeats GuardDuty's and Inspector's findings (same id), and a region that
    aggregates others repeats theirs: the native record, then the first region, is kept.
    """
    found: dict[str, ExternalFinding] = {}
    said: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    regional = list(inventory.each(external_collector.SERVICE))
    for source in external_collector.SOURCES:
        for region, data in regional:
            where = f"{source}@{region}"
            if isinstance(data, Unknown):  # the whole collector failed: in inventory.unknowns()
                said[where] = f"unavailable: {data.reason}"
                continue
            state = data.sources.get(source, Unknown("not read"))
            if isinstance(state, Unknown):
                said[where] = f"unavailable: {state.reason}"
                unreadable[f"{external_collector.SERVICE}.{where}"] = state.reason
            else:
                said[where] = state.describe()
            for finding in data.findings:
                if finding.source == source:
                    found.setdefault(finding.finding_id, finding)
    return list(found.values()), said, unreadable


def scan(
    *,
    clients: ClientFactory,
    account_id: str,
    regions: Sequence[str],
    check_ids: Sequence[str] | None = None,
    home_region: str | None = None,
    max_workers: int = MAX_WORKERS,
    call_log: CallLog | None = None,
    external: bool | None = None,
) -> ScanOutcome:
    """Collect, then judge. `external`: read the AWS security services' findings too (default:
    when every check runs)."""
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
    read_external = check_ids is None if external is None else external
    services = {s for c in checks for s in c.metadata.reads}
    if read_external:
        services.add(external_collector.SERVICE)
    started = utcnow()
    inventory = collect(
        clients=clients,
        account_id=account_id,
        regions=regions,
        services=services,
        home_region=home_region,
        max_workers=max_workers,
    )
    findings = judge(inventory, checks)
    unavailable = inventory.unknowns()
    external_read: list[ExternalFinding] | None = None
    said: dict[str, str] = {}
    if read_external:
        external_read, said, unreadable = external_findings(inventory)
        unavailable = dict(sorted({**unavailable, **unreadable}.items()))
    return ScanOutcome(
        account_id=account_id,
        regions=tuple(regions),
        started_at=started,
        finished_at=utcnow(),
        findings=findings,
        unavailable=unavailable,
        checks=tuple(c.id for c in checks),
        api_calls=call_log.count if call_log is not None else 0,
        calls_by_action=dict(call_log.by_action()) if call_log is not None else {},
        external=external_read,
        external_sources=said,
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
