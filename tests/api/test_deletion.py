"""Closing a workspace or removing an account: closed at once, everything it owned gone after the
service's scheduled purge, looked for in every table."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cloudwarden.store import service as store
from cloudwarden.store.base import Base
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID
from cloudwarden.vault import service as vault
from tests.api.conftest import Service, start_service

WS = "/api/v1/workspaces"


@pytest.fixture
def purging(database_url: str, tmp_path: Path) -> Iterator[Service]:
    """The service with its purge every 1.8 seconds (the default is 6 hours)."""
    yield from start_service(database_url, tmp_path, purge_interval_hours=0.0005)


def fill(service: Service, workspace_id: str, headers: dict[str, str], marker: str) -> tuple[str, str]:
    """One of everything in the workspace; the account's and the incident's ids."""
    service.client.post(
        f"{WS}/{workspace_id}/invitations",
        headers=headers,
        json={"email": f"{marker}@x.org", "role": "viewer"},
    )
    service.client.post(
        f"{WS}/{workspace_id}/tokens", headers=headers, json={"name": marker, "scopes": ["audit:read"]}
    )
    with service.factory.begin() as db:
        account = store.create_account(
            db=db,
            workspace_id=workspace_id,
            name=marker,
            role_arn=f"arn:aws:iam::{abs(hash(marker)) % 10**12:012d}:role/R",
            regions=["eu-west-1"],
        )
        now = datetime.now(UTC)
        incident, _ = store.record_incident(
            db=db,
            workspace_id=workspace_id,
            account_id=account.id,
            alarm_name=marker,
            alarm_arn=f"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:{marker}",
            region="eu-west-1",
            opened_at=now,
            notification={},
            dedup_key=marker,
        )
        store.add_evidence(
            db=db,
            workspace_id=workspace_id,
            incident_id=incident.id,
            items=[
                {"source": "ecs", "kind": "event", "resource": "svc", "observed_at": now, "summary": marker}
            ],
        )
        store.add_metric_series(
            db=db,
            workspace_id=workspace_id,
            incident_id=incident.id,
            resource="svc",
            namespace="AWS/ECS",
            metric_name="CPUUtilization",
            stat="Average",
            datapoints=[(now, 1.0)],
        )
        store.save_diagnosis(
            db=db,
            workspace_id=workspace_id,
            incident_id=incident.id,
            result={"marker": marker},
            top_resource="svc",
            top_fault="bad_deploy",
            confidence=0.5,
            aws_calls=3,
            duration_ms=10,
        )
        vault.seal(
            db,
            provider=service.identity.keys,
            workspace_id=workspace_id,
            field="channels.token",
            row=marker,
            value="s",
        )
        return account.id, incident.id


def rows_where(service: Service, column: str, value: str) -> dict[str, int]:
    """Rows per table whose `column` is `value` (every table that has the column)."""
    found = {}
    with service.factory.begin() as db:
        for table in Base.metadata.sorted_tables:
            if column in table.c:
                count = db.scalar(select(func.count()).select_from(table).where(table.c[column] == value))
                if count:
                    found[table.name] = count
    return found


def wait_for_purge(service: Service, column: str, value: str) -> None:
    """Until the scheduled purge (the server's beat) has deleted every row where `column` is `value`."""
    deadline = time.monotonic() + 60
    while rows_where(service, column, value) and time.monotonic() < deadline:
        time.sleep(0.2)


def test_a_closed_workspace_is_gone_from_every_table_after_the_scheduled_purge(purging: Service) -> None:
    owner = purging.auth_headers
    doomed = purging.client.post(WS, headers=owner, json={"name": "Doomed", "slug": "doomed"}).json()["id"]
    fill(purging, doomed, owner, "doomed")
    kept_account, _ = fill(purging, DEFAULT_WORKSPACE_ID, owner, "kept")
    before = rows_where(purging, "workspace_id", doomed)
    assert {
        "accounts",
        "incidents",
        "evidence_records",
        "metric_series",
        "diagnoses",
        "memberships",
        "invitations",
        "api_tokens",
        "data_keys",
        "audit_entries",
    } <= before.keys()

    assert purging.client.delete(f"{WS}/{doomed}", headers=owner).status_code == 204
    assert purging.client.get(f"{WS}/{doomed}", headers=owner).status_code == 404  # closed at once
    wait_for_purge(purging, "workspace_id", doomed)

    assert rows_where(purging, "workspace_id", doomed) == {}
    assert rows_where(purging, "id", doomed) == {}  # the workspace row itself
    assert rows_where(purging, "account_id", kept_account), "another workspace's data went too"


def test_a_removed_account_is_gone_from_every_table_after_the_scheduled_purge(purging: Service) -> None:
    owner = purging.auth_headers
    account, incident = fill(purging, DEFAULT_WORKSPACE_ID, owner, "removed")
    kept, _ = fill(purging, DEFAULT_WORKSPACE_ID, owner, "kept")
    assert set(rows_where(purging, "incident_id", incident)) == {
        "evidence_records",
        "metric_series",
        "diagnoses",
    }
    assert rows_where(purging, "account_id", account)
    assert (
        purging.client.delete(f"{WS}/{DEFAULT_WORKSPACE_ID}/accounts/{account}", headers=owner).status_code
        == 204
    )
    assert (
        purging.client.get(f"{WS}/{DEFAULT_WORKSPACE_ID}/accounts/{account}", headers=owner).status_code
        == 404
    )
    wait_for_purge(purging, "account_id", account)
    assert rows_where(purging, "account_id", account) == {}
    assert rows_where(purging, "incident_id", incident) == {}
    assert rows_where(purging, "id", account) == {} and rows_where(purging, "id", incident) == {}
    assert rows_where(purging, "account_id", kept)
