"""Approving and executing a proposed remediation through the API: who may, and which consents count.

The dispatcher records what would be queued (tests/e2e/test_alert_loop.py and tests/worker run the
execution itself against the simulated account).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from cloudwarden.store import models
from cloudwarden.store import service as store
from cloudwarden.store.alerting import ActionProposal
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID, AuditEntry
from cloudwarden.store.types import utcnow
from tests.api.conftest import Service, member_headers
from tests.api.test_intake import Recorder

WS = f"/api/v1/workspaces/{DEFAULT_WORKSPACE_ID}"
RESOURCE = "arn:aws:ecs:us-east-1:123456789012:service/shop/worker"
PARAMS = {"cluster": "shop", "service": "worker"}


@dataclass
class Proposed:
    service: Service
    proposal_id: str
    queued: Recorder


def _proposal(service: Service, *, actions_role: bool) -> str:
    with service.factory.begin() as db:
        account = store.create_account(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            name="prod",
            role_arn="arn:aws:iam::123456789012:role/CloudWardenReadOnly",
            regions=["us-east-1"],
        )
        account.actions_role_arn = (
            "arn:aws:iam::123456789012:role/CloudWardenActions" if actions_role else None
        )
        incident, _ = store.record_incident(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            account_id=account.id,
            alarm_name="worker-memory",
            alarm_arn="arn:aws:cloudwatch:us-east-1:123456789012:alarm:worker-memory",
            region="us-east-1",
            opened_at=utcnow(),
            notification={},
            dedup_key="t",
        )
        proposal = ActionProposal(
            workspace_id=DEFAULT_WORKSPACE_ID,
            incident_id=incident.id,
            account_id=account.id,
            action="restart_ecs_service",
            resource=RESOURCE,
            params=PARAMS,
            result={},
        )
        db.add(proposal)
        db.flush()
        return proposal.id


@pytest.fixture
def proposed(any_service: Service) -> Iterator[Proposed]:
    recorder = Recorder()
    any_service.client.app.state.work.context.dispatcher = recorder  # type: ignore[attr-defined]
    yield Proposed(any_service, _proposal(any_service, actions_role=True), recorder)


def _execute(p: Proposed, headers: dict[str, str], consent: str, **changes: Any) -> Any:
    body = {
        "consent": consent,
        "action": "restart_ecs_service",
        "resource": RESOURCE,
        "params": PARAMS,
        **changes,
    }
    return p.service.client.post(f"{WS}/actions/executions", headers=headers, json=body)


def test_an_approved_action_runs_once_with_its_consent(proposed: Proposed) -> None:
    owner = proposed.service.auth_headers
    approved = proposed.service.client.post(
        f"{WS}/actions/proposals/{proposed.proposal_id}/approve", headers=owner
    )
    assert approved.status_code == 200, approved.text
    consent = approved.json()["consent"]
    started = _execute(proposed, owner, consent)
    assert started.status_code == 202 and started.json()["status"] == "executing"
    assert proposed.queued.sent == [
        ("execute_action", {"workspace_id": DEFAULT_WORKSPACE_ID, "proposal_id": proposed.proposal_id})
    ]
    again = _execute(proposed, owner, consent)
    assert again.status_code == 403 and again.json()["error"]["code"] == "consent_refused"
    assert "was used" in again.json()["error"]["message"]
    assert len(proposed.queued.sent) == 1


def test_a_consent_with_changed_parameters_is_refused_and_the_refusal_audited(proposed: Proposed) -> None:
    owner = proposed.service.auth_headers
    consent = proposed.service.client.post(
        f"{WS}/actions/proposals/{proposed.proposal_id}/approve", headers=owner
    ).json()["consent"]
    changed = _execute(proposed, owner, consent, params={"cluster": "shop", "service": "web"})
    assert changed.status_code == 403 and "params" in changed.json()["error"]["message"]
    assert proposed.queued.sent == []
    with proposed.service.factory.begin() as db:
        refusal = db.scalars(select(AuditEntry).where(AuditEntry.action == "action.refuse")).one()
        assert refusal.outcome == "denied" and refusal.details["reason"] == "altered"
        assert db.get(ActionProposal, proposed.proposal_id).status == "approved"  # type: ignore[union-attr]


def test_a_viewer_can_neither_approve_nor_execute(proposed: Proposed) -> None:
    viewer = member_headers(proposed.service, "viewer")
    denied = proposed.service.client.post(
        f"{WS}/actions/proposals/{proposed.proposal_id}/approve", headers=viewer
    )
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden"
    consent = proposed.service.client.post(
        f"{WS}/actions/proposals/{proposed.proposal_id}/approve", headers=proposed.service.auth_headers
    ).json()["consent"]
    assert _execute(proposed, viewer, consent).status_code == 403
    responder = member_headers(proposed.service, "responder")
    not_theirs = _execute(proposed, responder, consent)  # a responder, but not the approver
    assert not_theirs.status_code == 403 and "another person" in not_theirs.json()["error"]["message"]
    assert proposed.queued.sent == []


def test_an_account_without_the_actions_role_cannot_approve(any_service: Service) -> None:
    proposal_id = _proposal(any_service, actions_role=False)
    answer = any_service.client.post(
        f"{WS}/actions/proposals/{proposal_id}/approve", headers=any_service.auth_headers
    )
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "actions_not_enabled"
    with any_service.factory.begin() as db:
        assert db.scalars(select(models.Incident)).one()  # nothing else changed


def test_the_phone_approvals_come_from_and_the_actions_role_are_checked(any_service: Service) -> None:
    owner = any_service.auth_headers
    assert (
        any_service.client.put(
            "/api/v1/me/phone", headers=owner, json={"phone": "+44 7700 900123"}
        ).status_code
        == 204
    )
    bad = any_service.client.put("/api/v1/me/phone", headers=owner, json={"phone": "call me"})
    assert bad.status_code == 400 and "E.164" in bad.json()["error"]["message"]
    account = any_service.client.post(
        f"{WS}/accounts",
        headers=owner,
        json={"role_arn": "arn:aws:iam::123456789012:role/CloudWardenReadOnly"},
    ).json()["id"]
    url = f"{WS}/accounts/{account}/actions-role"
    elsewhere = any_service.client.put(
        url, headers=owner, json={"actions_role_arn": "arn:aws:iam::999999999999:role/A"}
    )
    assert elsewhere.status_code == 400 and "999999999999" in elsewhere.json()["error"]["message"]
    same = any_service.client.put(
        url, headers=owner, json={"actions_role_arn": "arn:aws:iam::123456789012:role/CloudWardenActions"}
    )
    assert same.status_code == 200 and same.json()["actions_role_arn"].endswith("role/CloudWardenActions")
