"""Incidents and investigations through the API: investigate in the background, read the diagnosis,
page through incidents, and other workspaces' ids answering 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cloudwarden.simulator import inject, scenario
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.store import service as store
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID
from tests.api.conftest import Service
from tests.api.test_accounts_api import (
    WS,
    audit_actions,
    fake_role,
    onboard,
    register,
    wait_for,
)
from tests.api.test_identity import invite, join

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def add_incidents(
    service: Service, workspace_id: str, account_id: str, count: int, *, diagnosed: bool = False
) -> list[str]:
    """Incidents as an alert would record them; every third shares its opened_at with the previous."""
    ids = []
    with service.factory.begin() as db:
        for n in range(count):
            incident, _ = store.record_incident(
                db=db,
                workspace_id=workspace_id,
                account_id=account_id,
                alarm_name=f"alarm-{n}",
                alarm_arn=f"arn:aws:cloudwatch:eu-west-1:000000000001:alarm:alarm-{n}",
                region="eu-west-1",
                opened_at=T0 + timedelta(minutes=n - (n % 3 == 2)),
                notification={"n": n},
                dedup_key=f"test:{account_id}:{n}",
            )
            if diagnosed:
                store.save_diagnosis(
                    db=db,
                    workspace_id=workspace_id,
                    incident_id=incident.id,
                    result={
                        "summary": "<b>bad</b> deploy",
                        "hypotheses": [{"rank": 1, "fault": "bad_deploy"}],
                    },
                    top_resource="svc",
                    top_fault="bad_deploy",
                    confidence=0.9,
                    aws_calls=3,
                    duration_ms=10,
                )
            ids.append(incident.id)
    return ids


def test_an_investigation_started_through_the_api_shows_the_diagnosis(
    simulated: Service, sim: SimulatorClient
) -> None:
    owner = simulated.headers()
    report, w, now = onboard(simulated, sim, owner)
    account_id = report["account"]["id"]
    injection = inject.inject(sim, w, scenario.get("bad_deploy"), now=now)

    started = simulated.client.post(
        f"{WS}/investigations",
        headers=owner,
        json={"account_id": account_id, "alarm_name": injection.alarm_name},
    )
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "queued"
    job = wait_for(simulated, f"{WS}/investigations/{started.json()['id']}", owner)
    assert job["status"] == "done", job
    assert job["error"] is None and job["incident_id"]

    listed = simulated.client.get(f"{WS}/incidents", headers=owner).json()
    assert [i["id"] for i in listed["items"]] == [job["incident_id"]] and listed["next_cursor"] is None
    detail = simulated.client.get(f"{WS}/incidents/{job['incident_id']}", headers=owner)
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["state"] == "diagnosed" and body["alarm_name"] == injection.alarm_name
    top = body["diagnosis"]["causes"][0]
    assert (top["resource"], top["fault"]) == (injection.truth_resource, "bad_deploy")
    assert body["diagnosis"]["top_fault"] == "bad_deploy" and body["evidence"]
    actions = audit_actions(simulated)
    assert "incident.investigate" in actions and actions[-1] == "incident.read"


def test_roles_decide_who_investigates_and_who_reads(offline: Service) -> None:
    owner = offline.headers()
    account = register(offline, owner, fake_role())
    [incident_id] = add_incidents(offline, DEFAULT_WORKSPACE_ID, account["id"], 1, diagnosed=True)
    viewer = join(offline, invite(offline, owner, "vic@example.com", "viewer"), "vic@example.com")
    refused = offline.client.post(
        f"{WS}/investigations", headers=viewer, json={"account_id": account["id"], "alarm_name": "api-5xx"}
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert offline.client.get(f"{WS}/incidents", headers=viewer).json()["items"][0]["id"] == incident_id
    read = offline.client.get(f"{WS}/incidents/{incident_id}", headers=viewer)
    assert read.status_code == 200 and read.json()["diagnosis"]["causes"] == [
        {"rank": 1, "fault": "bad_deploy"}
    ]
    assert read.json()["diagnosis"]["summary"] == "<b>bad</b> deploy"  # inert: JSON, never HTML
    assert audit_actions(offline)[-1] == "incident.read"

    # The owner may; AWS is unreachable here, so the job fails with the flow's error as its status.
    started = offline.client.post(
        f"{WS}/investigations",
        headers=owner,
        json={"account_id": account["id"], "alarm_name": "<i>api</i>'--"},
    )
    assert started.status_code == 202, started.text
    job = wait_for(offline, f"{WS}/investigations/{started.json()['id']}", viewer)
    assert (
        job["status"] == "failed" and job["error"]["code"] == "unreachable" and job["incident_id"] is None
    ), job
    for body, status in (
        ({"account_id": "nope", "alarm_name": "a"}, 404),
        ({"account_id": account["id"], "alarm_name": ""}, 422),
        ({"account_id": account["id"], "alarm_name": "a", "lookback_minutes": 5}, 422),
        ({"account_id": account["id"], "alarm_name": "a", "at": "now"}, 422),
    ):
        assert offline.client.post(f"{WS}/investigations", headers=owner, json=body).status_code == status, (
            body
        )


def test_pagination_returns_every_incident_once_with_filters(any_service: Service) -> None:
    owner = any_service.headers()
    first = register(any_service, owner, fake_role(1))
    second = register(any_service, owner, fake_role(2))
    mine = add_incidents(any_service, DEFAULT_WORKSPACE_ID, first["id"], 7)
    theirs = add_incidents(any_service, DEFAULT_WORKSPACE_ID, second["id"], 2)

    def pages(**query: Any) -> list[list[str]]:
        seen, cursor = [], None
        while True:
            params = {**query, **({"cursor": cursor} if cursor else {})}
            response = any_service.client.get(f"{WS}/incidents", headers=owner, params=params)
            assert response.status_code == 200, response.text
            body = response.json()
            seen.append([i["id"] for i in body["items"]])
            cursor = body["next_cursor"]
            if cursor is None:
                return seen

    everything = pages(limit=2)
    flat = [i for page in everything for i in page]
    assert sorted(flat) == sorted(mine + theirs) and len(flat) == len(set(flat))
    assert all(len(page) == 2 for page in everything[:-1])
    listed = any_service.client.get(f"{WS}/incidents", headers=owner, params={"limit": 100}).json()["items"]
    assert [i["id"] for i in listed] == flat  # newest first, same order as paged
    assert [i["opened_at"] for i in listed] == sorted((i["opened_at"] for i in listed), reverse=True)

    by_account = [i for page in pages(limit=3, account_id=first["id"]) for i in page]
    assert sorted(by_account) == sorted(mine)
    since = (T0 + timedelta(minutes=4)).isoformat()  # two of the three share opened_at
    recent = [i for page in pages(limit=1, since=since, account_id=first["id"]) for i in page]
    assert sorted(recent) == sorted(mine[4:])
    assert pages(state="diagnosed") == [[]]
    for bad in ({"limit": 0}, {"limit": 101}, {"state": "closed"}, {"cursor": "not-a-cursor"}):
        response = any_service.client.get(f"{WS}/incidents", headers=owner, params=bad)
        assert response.status_code in (400, 422), (bad, response.text)
    injected = any_service.client.get(f"{WS}/incidents", headers=owner, params={"account_id": "' OR 1=1 --"})
    assert injected.status_code == 200 and injected.json()["items"] == []


def test_another_workspace_s_ids_answer_not_found(offline: Service) -> None:
    owner = offline.headers()
    other = offline.client.post("/api/v1/workspaces", headers=owner, json={"name": "Acme", "slug": "acme"})
    assert other.status_code == 201
    acme = f"/api/v1/workspaces/{other.json()['id']}"
    created = offline.client.post(f"{acme}/accounts", headers=owner, json={"role_arn": fake_role(7)})
    assert created.status_code == 201
    account_id = created.json()["id"]
    [incident_id] = add_incidents(offline, other.json()["id"], account_id, 1, diagnosed=True)
    job = offline.client.post(
        f"{acme}/investigations", headers=owner, json={"account_id": account_id, "alarm_name": "a"}
    )
    assert job.status_code == 202
    job_id = job.json()["id"]

    member = join(offline, invite(offline, owner, "ann@example.com", "admin"), "ann@example.com", "admin")
    for path in (
        f"{WS}/accounts/{account_id}",
        f"{WS}/accounts/{account_id}/template",
        f"{WS}/incidents/{incident_id}",
        f"{WS}/investigations/{job_id}",
        f"{acme}/accounts/{account_id}",
        f"{acme}/incidents/{incident_id}",
        f"{acme}/investigations/{job_id}",
        f"{acme}/audit",
    ):
        response = offline.client.get(path, headers=member)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["error"]["code"] == "not_found"
    for method, path in (
        ("POST", f"{WS}/accounts/{account_id}/test"),
        ("POST", f"{WS}/accounts/{account_id}/disconnect"),
        ("DELETE", f"{WS}/accounts/{account_id}"),
    ):
        assert offline.client.request(method, path, headers=member).status_code == 404, path
    moved = offline.client.post(
        f"{WS}/investigations", headers=member, json={"account_id": account_id, "alarm_name": "a"}
    )
    assert moved.status_code == 404
    assert (
        offline.client.get(f"{acme}/accounts/{account_id}", headers=owner).json()["status"] == "disconnected"
    )
    assert "incident.read" not in audit_actions(offline, other.json()["id"])
