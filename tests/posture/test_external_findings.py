"""Security Hub, GuardDuty and Inspector findings beside CloudWarden's own: read by a scan, stored
(updated, not duplicated, by the next), purged 7 days after the last scan that saw them, a denied
read reported naming the action, and shown in the JSON and HTML reports and by `posture report`."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from cloudwarden.aws.session import CallLog, _install_call_log
from cloudwarden.posture import flows, service
from cloudwarden.posture import scan as posture_scan
from cloudwarden.posture.model import ExternalFinding, Finding, Severity, Status
from cloudwarden.posture.outputs import render
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.store import models, retention
from cloudwarden.store.posture import ExternalFinding as StoredExternalFinding
from cloudwarden.store.posture import PostureScan
from tests.conftest import add_connected_account
from tests.posture.conftest import ACCOUNT, _deny

REGION = "us-east-1"
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def store(migrated_store: sessionmaker[Session]) -> sessionmaker[Session]:
    return migrated_store


def _scan(
    sim: SimulatorClient, deny: set[str] | None = None, check_ids: Sequence[str] = ("guardduty_enabled",)
) -> posture_scan.ScanOutcome:
    """A scan of one cheap check that reads the external findings too, as a full scan does."""
    call_log = CallLog()

    def client(service_name: str, region: str) -> Any:
        made = sim.client(service_name, region=region)
        _install_call_log(made, call_log)
        if deny:
            _deny(made, deny)
        return made

    return posture_scan.scan(
        clients=client, account_id=ACCOUNT, regions=[REGION], check_ids=check_ids, call_log=call_log,
        external=True,
    )  # fmt: skip


def _guardduty(sim: SimulatorClient, finding_id: str, severity: float, instance_id: str, **more: Any) -> str:
    payload = {
        "type": "Recon:EC2/PortProbeUnprotectedPort",
        "severity": severity,
        "title": f"Unprotected port on EC2 instance {instance_id} is being probed.",
        "created_at": (NOW - timedelta(days=20)).isoformat(),
        "updated_at": (NOW - timedelta(hours=1)).isoformat(),
        "finding_id": finding_id,
        "resource": {"kind": "instance", "instance_id": instance_id},
        **more,
    }
    return str(sim.inject("guardduty_finding", account_id=ACCOUNT, payload=payload)["recorded"]["arn"])


def _asff(
    finding_id: str, title: str, label: str, normalized: int, resource: str, workflow: str = "NEW"
) -> dict[str, Any]:
    return {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id,
        "ProductArn": f"arn:aws:securityhub:{REGION}::product/aws/securityhub",
        "ProductName": "Security Hub",
        "GeneratorId": "security-control/S3.8",
        "AwsAccountId": ACCOUNT,
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "CreatedAt": (NOW - timedelta(days=30)).isoformat(),
        "UpdatedAt": (NOW - timedelta(hours=2)).isoformat(),
        "Severity": {"Label": label, "Normalized": normalized},
        "Title": title,
        "Description": title,
        "Resources": [{"Type": "AwsS3Bucket", "Id": resource}],
        "RecordState": "ACTIVE",
        "Workflow": {"Status": workflow},
    }


def _seed_inspector(sim: SimulatorClient, instance_id: str) -> None:
    """moto serves Inspector2 findings from a queue filled through its own API (one list call)."""
    finding = {
        "findingArn": f"arn:aws:inspector2:{REGION}:{ACCOUNT}:finding/cve-1",
        "awsAccountId": ACCOUNT,
        "type": "PACKAGE_VULNERABILITY",
        "title": "CVE-2024-0001 - openssl",
        "description": "openssl before 3.0.13",
        "severity": "MEDIUM",
        "inspectorScore": 5.3,
        "status": "ACTIVE",
        "firstObservedAt": (NOW - timedelta(days=9)).timestamp(),
        "lastObservedAt": (NOW - timedelta(hours=3)).timestamp(),
        "updatedAt": (NOW - timedelta(hours=3)).timestamp(),
        "resources": [{"type": "AWS_EC2_INSTANCE", "id": instance_id, "region": REGION}],
    }
    sim.queue_inspector_findings(account_id=ACCOUNT, findings=[finding], region=REGION)


@dataclasses.dataclass
class Seeded:
    instance: str
    probe: str  # GuardDuty finding ARNs
    exfiltration: str


def _seed(sim: SimulatorClient, *, inspector: bool = True) -> Seeded:
    """Findings of all three services; Security Hub also holds a copy of a GuardDuty finding, and
    one the customer suppressed."""
    ec2 = sim.client("ec2")
    instance = ec2.run_instances(ImageId="ami-0c55b159cbfafe1f0", MinCount=1, MaxCount=1)["Instances"][0]
    instance_id = str(instance["InstanceId"])
    sim.client("guardduty").create_detector(Enable=True)
    probe = _guardduty(sim, "probe", 2.0, instance_id)
    exfiltration = _guardduty(sim, "exfil", 8.0, instance_id, type="Backdoor:EC2/CCActivity.B")
    hub = sim.client("securityhub")
    hub.enable_security_hub(EnableDefaultStandards=False)
    imported = hub.batch_import_findings(
        Findings=[
            _asff("sh-public", "S3 buckets should block public access", "CRITICAL", 90, "arn:aws:s3:::pub"),
            _asff("sh-info", "S3 bucket inventory is configured", "INFORMATIONAL", 0, "arn:aws:s3:::pub"),
            _asff(exfiltration, "Security Hub's copy of the GuardDuty finding", "HIGH", 80, instance_id),
            # Dismissed by the customer (as a passed control is resolved by Security Hub): not open.
            _asff(
                "sh-dismissed", "S3 buckets should log access", "MEDIUM", 40, "arn:aws:s3:::pub", "SUPPRESSED"
            ),
        ]
    )
    assert imported["FailedCount"] == 0
    if inspector:
        _seed_inspector(sim, instance_id)
    return Seeded(instance=instance_id, probe=probe, exfiltration=exfiltration)


def _record(db: Session, account: models.Account, outcome: posture_scan.ScanOutcome) -> PostureScan:
    scan, _ = service.record_scan(
        db=db,
        workspace_id=account.workspace_id,
        account_id=account.id,
        outcome=outcome,
        findings=outcome.findings,
        scores=[],
    )
    return scan


def _rows(db: Session) -> dict[tuple[str, str], StoredExternalFinding]:
    return {(r.source, r.finding_id): r for r in db.scalars(select(StoredExternalFinding))}


def test_a_scan_stores_each_external_finding_once_with_our_severity(
    store: sessionmaker[Session], sim: SimulatorClient
) -> None:
    seeded = _seed(sim)
    outcome = _scan(sim)

    assert outcome.unavailable == {}
    assert outcome.external_sources == {
        "guardduty@us-east-1": "2 open findings",
        "inspector2@us-east-1": "1 open finding",
        "securityhub@us-east-1": "3 open findings",  # one a copy of GuardDuty's, kept once
    }
    with store.begin() as db:
        account = add_connected_account(db, ACCOUNT)
        scan = _record(db, account, outcome)
        rows = _rows(db)
        assert {key: row.severity for key, row in rows.items()} == {
            ("guardduty", seeded.probe): "low",
            ("guardduty", seeded.exfiltration): "high",
            ("securityhub", "sh-public"): "critical",
            ("securityhub", "sh-info"): "informational",
            ("inspector2", f"arn:aws:inspector2:{REGION}:{ACCOUNT}:finding/cve-1"): "medium",
        }
        public = rows[("securityhub", "sh-public")]
        assert (public.product, public.title, public.resource_id, public.region) == (
            "Security Hub", "S3 buckets should block public access", "arn:aws:s3:::pub", REGION,
        )  # fmt: skip
        assert public.provider_first_seen_at == NOW - timedelta(days=30)
        assert public.first_seen_at == public.last_seen_at == scan.finished_at
        probe = rows[("guardduty", seeded.probe)]
        assert (probe.product, probe.resource_id) == ("GuardDuty", seeded.instance)
        assert scan.external == {
            "total": 5,
            "counts": {
                "guardduty": {"high": 1, "low": 1},
                "inspector2": {"medium": 1},
                "securityhub": {"critical": 1, "informational": 1},
            },
            "sources": outcome.external_sources,
        }


def test_a_rescan_updates_the_findings_it_sees_again_and_adds_no_duplicate(
    store: sessionmaker[Session], sim: SimulatorClient
) -> None:
    seeded = _seed(sim, inspector=False)
    with store.begin() as db:
        account_id = add_connected_account(db, ACCOUNT).id
        account = db.get(models.Account, account_id)
        assert account is not None
        first = _record(db, account, _scan(sim))
        first_id, first_at = first.id, first.finished_at
    # GuardDuty lowers one finding's severity; the customer archives the other.
    payload = {"type": "Backdoor:EC2/CCActivity.B", "updated_at": NOW.isoformat()}
    _guardduty(sim, "exfil", 5.0, seeded.instance, **payload)
    _guardduty(sim, "probe", 2.0, seeded.instance, archived=True)
    with store.begin() as db:
        account = db.get(models.Account, account_id)
        assert account is not None
        second = _record(db, account, _scan(sim))
        rows = _rows(db)
        assert len(rows) == 4  # the same findings: none added twice
        exfiltration = rows[("guardduty", seeded.exfiltration)]
        assert exfiltration.severity == "medium" and exfiltration.provider_last_seen_at == NOW
        assert (exfiltration.first_seen_at, exfiltration.last_seen_at) == (first_at, second.finished_at)
        probe = rows[("guardduty", seeded.probe)]  # no longer open: kept, not seen again
        assert probe.last_seen_at == first_at

        # Each scan's report lists what that scan read, most severe first.
        stored_first = db.get(PostureScan, first_id)
        assert stored_first is not None
        then = flows.report_of(db=db, scan=stored_first, account=account).external
        now = flows.report_of(db=db, scan=second, account=account).external
        assert then is not None and now is not None
        assert {f.finding_id for f in then} == {key[1] for key in rows}
        assert {f.finding_id for f in now} == {key[1] for key in rows} - {seeded.probe}
        assert [f.severity for f in now] == [Severity.CRITICAL, Severity.MEDIUM, Severity.INFORMATIONAL]


def test_findings_not_seen_for_7_days_are_purged(store: sessionmaker[Session]) -> None:
    def finding(finding_id: str) -> ExternalFinding:
        return ExternalFinding(
            source="guardduty", finding_id=finding_id, product="GuardDuty", severity=Severity.HIGH,
            title="t", resource_id="i-1", region=REGION, first_seen=NOW, last_seen=NOW,
        )  # fmt: skip

    with store.begin() as db:
        account = add_connected_account(db, ACCOUNT)
        for finding_id, days_ago in (("old", 8), ("recent", 6)):
            service.record_external(
                db=db,
                workspace_id=account.workspace_id,
                account_id=account.id,
                findings=[finding(finding_id)],
                seen_at=NOW - timedelta(days=days_ago),
            )
    with store.begin() as db:
        deleted = retention.purge(db, NOW)
        assert deleted["posture_external_findings"] == 1
        assert [r.finding_id for r in db.scalars(select(StoredExternalFinding))] == ["recent"]


def test_a_denied_read_is_reported_naming_the_action_not_as_no_findings(
    store: sessionmaker[Session], sim: SimulatorClient
) -> None:
    _seed(sim, inspector=False)
    outcome = _scan(sim, deny={"guardduty:ListFindings"})

    reason = outcome.unavailable["findings.guardduty@us-east-1"]
    assert reason.startswith("guardduty:ListFindings: AccessDenied")
    assert outcome.external_sources["guardduty@us-east-1"] == f"unavailable: {reason}"
    assert outcome.external is not None
    # The others still count, and Security Hub's copy of the GuardDuty finding now stands for it.
    assert {f.source for f in outcome.external} == {"securityhub"} and len(outcome.external) == 3
    with store.begin() as db:
        account = add_connected_account(db, ACCOUNT)
        scan = _record(db, account, outcome)
        assert scan.unavailable["findings.guardduty@us-east-1"] == reason
        document = json.loads(render(flows.report_of(db=db, scan=scan, account=account), "json"))
    assert document["external_findings"]["sources"]["guardduty@us-east-1"].startswith(
        "unavailable: guardduty:ListFindings: AccessDenied"
    )


def _outcome(external: list[ExternalFinding] | None, *, at: datetime = NOW) -> posture_scan.ScanOutcome:
    finding = Finding(
        check_id="guardduty_enabled", severity=Severity.MEDIUM, service="guardduty",
        resource_type="AWS::GuardDuty::Detector", resource_id=f"arn:aws:guardduty:{REGION}:{ACCOUNT}:account",
        region=REGION, status=Status.PASS, reason="enabled",
    )  # fmt: skip
    return posture_scan.ScanOutcome(
        account_id=ACCOUNT, regions=(REGION,), started_at=at - timedelta(seconds=5), finished_at=at,
        findings=[finding], checks=("guardduty_enabled",), external=external,
        external_sources={"guardduty@us-east-1": "2 open findings", "securityhub@us-east-1": "not enabled (off)"},
    )  # fmt: skip


EXTERNAL = [
    ExternalFinding(
        source="guardduty",
        finding_id=f"arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/d/finding/{name}",
        product="GuardDuty",
        severity=severity,
        title=title,
        resource_id="i-0abc",
        region=REGION,
        first_seen=NOW - timedelta(days=3),
        last_seen=NOW - timedelta(hours=1),
    )
    for name, severity, title in (
        ("a", Severity.HIGH, "Instance i-0abc is communicating with a command and control server"),
        ("b", Severity.LOW, "Unprotected port on EC2 instance i-0abc is being probed"),
    )
]


def test_the_json_and_html_reports_show_them_beside_ours(store: sessionmaker[Session]) -> None:
    with store.begin() as db:
        account = add_connected_account(db, ACCOUNT)
        scan = _record(db, account, _outcome(EXTERNAL))
        report = flows.report_of(db=db, scan=scan, account=account)
        document = json.loads(render(report, "json"))
        page = render(report, "html")
        chosen = _record(db, account, _outcome(None, at=NOW + timedelta(minutes=5)))
        without = json.loads(render(flows.report_of(db=db, scan=chosen, account=account), "json"))

    external = document["external_findings"]
    assert (external["read"], external["total"], external["kept_days"]) == (True, 2, 7)
    assert external["counts"] == {"guardduty": {"high": 1, "low": 1}}
    assert external["by_severity"] == {"high": 1, "low": 1}
    assert external["sources"]["securityhub@us-east-1"] == "not enabled (off)"
    assert [(f["severity"], f["source"], f["product"]) for f in external["findings"]] == [
        ("high", "guardduty", "GuardDuty"), ("low", "guardduty", "GuardDuty"),
    ]  # fmt: skip
    assert len(document["findings"]) == 1  # ours stay ours: scores and results are unchanged
    assert "Findings from AWS security services" in page
    assert "Instance i-0abc is communicating with a command and control server" in page
    assert "not enabled (off)" in page and "<script" not in page
    # A scan of chosen checks did not read them: said so, not "none".
    assert without["external_findings"]["read"] is False and without["external_findings"]["findings"] == []


def test_posture_report_prints_their_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cloudwarden import runtime
    from cloudwarden.cli.main import app
    from cloudwarden.config import get_settings

    for name in ("AWS_ENDPOINT_URL", "DATABASE_URL"):
        monkeypatch.delenv(f"CLOUDWARDEN_{name}", raising=False)
    monkeypatch.setenv("CLOUDWARDEN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        with runtime.open_store(get_settings()).begin() as db:
            _record(db, add_connected_account(db, ACCOUNT), _outcome(EXTERNAL))
        result = CliRunner().invoke(app, ["posture", "report"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["external_findings"]["total"] == 2  # stdout stays the report
    assert "Findings from AWS security services: 2 (guardduty 2; high 1, low 1)" in result.stderr
