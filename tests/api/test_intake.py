"""Alarms arriving at the service: verified, stored once, one incident per transition, forgeries refused.

SNS deliveries are signed with a key of the test's own (simulator/sns_signer.py) whose certificate
the service fetches from an SNS host URL; the dispatcher records what would be queued, so no
investigation reaches AWS here (tests/worker runs the whole loop).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from cloudwarden.actions.catalog import RESTART_ECS_SERVICE
from cloudwarden.alerts.intake import eventbridge
from cloudwarden.simulator.sns_signer import SnsSigner, alarm_notification
from cloudwarden.store import models
from cloudwarden.store.alerting import ActionProposal, Alert, ProposalStatus
from cloudwarden.store.tenancy import DEFAULT_WORKSPACE_ID, AuditEntry
from tests.api.conftest import Service
from tests.conftest import add_connected_account

AWS_ACCOUNT = "123456789012"
TOPIC = f"arn:aws:sns:us-east-1:{AWS_ACCOUNT}:CloudWardenAlerts"
INTAKE = f"/api/v1/intake/workspaces/{DEFAULT_WORKSPACE_ID}"


@dataclass
class Recorder:
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def send(self, task: str, *, countdown: float = 0, **kwargs: str) -> None:
        self.sent.append((task, kwargs))

    def send_many(self, tasks: Sequence[tuple[str, dict[str, str]]]) -> None:
        self.sent.extend(tasks)

    def open(self) -> None:
        return None

    def close(self) -> None:
        return None


@dataclass
class Intake:
    service: Service
    signer: SnsSigner
    queued: Recorder
    confirmed: list[str]

    def post_sns(self, body: bytes) -> Any:
        return self.service.client.post(f"{INTAKE}/sns", content=body, headers={"Content-Type": "text/plain"})

    def counts(self) -> tuple[int, int]:
        with self.service.factory.begin() as db:
            return (
                db.scalar(select(func.count()).select_from(Alert)) or 0,
                db.scalar(select(func.count()).select_from(models.Incident)) or 0,
            )


@pytest.fixture
def intake(any_service: Service) -> Iterator[Intake]:
    signer = SnsSigner()
    with any_service.factory.begin() as db:
        add_connected_account(db, AWS_ACCOUNT)
    context = any_service.client.app.state.work.context  # type: ignore[attr-defined]
    recorder, confirmed = Recorder(), []
    context.cert_fetcher = signer.cert_fetcher()
    context.dispatcher = recorder
    context.confirm_subscription = confirmed.append
    yield Intake(any_service, signer, recorder, confirmed)


def _sample_event(**overrides: Any) -> dict[str, Any]:
    """An event exactly as EventBridge delivers one."""
    event: dict[str, Any] = {
        "version": "0",
        "id": "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
        "detail-type": eventbridge.DETAIL_TYPE,
        "source": "aws.cloudwatch",
        "account": "123456789012",
        "time": "2026-12-04T10:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-5xx"],
        "detail": {
            "alarmName": "api-5xx",
            "state": {
                "value": "ALARM",
                "reason": "Threshold Crossed",
                "timestamp": "2026-12-04T10:00:00.123+0000",
            },
            "previousState": {"value": "OK", "reason": "", "timestamp": "2026-12-03T10:00:00.000+0000"},
            "configuration": {"metrics": []},
        },
    }
    event.update(overrides)
    return event


def _alarm(state: str = "ALARM", at: datetime | None = None, alarm: str = "api-5xx") -> dict[str, Any]:
    moment = at or datetime(2026, 12, 4, 10, 0, 0, 123000, tzinfo=UTC)
    return alarm_notification(
        account=AWS_ACCOUNT, alarm=alarm, state=state, old="OK" if state == "ALARM" else "ALARM", at=moment
    )


def test_a_signed_alarm_is_stored_opens_one_incident_and_queues_its_investigation(intake: Intake) -> None:
    answer = intake.post_sns(intake.signer.notification(TOPIC, _alarm(), subject='ALARM: "api-5xx"'))
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "stored" and answer.json()["incident_id"]
    assert intake.counts() == (1, 1)
    assert intake.queued.sent == [
        (
            "investigate_incident",
            {"workspace_id": DEFAULT_WORKSPACE_ID, "incident_id": answer.json()["incident_id"]},
        )
    ]


def test_signature_version_2_is_accepted(intake: Intake) -> None:
    answer = intake.post_sns(intake.signer.notification(TOPIC, _alarm(), subject="ALARM", version="2"))
    assert answer.status_code == 200, answer.text


def test_a_replayed_message_id_is_stored_once_and_investigated_once(intake: Intake) -> None:
    body = intake.signer.notification(TOPIC, _alarm(), subject="ALARM")
    first, again = intake.post_sns(body), intake.post_sns(body)
    assert first.status_code == again.status_code == 200  # SNS must stop retrying
    assert again.json()["status"] == "duplicate"
    assert intake.counts() == (1, 1)
    assert len(intake.queued.sent) == 1


def test_the_same_transition_by_sns_and_eventbridge_is_one_incident(intake: Intake) -> None:
    at = datetime(2026, 12, 4, 10, 0, 0, 123000, tzinfo=UTC)
    intake.post_sns(intake.signer.notification(TOPIC, _alarm(at=at), subject="ALARM"))
    secret = intake.service.client.post(
        f"/api/v1/workspaces/{DEFAULT_WORKSPACE_ID}/intake/secret", headers=intake.service.auth_headers
    ).json()["secret"]
    event = _sample_event(account=AWS_ACCOUNT)
    event["detail"]["state"]["timestamp"] = "2026-12-04T10:00:00.123+0000"
    answer = intake.service.client.post(
        f"{INTAKE}/eventbridge", json=event, headers={eventbridge.SECRET_HEADER: secret}
    )
    assert answer.status_code == 200, answer.text
    assert intake.counts() == (2, 1)  # two alerts, one incident
    assert [task for task, _ in intake.queued.sent] == ["investigate_incident"]


def test_eventbridge_without_the_right_secret_is_refused_and_nothing_is_stored(intake: Intake) -> None:
    intake.service.client.post(
        f"/api/v1/workspaces/{DEFAULT_WORKSPACE_ID}/intake/secret", headers=intake.service.auth_headers
    )
    event = _sample_event(account=AWS_ACCOUNT)
    for headers in ({}, {eventbridge.SECRET_HEADER: "cw_intake_wrong"}):
        answer = intake.service.client.post(f"{INTAKE}/eventbridge", json=event, headers=headers)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "invalid_signature"
    assert intake.counts() == (0, 0)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(
            lambda m: {**m, "Message": m["Message"].replace("api-5xx", "db-cpu")}, id="forged-message"
        ),
        pytest.param(
            lambda m: {**m, "SigningCertURL": "https://evil.example.com/cert.pem"}, id="foreign-cert-url"
        ),
        pytest.param(
            lambda m: {**m, "SigningCertURL": "http://sns.us-east-1.amazonaws.com/x.pem"}, id="cert-over-http"
        ),
        pytest.param(lambda m: {**m, "Signature": "bm90IGEgc2lnbmF0dXJl"}, id="bad-signature"),
    ],
)
def test_forgeries_are_refused_and_nothing_is_stored(intake: Intake, tamper: Any) -> None:
    message = json.loads(intake.signer.notification(TOPIC, _alarm(), subject="ALARM"))
    answer = intake.post_sns(json.dumps(tamper(message)).encode())
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"]["code"] == "invalid_signature"
    assert intake.counts() == (0, 0) and intake.queued.sent == []


def test_a_topic_of_an_account_not_connected_is_refused(intake: Intake) -> None:
    foreign_topic = "arn:aws:sns:us-east-1:999999999999:alerts"
    answer = intake.post_sns(intake.signer.notification(foreign_topic, _alarm(), subject="ALARM"))
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "intake_refused"
    assert "999999999999" in answer.json()["error"]["message"]
    assert intake.counts() == (0, 0)


def test_an_old_signed_message_is_refused(intake: Intake) -> None:
    old = datetime.now(UTC) - timedelta(days=8)
    answer = intake.post_sns(intake.signer.notification(TOPIC, _alarm(), subject="ALARM", timestamp=old))
    assert answer.status_code == 400 and "too old" in answer.json()["error"]["message"]
    assert intake.counts() == (0, 0)


def test_a_body_that_is_not_an_sns_delivery_is_a_clear_400(intake: Intake) -> None:
    answer = intake.post_sns(b'{"hello": "world"}')
    assert answer.status_code == 400
    assert "MessageId" in answer.json()["error"]["message"]


def test_back_to_ok_resolves_the_incident(intake: Intake) -> None:
    opened = intake.post_sns(intake.signer.notification(TOPIC, _alarm(), subject="ALARM")).json()
    later = datetime(2026, 12, 4, 10, 20, tzinfo=UTC)
    intake.post_sns(intake.signer.notification(TOPIC, _alarm("OK", at=later), subject="OK"))
    with intake.service.factory.begin() as db:
        incident = db.get(models.Incident, opened["incident_id"])
        assert incident is not None and incident.resolved_at == later
    # A recovery is not a new incident; with no action run for it there is no recovery to report.
    assert [task for task, _ in intake.queued.sent] == ["investigate_incident"]


def test_back_to_ok_after_an_action_reports_its_recovery(intake: Intake) -> None:
    opened = intake.post_sns(intake.signer.notification(TOPIC, _alarm(), subject="ALARM")).json()
    with intake.service.factory.begin() as db:
        incident = db.get(models.Incident, opened["incident_id"])
        assert incident is not None
        db.add(
            ActionProposal(
                workspace_id=incident.workspace_id,
                incident_id=incident.id,
                account_id=incident.account_id,
                action=RESTART_ECS_SERVICE.name,
                resource="arn:aws:ecs:us-east-1:123456789012:service/prod/api",
                params={},
                status=ProposalStatus.SUCCEEDED.value,
            )
        )
    later = datetime(2026, 12, 4, 10, 20, tzinfo=UTC)
    intake.post_sns(intake.signer.notification(TOPIC, _alarm("OK", at=later), subject="OK"))
    # The action succeeded and its recovery is not reported yet: the task reports it now.
    assert intake.queued.sent[1:] == [
        ("incident_resolved", {"workspace_id": DEFAULT_WORKSPACE_ID, "incident_id": opened["incident_id"]})
    ]


def test_a_subscription_is_confirmed_only_on_an_sns_host(intake: Intake) -> None:
    good = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=x&Token=y"
    answer = intake.post_sns(intake.signer.subscription_confirmation(TOPIC, good))
    assert answer.status_code == 200 and answer.json()["status"] == "confirmed"
    context = intake.service.client.app.state.work.context  # type: ignore[attr-defined]
    from cloudwarden.alerts.intake import sns

    context.confirm_subscription = (
        sns.https_confirmer()
    )  # the real one refuses other hosts before any request
    evil = intake.post_sns(intake.signer.subscription_confirmation(TOPIC, "https://evil.example.com/confirm"))
    assert evil.status_code == 403
    assert intake.confirmed == [good]
    with intake.service.factory.begin() as db:
        actions = db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("intake.%"))).all()
    assert actions == ["intake.sns.subscribe"]


def test_the_openapi_document_names_every_intake_endpoint_after_what_it_receives(service: Service) -> None:
    paths = service.client.get("/api/v1/openapi.json").json()["paths"]
    operations = {
        operation["operationId"]
        for path, methods in paths.items()
        if "/intake/workspaces/" in path
        for operation in methods.values()
    }
    assert operations == {
        "receive_sns_notification",
        "receive_eventbridge_alarm_event",
        "verify_whatsapp_webhook",
        "receive_whatsapp_webhook",
    }


def _whatsapp_channel(intake: Intake) -> str:
    from pydantic import SecretStr

    from cloudwarden.alerts import channel_store
    from cloudwarden.alerts.channels.configs import WhatsAppConfig

    with intake.service.factory.begin() as db:
        record = channel_store.create(
            db=db,
            keys=intake.service.identity.keys,
            workspace_id=DEFAULT_WORKSPACE_ID,
            name="phones",
            config=WhatsAppConfig(
                phone_number_id="1065",
                access_token=SecretStr("token"),
                app_secret=SecretStr("app-secret"),
                verify_token=SecretStr("verify-me"),
                template_name="cloudwarden_incident",
                recipients=["447700900123"],
            ),
        )
        return record.id


def _reply(number: str, button_id: str) -> bytes:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001234", "phone_number_id": "1065"},
        "messages": [
            {
                "from": number,
                "id": "wamid.reply1",
                "timestamp": "1764842400",
                "type": "interactive",
                "context": {"from": "15550001234", "id": "wamid.diagnosis"},
                "interactive": {
                    "type": "button_reply",
                    "button_reply": {"id": button_id, "title": "Approve fix"},
                },
            }
        ],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(body).encode()


def test_the_whatsapp_webhook_answers_meta_s_handshake_only_with_the_verify_token(intake: Intake) -> None:
    channel = _whatsapp_channel(intake)
    url = f"{INTAKE}/whatsapp/{channel}"
    good = intake.service.client.get(
        url, params={"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"}
    )
    assert good.status_code == 200 and good.text == "1158201444"
    bad = intake.service.client.get(
        url, params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
    )
    assert bad.status_code == 403


def test_a_whatsapp_post_with_a_bad_signature_is_refused_and_changes_nothing(intake: Intake) -> None:
    from cloudwarden.alerts.channels.whatsapp_webhook import sign
    from cloudwarden.store.alerting import WhatsAppWindow

    channel = _whatsapp_channel(intake)
    body = _reply("447700900123", "approve:00000000-0000-0000-0000-000000000000")
    for signature in (None, "sha256=" + "0" * 64, sign(body, "another-secret")):
        headers = {
            "Content-Type": "application/json",
            **({"X-Hub-Signature-256": signature} if signature else {}),
        }
        answer = intake.service.client.post(f"{INTAKE}/whatsapp/{channel}", content=body, headers=headers)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "invalid_signature"
    with intake.service.factory.begin() as db:
        assert db.scalars(select(WhatsAppWindow)).first() is None


def test_an_approval_from_a_number_that_is_not_a_responder_s_is_refused_and_audited(intake: Intake) -> None:
    from cloudwarden.alerts.channels.whatsapp_webhook import sign

    channel = _whatsapp_channel(intake)
    body = _reply("447700900999", "approve:00000000-0000-0000-0000-000000000000")
    answer = intake.service.client.post(
        f"{INTAKE}/whatsapp/{channel}",
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, "app-secret")},
    )
    assert answer.status_code == 200
    with intake.service.factory.begin() as db:
        refusal = db.scalars(select(AuditEntry).where(AuditEntry.action == "action.refuse")).one()
        assert refusal.outcome == "denied" and refusal.details["reason"] == "not_a_responder"
    assert [task for task, _ in intake.queued.sent] == ["deliver_message"]  # the sender is told why


def _statuses(*items: tuple[str, str, int | None]) -> bytes:
    statuses = []
    for wamid, status, code in items:
        entry: dict[str, Any] = {
            "id": wamid,
            "status": status,
            "timestamp": "1764842400",
            "recipient_id": "447700900123",
        }
        if code is not None:
            entry["errors"] = [{"code": code, "title": "Re-engagement message"}]
        statuses.append(entry)
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "1", "phone_number_id": "1065"},
        "statuses": statuses,
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(body).encode()


def test_statuses_move_a_message_forward_and_a_closed_window_resends_the_template(intake: Intake) -> None:
    from cloudwarden.alerts.channels.whatsapp_webhook import sign
    from cloudwarden.store.alerting import OutboxMessage

    channel = _whatsapp_channel(intake)
    with intake.service.factory.begin() as db:
        for wamid in ("wamid.A", "wamid.B"):
            db.add(
                OutboxMessage(
                    workspace_id=DEFAULT_WORKSPACE_ID, channel_id=channel, dedup_key=wamid, kind="diagnosis",
                    recipient="447700900123", status="sent", provider_id=wamid,
                    payload={"kind": "diagnosis", "subject": "s", "text": "t"},
                )
            )  # fmt: skip

    def post(body: bytes) -> None:
        answer = intake.service.client.post(
            f"{INTAKE}/whatsapp/{channel}",
            content=body,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, "app-secret")},
        )
        assert answer.status_code == 200, answer.text

    post(_statuses(("wamid.A", "read", None), ("wamid.A", "delivered", None)))  # out of order
    post(_statuses(("wamid.B", "failed", 131047)))
    with intake.service.factory.begin() as db:
        rows = {r.dedup_key: r for r in db.scalars(select(OutboxMessage))}
        assert rows["wamid.A"].status == "read"  # a late "delivered" does not move it back
        assert rows["wamid.B"].status == "failed"
        resend = [r for key, r in rows.items() if ":template:" in key]
        assert len(resend) == 1 and resend[0].status == "pending"
    assert [task for task, _ in intake.queued.sent] == ["deliver_message"]


def test_a_responder_whose_actions_role_is_narrowed_to_viewer_cannot_approve_from_whatsapp(
    intake: Intake,
) -> None:
    from cloudwarden.alerts.channels.whatsapp_webhook import sign
    from cloudwarden.store.tenancy import Membership, User

    channel = _whatsapp_channel(intake)
    with intake.service.factory.begin() as db:
        user = User(email="narrowed@example.com", display_name="N", password_hash="!", phone="447700900555")
        db.add(user)
        db.flush()
        db.add(
            Membership(
                workspace_id=DEFAULT_WORKSPACE_ID,
                user_id=user.id,
                role="responder",
                module_roles={"actions": "viewer"},
            )
        )
    body = _reply("447700900555", "approve:00000000-0000-0000-0000-000000000000")
    answer = intake.service.client.post(
        f"{INTAKE}/whatsapp/{channel}",
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, "app-secret")},
    )
    assert answer.status_code == 200
    with intake.service.factory.begin() as db:
        refusal = db.scalars(select(AuditEntry).where(AuditEntry.action == "action.refuse")).one()
        assert refusal.details["reason"] == "not_a_responder" and refusal.actor == "whatsapp:+447700900555"
