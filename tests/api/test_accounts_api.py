"""AWS accounts through the API: register, the onboarding template, test the connection, disconnect, remove."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from cloudwarden.simulator import alarms, workload
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.onboarding import OnboardingOutputs, delete_read_role, deploy_onboarding_stack
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID, AuditEntry
from tests.api.conftest import Service
from tests.api.test_identity import invite, join

WS = f"/api/v1/workspaces/{DEFAULT_WORKSPACE_ID}"
SIM_ROLE_ARN = "arn:aws:iam::123456789012:role/CloudWardenReadOnly"  # the simulated account's


def fake_role(n: int = 1) -> str:
    return f"arn:aws:iam::{n:012d}:role/CloudWardenReadOnly"


def register(service: Service, headers: dict[str, str], role_arn: str, **extra: Any) -> dict[str, Any]:
    response = service.client.post(f"{WS}/accounts", headers=headers, json={"role_arn": role_arn, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def onboard(
    service: Service, sim: SimulatorClient, headers: dict[str, str]
) -> tuple[dict[str, Any], Any, datetime]:
    """As a customer: register through the API, deploy the stack with the ExternalId, test. The
    simulated workload's alarms go to the stack's alerts topic, as `sim onboard` routes them."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    w = workload.deploy_workload(sim, now=now)
    account = register(service, headers, SIM_ROLE_ARN, region=sim.region, name="simulated")
    outputs: OnboardingOutputs = deploy_onboarding_stack(
        sim, principal_arn="arn:aws:iam::111111111111:root", external_id=account["external_id"]
    )
    alarms.create_alarms(sim, w, topic_arns=[outputs.alerts_topic_arn], at=now - timedelta(days=1))
    tested = service.client.post(f"{WS}/accounts/{account['id']}/test", headers=headers)
    assert tested.status_code == 200, tested.text
    return tested.json(), w, now


def audit_actions(service: Service, workspace_id: str = DEFAULT_WORKSPACE_ID) -> list[str]:
    with service.factory.begin() as db:
        return [
            e.action
            for e in db.scalars(
                select(AuditEntry).where(AuditEntry.workspace_id == workspace_id).order_by(AuditEntry.seq)
            )
        ]


def wait_for(service: Service, path: str, headers: dict[str, str], timeout: float = 60.0) -> dict[str, Any]:
    """Poll a job's status until it is done or failed."""
    deadline = time.monotonic() + timeout
    while True:
        response = service.client.get(path, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] in ("done", "failed"):
            return body
        assert time.monotonic() < deadline, f"still {body['status']} after {timeout}s"
        time.sleep(0.1)


def test_the_connection_test_reports_each_source_and_a_revoked_role_is_kept_disconnected(
    simulated: Service, sim: SimulatorClient
) -> None:
    owner = simulated.headers()
    early = register(simulated, owner, SIM_ROLE_ARN, region=sim.region)
    refused = simulated.client.post(f"{WS}/accounts/{early['id']}/test", headers=owner)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_connected"
    assert simulated.client.delete(f"{WS}/accounts/{early['id']}", headers=owner).status_code == 204

    report, _, _ = onboard(simulated, sim, owner)
    assert report["connected"] is True and report["aws_account_id"] == "123456789012"
    assert report["sources"] and all(s["usable"] for s in report["sources"]), report["sources"]
    account = report["account"]
    assert account["status"] == "connected" and set(account["last_probe"]) == {
        s["source"] for s in report["sources"]
    }

    delete_read_role(sim)  # the customer deletes the role
    revoked = simulated.client.post(f"{WS}/accounts/{account['id']}/test", headers=owner)
    assert revoked.status_code == 409, revoked.text
    assert revoked.json()["error"]["code"] == "not_connected"
    shown = simulated.client.get(f"{WS}/accounts/{account['id']}", headers=owner).json()
    assert shown["status"] == "disconnected" and shown["status_reason"]  # committed despite the 409


def test_the_owner_registers_an_account_and_gets_what_onboarding_needs(any_service: Service) -> None:
    owner = any_service.headers()
    account = register(any_service, owner, fake_role(), name="prod", region="eu-west-1")
    assert len(account["external_id"]) >= 32 and account["created"] is True
    assert f"ExternalId={account['external_id']}" in account["deploy_command"]
    assert account["status"] == "disconnected" and account["regions"] == ["eu-west-1"]
    again = any_service.client.post(f"{WS}/accounts", headers=owner, json={"role_arn": fake_role()})
    assert (
        again.status_code == 200 and again.json()["id"] == account["id"] and again.json()["created"] is False
    )

    listed = any_service.client.get(f"{WS}/accounts", headers=owner).json()
    assert [a["id"] for a in listed] == [account["id"]]
    one = any_service.client.get(f"{WS}/accounts/{account['id']}", headers=owner).json()
    assert one["external_id"] == account["external_id"] and one["aws_account_id"] == "000000000001"

    cfn = any_service.client.get(account["template_urls"]["cloudformation"], headers=owner)
    assert cfn.status_code == 200 and cfn.headers["content-type"].startswith("application/yaml")
    assert cfn.headers["content-disposition"].startswith("attachment")
    assert "ExternalId" in yaml.safe_load(cfn.text)["Parameters"]
    tf = any_service.client.get(account["template_urls"]["terraform"], headers=owner)
    assert tf.status_code == 200 and tf.headers["content-type"].startswith("text/plain")
    assert 'variable "external_id"' in tf.text
    wrong = any_service.client.get(f"{WS}/accounts/{account['id']}/template?format=pdf", headers=owner)
    assert wrong.status_code == 422

    disconnected = any_service.client.post(f"{WS}/accounts/{account['id']}/disconnect", headers=owner)
    assert disconnected.status_code == 200 and disconnected.json()["status"] == "disconnected"
    assert any_service.client.delete(f"{WS}/accounts/{account['id']}", headers=owner).status_code == 204
    assert any_service.client.get(f"{WS}/accounts/{account['id']}", headers=owner).status_code == 404
    assert any_service.client.get(f"{WS}/accounts", headers=owner).json() == []
    assert [a for a in audit_actions(any_service) if a.startswith("account.")] == [
        "account.register",
        "account.disconnect",
        "account.remove",
    ]


def test_a_viewer_reads_accounts_but_cannot_change_them(service: Service) -> None:
    owner = service.headers()
    account = register(service, owner, fake_role())
    viewer = join(service, invite(service, owner, "vic@example.com", "viewer"), "vic@example.com")
    assert service.client.get(f"{WS}/accounts", headers=viewer).status_code == 200
    assert service.client.get(f"{WS}/accounts/{account['id']}", headers=viewer).status_code == 200
    one = f"{WS}/accounts/{account['id']}"
    for method, path, body in (
        ("POST", f"{WS}/accounts", {"role_arn": fake_role(2)}),
        ("POST", f"{one}/test", None),
        ("POST", f"{one}/disconnect", None),
        ("DELETE", one, None),
    ):
        response = service.client.request(method, path, headers=viewer, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error"]["code"] == "forbidden"
    assert service.client.get(f"{WS}/accounts", headers=viewer).json()[0]["status"] == "disconnected"
    assert audit_actions(service).count("access.denied") == 4


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"role_arn": "arn:aws:iam::123456789012:role/x'; DROP TABLE accounts;--"}, 400, "usage"),
        ({"role_arn": "<script>alert(1)</script>"}, 400, "usage"),
        ({"role_arn": fake_role(), "region": "<b>eu</b>"}, 400, "usage"),
        ({"role_arn": fake_role(), "name": "   "}, 400, "usage"),
        ({"role_arn": fake_role(), "external_id": "mine"}, 422, "validation"),
        ({"role_arn": "arn:aws:iam::123456789012:role/" + "x" * 5000}, 422, "validation"),
    ],
)
def test_bad_registrations_are_refused_and_store_nothing(
    any_service: Service, body: dict[str, Any], status: int, code: str
) -> None:
    owner = any_service.headers()
    response = any_service.client.post(f"{WS}/accounts", headers=owner, json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert any_service.client.get(f"{WS}/accounts", headers=owner).json() == []


def test_markup_and_sql_in_a_name_come_back_as_inert_json(any_service: Service) -> None:
    owner = any_service.headers()
    name = "<script>alert('x')</script>'; DROP TABLE accounts;--"
    account = register(any_service, owner, fake_role(), name=name)
    shown = any_service.client.get(f"{WS}/accounts/{account['id']}", headers=owner)
    assert shown.headers["content-type"] == "application/json" and shown.json()["name"] == name
    assert "<script>" not in shown.text or shown.headers["x-content-type-options"] == "nosniff"


def test_an_unreachable_aws_answers_503_and_leaves_the_account_as_it_was(offline: Service) -> None:
    owner = offline.headers()
    account = register(offline, owner, fake_role())
    response = offline.client.post(f"{WS}/accounts/{account['id']}/test", headers=owner)
    assert response.status_code == 503 and response.json()["error"]["code"] == "unreachable"
    shown = offline.client.get(f"{WS}/accounts/{account['id']}", headers=owner).json()
    assert shown["status_reason"] == "not checked yet"
