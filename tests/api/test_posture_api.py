"""Posture through the API: a responder starts a scan, a viewer reads it, an admin suppresses."""

from __future__ import annotations

import json

from sqlalchemy import select

from cloudwarden.posture import flows
from cloudwarden.posture.outputs import render
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.onboarding import deploy_onboarding_stack
from cloudwarden.store.models import Account
from cloudwarden.store.posture import PostureScan
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID, AuditEntry
from cloudwarden.worker import context as worker_context
from cloudwarden.worker import tasks
from tests.api.conftest import Service, member_headers
from tests.api.test_intake import Recorder
from tests.conftest import add_connected_account

WS = f"/api/v1/workspaces/{DEFAULT_WORKSPACE_ID}"


def test_scan_read_report_and_suppress(simulated: Service, sim: SimulatorClient) -> None:
    context = simulated.client.app.state.work.context  # type: ignore[attr-defined]
    queued = Recorder()
    context.dispatcher = queued
    worker_context.install(context)
    with simulated.factory.begin() as db:
        account = add_connected_account(db, "123456789012")
        account.role_arn = deploy_onboarding_stack(
            sim, principal_arn=context.settings.principal_arn, external_id=account.external_id
        ).read_role_arn
        account_id = account.id
    viewer, responder = member_headers(simulated, "viewer"), member_headers(simulated, "responder")

    assert (
        simulated.client.post(f"{WS}/accounts/{account_id}/posture/scans", headers=viewer).status_code == 403
    )
    started = simulated.client.post(f"{WS}/accounts/{account_id}/posture/scans", headers=responder)
    assert started.status_code == 202, started.text
    [(task, kwargs)] = queued.sent
    assert task == "posture_scan" and kwargs["account_id"] == account_id
    tasks.posture_scan(**kwargs)  # what the worker runs

    scans = simulated.client.get(f"{WS}/posture/scans", params={"account_id": account_id}, headers=viewer)
    assert scans.status_code == 200, scans.text
    [scan] = scans.json()
    assert scan["checks"] > 0 and sum(scan["counts"].values()) > 0
    for fmt, media in (("json", "application/json"), ("csv", "text/csv"), ("ocsf", "application/json"),
                       ("html", "text/html")):  # fmt: skip
        report = simulated.client.get(
            f"{WS}/posture/scans/{scan['id']}/report", params={"format": fmt}, headers=viewer
        )
        assert report.status_code == 200 and report.headers["content-type"].startswith(media), fmt
        # Streamed (no length known up front), and the same report the CLI writes from the store.
        assert "content-length" not in report.headers, fmt
        with simulated.factory() as db:
            stored = db.get(PostureScan, scan["id"])
            assert stored is not None
            expected = render(flows.report_of(db=db, scan=stored, account=db.get(Account, account_id)), fmt)  # type: ignore[arg-type]
        assert report.text == expected, fmt
    assert (
        json.loads(simulated.client.get(f"{WS}/posture/scans/{scan['id']}/report", headers=viewer).text)[
            "scan_id"
        ]
        == scan["id"]
    )
    assert simulated.client.get(f"{WS}/posture/scans/nope", headers=viewer).status_code == 404

    suppression = {
        "check_id": "iam_root_access_key_absent",
        "reason": "the break-glass key is kept in the safe",
        "owner": "security@example.com",
        "days": 30,
    }
    assert (
        simulated.client.post(f"{WS}/posture/suppressions", headers=responder, json=suppression).status_code
        == 403
    )
    made = simulated.client.post(
        f"{WS}/posture/suppressions", headers=simulated.auth_headers, json=suppression
    )
    assert made.status_code == 201, made.text
    listed = simulated.client.get(f"{WS}/posture/suppressions", headers=viewer).json()
    assert [s["id"] for s in listed] == [made.json()["id"]]
    bad = simulated.client.post(
        f"{WS}/posture/suppressions",
        headers=simulated.auth_headers,
        json={**suppression, "check_id": "no_such_check"},
    )
    assert bad.status_code == 400 and "no posture check" in bad.json()["error"]["message"]
    with simulated.factory.begin() as db:
        actions = set(db.scalars(select(AuditEntry.action)))
    assert {"posture.scan", "posture.suppress"} <= actions
