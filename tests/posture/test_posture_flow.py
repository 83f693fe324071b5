"""`posture scan` as a user runs it: a connected simulated account, stored scans, four reports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from py_ocsf_models.events.findings.detection_finding import DetectionFinding
from sqlalchemy.orm import Session, sessionmaker

from cloudwarden.aws.session import SessionBroker
from cloudwarden.config import Settings
from cloudwarden.errors import NotConnected
from cloudwarden.posture import flows
from cloudwarden.posture.outputs import write_all
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.onboarding import deploy_onboarding_stack
from cloudwarden.store import db as store_db
from cloudwarden.store import models
from cloudwarden.store.posture import PostureScan
from tests.conftest import add_connected_account

AWS_ACCOUNT = "123456789012"


@pytest.fixture
def connected(
    sim: SimulatorClient, tmp_path: Path
) -> Iterator[tuple[sessionmaker[Session], str, SessionBroker]]:
    engine = store_db.make_engine(f"sqlite:///{tmp_path / 'data' / 'cloudwarden.db'}")
    store_db.migrate(engine)
    factory = store_db.session_factory(engine)
    with factory.begin() as db:
        account = add_connected_account(db, AWS_ACCOUNT)
        outputs = deploy_onboarding_stack(
            sim, principal_arn="arn:aws:iam::111111111111:root", external_id=account.external_id
        )
        account.role_arn = outputs.read_role_arn
        account_id = account.id
    yield factory, account_id, SessionBroker(Settings(simulator_url=sim.endpoint))
    engine.dispose()


def test_a_scan_is_stored_and_written_in_four_formats(
    connected: tuple[sessionmaker[Session], str, SessionBroker], tmp_path: Path
) -> None:
    factory, account_id, broker = connected
    with factory.begin() as db:
        account = db.get(models.Account, account_id)
        assert account is not None
        report = flows.scan_account(db=db, broker=broker, account=account, actor="test")
        paths = write_all(report, tmp_path / "reports")
    assert report.findings and report.scan.checks == len({f.check_id for f, _ in report.findings})
    assert sum(report.scan.counts.values()) == len(report.findings)
    assert report.scan.api_calls > 0

    document = json.loads(paths["json"].read_text())
    assert document["scan_id"] == report.scan.id and len(document["findings"]) == len(report.findings)
    rows = list(csv.DictReader(io.StringIO(paths["csv"].read_text())))
    assert len(rows) == len(report.findings) and {r["status"] for r in rows} <= {
        "PASS", "FAIL", "ERROR", "NOT_APPLICABLE",
    }  # fmt: skip
    events = json.loads(paths["ocsf"].read_text())
    assert len(events) == len(report.findings)
    for event in events:
        DetectionFinding.model_validate(event)  # the OCSF 1.x shape, as OCSF consumers read it
        assert event["class_uid"] == 2004 and event["type_uid"] == 200401
        assert event["cloud"]["account"]["uid"] == AWS_ACCOUNT
    page = paths["html"].read_text()
    assert "<script" not in page and "Scores" in page and AWS_ACCOUNT in page
    assert oct(paths["html"].stat().st_mode & 0o777) == "0o600"


def test_the_second_scan_has_a_trend(connected: tuple[sessionmaker[Session], str, SessionBroker]) -> None:
    factory, account_id, broker = connected
    with factory.begin() as db:
        account = db.get(models.Account, account_id)
        assert account is not None
        flows.scan_account(db=db, broker=broker, account=account, actor="test")
        second = flows.scan_account(db=db, broker=broker, account=account, actor="test")
    assert [s.id for s in second.history][-1] == second.scan.id and len(second.history) == 2
    assert second.scan.changes["new"] == 0  # nothing changed in the account between the scans


def test_an_account_whose_role_is_gone_is_refused_and_nothing_is_stored(
    connected: tuple[sessionmaker[Session], str, SessionBroker], sim: SimulatorClient
) -> None:
    factory, account_id, broker = connected
    with factory.begin() as db:
        account = db.get(models.Account, account_id)
        assert account is not None
        account.external_id = "not-the-one-in-the-trust-policy"
        with pytest.raises(NotConnected):
            flows.scan_account(db=db, broker=broker, account=account, actor="test")
        assert db.query(PostureScan).count() == 0
