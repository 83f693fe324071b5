"""The incidents list and the incident page: what a responder reads, and approving an action."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, select, update

from cloudwarden.store import service as store
from cloudwarden.store.alerting import ActionProposal, ChannelRecord, Consent, OutboxMessage
from cloudwarden.store.db import write_transaction
from cloudwarden.store.models import Incident
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID, AuditEntry
from tests.api.conftest import MEMBER_PASSWORD, Service, member_headers
from tests.api.test_actions_api import PARAMS, RESOURCE
from tests.api.test_intake import Recorder
from tests.web.conftest import csrf_of, sign_in

WS = f"/w/{DEFAULT_WORKSPACE_ID}"
ONSET = datetime(2026, 11, 30, 9, 58, tzinfo=UTC)
ALARM_AT = ONSET + timedelta(minutes=4)
DEPLOYED = ONSET - timedelta(minutes=1)


def seed_incident(service: Service, *, actions_role: bool = True) -> tuple[str, str]:
    """A diagnosed incident as an investigation stores it: evidence, metrics, a delivery, a proposal."""
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
            alarm_name="worker-memory-high",
            alarm_arn="arn:aws:cloudwatch:us-east-1:123456789012:alarm:worker-memory-high",
            region="us-east-1",
            opened_at=ALARM_AT,
            notification={},
            dedup_key="web-test",
        )
        store.save_diagnosis(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            incident_id=incident.id,
            result={
                "summary": "memory leak on worker: memory rose 3.1x after deployment 7",
                "onset": ONSET.isoformat(),
                "hypotheses": [
                    {
                        "rank": 1,
                        "fault": "memory_leak",
                        "resource": RESOURCE,
                        "resource_name": "worker",
                        "resource_kind": "ecs_service",
                        "confidence": 0.82,
                        "evidence": [
                            {
                                "source": "metrics",
                                "summary": "MemoryUtilization rose from 31% to 97%",
                                "time": ONSET.isoformat(),
                                "weight": 2.0,
                            },
                        ],
                        "next_steps": ["Compare deployment 7 with deployment 6"],
                    },
                    {
                        "rank": 2,
                        "fault": "cpu_saturation",
                        "resource": RESOURCE,
                        "resource_name": "worker",
                        "resource_kind": "ecs_service",
                        "confidence": 0.18,
                        "evidence": [],
                        "next_steps": [],
                    },
                ],
                "evidence_unavailable": ["evidence unavailable: logs:FilterLogEvents accessdenied"],
            },
            top_resource=RESOURCE,
            top_fault="memory_leak",
            confidence=0.82,
            aws_calls=17,
            duration_ms=2300,
        )
        store.add_evidence(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            incident_id=incident.id,
            items=[
                {
                    "source": "cloudtrail",
                    "kind": "change",
                    "resource": RESOURCE,
                    "observed_at": DEPLOYED,
                    "summary": "UpdateService by deployer",
                    "data": {},
                },
                {
                    "source": "logs",
                    "kind": "finding:memory_leak",
                    "resource": RESOURCE,
                    "observed_at": ONSET,
                    "summary": "java.lang.OutOfMemoryError: Java heap space (x42)",
                    "data": {},
                },
            ],
        )
        store.add_metric_series(
            db=db,
            workspace_id=DEFAULT_WORKSPACE_ID,
            incident_id=incident.id,
            resource=RESOURCE,
            namespace="AWS/ECS",
            metric_name="MemoryUtilization",
            stat="Average",
            dimensions={"ClusterName": "shop", "ServiceName": "worker"},
            datapoints=[(ONSET + timedelta(minutes=m), 31.0 + max(0, m) * 8) for m in range(-10, 9)],
        )
        channel = ChannelRecord(
            workspace_id=DEFAULT_WORKSPACE_ID, name="on-call", kind="whatsapp", settings={}
        )
        db.add(channel)
        db.flush()
        db.add(
            OutboxMessage(
                workspace_id=DEFAULT_WORKSPACE_ID,
                channel_id=channel.id,
                incident_id=incident.id,
                dedup_key="web-test-delivery",
                kind="diagnosis",
                recipient="+447700900123",
                payload={},
                status="delivered",
                attempts=1,
                sent_at=ALARM_AT + timedelta(seconds=20),
            )
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
        return incident.id, proposal.id


def test_the_list_shows_incidents_with_their_likely_cause_and_refreshes_itself(web: Service) -> None:
    incident_id, _ = seed_incident(web)
    sign_in(web.client)
    page = web.client.get(f"{WS}/incidents")
    assert page.status_code == 200
    assert "worker-memory-high" in page.text and "memory leak" in page.text and "82%" in page.text
    assert f'href="{WS}/incidents/{incident_id}"' in page.text
    assert 'hx-trigger="every 5s"' in page.text  # the live list polls its rows
    rows = web.client.get(f"{WS}/incidents/rows")
    assert rows.text.lstrip().startswith('<tbody id="incident-rows"') and "worker-memory-high" in rows.text
    filtered = web.client.get(f"{WS}/incidents?state=open")
    assert "worker-memory-high" not in filtered.text and "No incidents match these filters" in filtered.text
    bad = web.client.get(f"{WS}/incidents?state=exploded")
    assert bad.status_code == 400 and "No incident state" in bad.text


def test_the_incident_page_shows_causes_evidence_timeline_chart_logs_and_is_audited(web: Service) -> None:
    incident_id, _ = seed_incident(web)
    sign_in(web.client)
    page = web.client.get(f"{WS}/incidents/{incident_id}")
    assert page.status_code == 200
    text = page.text
    assert "memory leak on worker: memory rose 3.1x" in text
    assert text.index("1. Memory leak on worker") < text.index("2. Cpu saturation on worker")
    assert "MemoryUtilization rose from 31% to 97%" in text
    assert "logs:FilterLogEvents accessdenied" in text  # missing evidence is said, not hidden
    assert "java.lang.OutOfMemoryError" in text and "UpdateService by deployer" in text
    # The chart: a drawn line, the onset and the deployment marked, and a text alternative.
    assert re.search(r'<path class="line" d="M[0-9.]+,[0-9.]+ L', text)
    assert 'class="onset"' in text and 'class="change"' in text
    assert "<desc" in text and "19 datapoints from 31 to 95" in text
    # The timeline in time order: onset, change, alarm, ... delivery.
    kinds = re.findall(r'<li class="event-(\w+)"', text)
    assert kinds[:3] == ["change", "onset", "alarm"] and "delivery" in kinds and "proposal" in kinds
    assert "…0123" in text and "+447700900123" not in text  # the number masked
    with web.factory() as db:
        reads = db.scalars(select(AuditEntry).where(AuditEntry.action == "incident.read")).all()
    assert [r.target_id for r in reads] == [incident_id]


def test_approving_shows_a_90_second_consent_and_executing_queues_the_action_once(web: Service) -> None:
    incident_id, proposal_id = seed_incident(web)
    recorder = Recorder()
    web.client.app.state.work.context.dispatcher = recorder  # type: ignore[attr-defined]
    token = sign_in(web.client)
    approve = f"{WS}/incidents/{incident_id}/proposals/{proposal_id}/approve"
    approved = web.client.post(approve, data={"csrf_token": token})
    assert approved.status_code == 200, approved.text
    assert "Execute now" in approved.text and 'data-expires-at="' in approved.text
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', approved.text))
    assert form["consent"].startswith("cw_consent_") and form["action"] == "restart_ecs_service"
    with web.factory() as db:
        consent = db.scalars(select(Consent)).one()
        assert (
            consent.via == "console" and 89 <= (consent.expires_at - consent.issued_at).total_seconds() <= 90
        )

    execute = f"{WS}/incidents/{incident_id}/proposals/{proposal_id}/execute"
    done = web.client.post(
        execute, data={**form, "params": form["params"].replace("&#34;", '"')}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    assert recorder.sent == [
        ("execute_action", {"workspace_id": DEFAULT_WORKSPACE_ID, "proposal_id": proposal_id})
    ]
    again = web.client.post(execute, data={**form, "params": form["params"].replace("&#34;", '"')})
    assert again.status_code == 403 and "Refused:" in again.text and "was used" in again.text
    assert len(recorder.sent) == 1


def test_an_expired_consent_is_refused_with_its_reason(web: Service) -> None:
    incident_id, proposal_id = seed_incident(web)
    web.client.app.state.work.context.dispatcher = Recorder()  # type: ignore[attr-defined]
    token = sign_in(web.client)
    approved = web.client.post(
        f"{WS}/incidents/{incident_id}/proposals/{proposal_id}/approve", data={"csrf_token": token}
    )
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', approved.text))
    with web.factory.begin() as db:
        consent = db.scalars(select(Consent)).one()
        consent.expires_at = consent.issued_at - timedelta(seconds=1)
    refused = web.client.post(
        f"{WS}/incidents/{incident_id}/proposals/{proposal_id}/execute",
        data={**form, "params": form["params"].replace("&#34;", '"')},
    )
    assert refused.status_code == 403 and "expired" in refused.text
    with web.factory() as db:
        assert db.get(ActionProposal, proposal_id).status == "approved"  # type: ignore[union-attr]


def test_a_viewer_reads_but_cannot_approve_and_another_workspace_is_not_found(web: Service) -> None:
    incident_id, proposal_id = seed_incident(web)
    member_headers(web, "viewer")
    token = sign_in(web.client, "viewer@example.com", MEMBER_PASSWORD)
    page = web.client.get(f"{WS}/incidents/{incident_id}")
    assert page.status_code == 200 and "Approve…" not in page.text
    assert "A responder or above can approve" in page.text
    refused = web.client.post(
        f"{WS}/incidents/{incident_id}/proposals/{proposal_id}/approve", data={"csrf_token": token}
    )
    assert refused.status_code == 403
    assert web.client.get(f"/w/{'0' * 36}/incidents/{incident_id}").status_code == 404
    assert csrf_of(page.text) == token


def test_the_live_rows_keep_the_lists_empty_filters(web: Service) -> None:
    seed_incident(web)
    sign_in(web.client)
    rows = web.client.get(f"{WS}/incidents/rows?state=&account_id=")  # what the page polls
    assert rows.status_code == 200 and "worker-memory-high" in rows.text


def test_an_audited_page_read_waits_for_a_task_that_commits_meanwhile_instead_of_failing(
    web: Service,
) -> None:
    """SQLite: a task commits between the page's reads and its audit entry (the race behind a
    flaky console page). The page waits for the writer's turn and answers; the task's write lands."""
    incident_id, _ = seed_incident(web)
    sign_in(web.client)
    engine = web.factory.kw["bind"]
    task: dict[str, Any] = {}

    def a_task_commits() -> None:
        try:
            with web.factory() as db:
                write_transaction(db)
                db.execute(
                    update(Incident)
                    .where(Incident.id == incident_id)
                    .values(alarm_name="worker-memory-high-2")
                )
                db.commit()
            task["done"] = True
        except Exception as exc:  # reported by the assertion below
            task["error"] = exc

    def before_audit_insert(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # The audit log's first write (it takes the writer's lock for its chain, then inserts).
        if (
            statement.startswith(("UPDATE audit_entries", "INSERT INTO audit_entries"))
            and "thread" not in task
        ):
            task["thread"] = threading.Thread(target=a_task_commits)
            task["thread"].start()
            task["thread"].join(timeout=1.0)  # the task commits now unless the page holds the lock

    event.listen(engine, "before_cursor_execute", before_audit_insert)
    try:
        page = web.client.get(f"{WS}/incidents/{incident_id}")
    finally:
        event.remove(engine, "before_cursor_execute", before_audit_insert)
    task["thread"].join(timeout=30)
    assert page.status_code == 200, page.text[:500]
    assert task.get("done") and "error" not in task
    with web.factory() as db:
        assert db.get(Incident, incident_id).alarm_name == "worker-memory-high-2"  # type: ignore[union-attr]
        assert (
            db.scalar(select(AuditEntry.target_id).where(AuditEntry.action == "incident.read")) == incident_id
        )
