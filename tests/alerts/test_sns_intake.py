"""SNS deliveries are verified before they are trusted, stored before they are acknowledged."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest

from cloudwarden.alerts.intake import sns
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.sns_receiver import SnsIntakeServer

ALARM = {
    "AlarmName": "checkout-5xx",
    "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-5xx",
    "AWSAccountId": "123456789012",
    "NewStateValue": "ALARM",
    "OldStateValue": "OK",
    "NewStateReason": "Threshold Crossed",
    "StateChangeTime": "2026-11-23T10:00:00.000+0000",
    "Region": "US East (N. Virginia)",
    "Trigger": {"MetricName": "HTTPCode_Target_5XX_Count"},
}


def _post(url: str, body: bytes) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "text/plain"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def delivered(sim: SimulatorClient):  # type: ignore[no-untyped-def]
    """A real SNS delivery from the simulated account, captured as sent."""
    received: list[tuple[sns.SnsMessage, sns.AlarmNotification]] = []
    raw: list[bytes] = []
    arrived = threading.Event()

    def on_alarm(message: sns.SnsMessage, alarm: sns.AlarmNotification) -> None:
        received.append((message, alarm))
        arrived.set()

    server = SnsIntakeServer(on_alarm=on_alarm, fetch_cert=sns.simulator_cert_fetcher(sim.endpoint)).start()
    original = server._server.RequestHandlerClass.do_POST  # type: ignore[attr-defined]

    def capture(handler):  # type: ignore[no-untyped-def]
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        raw.append(body)
        import io

        handler.rfile = io.BytesIO(body)
        original(handler)

    server._server.RequestHandlerClass.do_POST = capture  # type: ignore[attr-defined]
    client = sim.client("sns")
    topic = client.create_topic(Name="alerts")["TopicArn"]
    client.subscribe(TopicArn=topic, Protocol="http", Endpoint=server.url)
    client.publish(TopicArn=topic, Message=json.dumps(ALARM), Subject='ALARM: "checkout-5xx"')
    assert arrived.wait(10), server.errors
    yield server, received, raw
    server.stop()


def test_signed_alarm_is_verified_and_handed_over(delivered) -> None:  # type: ignore[no-untyped-def]
    server, received, _ = delivered
    message, alarm = received[0]
    assert alarm.AlarmName == "checkout-5xx" and alarm.NewStateValue == "ALARM"
    assert message.signature_version in ("1", "2")
    assert server.errors == []


def test_tampered_message_is_rejected_with_403(delivered) -> None:  # type: ignore[no-untyped-def]
    server, received, raw = delivered
    body = json.loads(raw[0])
    body["Message"] = body["Message"].replace("checkout-5xx", "other-alarm")
    assert _post(server.url, json.dumps(body).encode()) == 403
    assert len(received) == 1
    assert any("invalid signature" in e for e in server.errors)


def test_certificate_from_a_foreign_host_is_refused(delivered) -> None:  # type: ignore[no-untyped-def]
    server, received, raw = delivered
    body = json.loads(raw[0])
    body["SigningCertURL"] = "https://evil.example.com/SimpleNotificationService-1.pem"
    assert _post(server.url, json.dumps(body).encode()) == 403
    assert len(received) == 1


def test_storage_failure_makes_sns_retry(sim: SimulatorClient) -> None:
    def failing(message: sns.SnsMessage, alarm: sns.AlarmNotification) -> None:
        raise OSError("database is down")

    server = SnsIntakeServer(on_alarm=failing, fetch_cert=sns.simulator_cert_fetcher(sim.endpoint)).start()
    try:
        client = sim.client("sns")
        topic = client.create_topic(Name="alerts")["TopicArn"]
        client.subscribe(TopicArn=topic, Protocol="http", Endpoint=server.url)
        client.publish(TopicArn=topic, Message=json.dumps(ALARM))
        assert any("could not store alarm" in e for e in server.errors)
    finally:
        server.stop()


def test_malformed_delivery_names_the_missing_fields() -> None:
    with pytest.raises(sns.IntakeError, match="Signature"):
        sns.parse(
            json.dumps(
                {
                    "Type": "Notification",
                    "MessageId": "1",
                    "TopicArn": "t",
                    "Message": "{}",
                    "Timestamp": "x",
                    "SignatureVersion": "1",
                    "SigningCertURL": "https://sns.us-east-1.amazonaws.com/a.pem",
                }
            ).encode()
        )
