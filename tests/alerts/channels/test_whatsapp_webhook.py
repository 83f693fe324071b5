"""Meta's webhook calls: the handshake, signatures over raw bytes, parsing, and the stand-in's callbacks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from cloudwarden.alerts.channels.base import Button, OutboundMessage
from cloudwarden.alerts.channels.configs import WhatsAppConfig
from cloudwarden.alerts.channels.whatsapp import WhatsAppChannel
from cloudwarden.alerts.channels.whatsapp_webhook import (
    ButtonReply,
    HandshakeRefused,
    MalformedWebhook,
    SignatureInvalid,
    TextMessage,
    parse_webhook,
    sign,
    verify_handshake,
    verify_signature,
)
from cloudwarden.simulator.whatsapp import WhatsAppStandIn
from tests.alerts.channels.conftest import (
    ACCESS_TOKEN,
    APP_SECRET,
    PHONE_NUMBER_ID,
    WebhookReceiver,
    _run_receiver,
)

NUMBER = "447700900123"
WAMID = "wamid.HBgLNDQ3NzAwOTAwMTIzFQIAERgSQzRGMEE5RUFCQzU3RjU0QjY1AA=="


def envelope(value: dict[str, Any]) -> dict[str, Any]:
    metadata = {"display_phone_number": "15550001234", "phone_number_id": PHONE_NUMBER_ID}
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {"messaging_product": "whatsapp", "metadata": metadata, **value},
                    }
                ],
            }
        ],
    }


def status(state: str, ts: int, **extra: object) -> dict[str, Any]:
    return {"id": WAMID, "status": state, "timestamp": str(ts), "recipient_id": NUMBER, **extra}


# -- handshake -----------------------------------------------------------------------------------


def test_handshake_with_the_right_token_returns_the_challenge() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "s3cret-verify", "hub.challenge": "1158201444"}
    assert verify_handshake(params, "s3cret-verify") == "1158201444"


@pytest.mark.parametrize(
    ("params", "complaint"),
    [
        ({"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}, "does not match"),
        ({"hub.mode": "subscribe", "hub.challenge": "1"}, "does not match"),
        ({"hub.mode": "unsubscribe", "hub.verify_token": "s3cret-verify", "hub.challenge": "1"}, "subscribe"),
        (
            {"hub.mode": "subscribe", "hub.verify_token": "s3cret-verify", "hub.challenge": "<script>"},
            "challenge",
        ),
    ],
)
def test_handshake_is_refused_with_a_reason(params: dict[str, str], complaint: str) -> None:
    with pytest.raises(HandshakeRefused, match=complaint):
        verify_handshake(params, "s3cret-verify")


def test_handshake_never_succeeds_when_no_verify_token_is_configured() -> None:
    with pytest.raises(HandshakeRefused):
        verify_handshake({"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}, "")


# -- signatures ----------------------------------------------------------------------------------


def test_signature_over_the_raw_body_is_accepted() -> None:
    raw = json.dumps(envelope({"statuses": [status("sent", 1_800_000_000)]})).encode()
    verify_signature(raw, sign(raw, APP_SECRET), APP_SECRET)
    verify_signature(raw, sign(raw, APP_SECRET).upper().replace("SHA256=", "sha256="), APP_SECRET)


def test_signature_with_another_secret_or_altered_body_is_refused() -> None:
    raw = json.dumps(envelope({"statuses": [status("sent", 1_800_000_000)]})).encode()
    with pytest.raises(SignatureInvalid, match="does not match"):
        verify_signature(raw, sign(raw, "another-app"), APP_SECRET)
    with pytest.raises(SignatureInvalid, match="does not match"):
        verify_signature(raw.replace(b"sent", b"read"), sign(raw, APP_SECRET), APP_SECRET)


@pytest.mark.parametrize(
    ("header", "complaint"),
    [(None, "missing"), ("", "missing"), ("sha1=abc", "malformed"), ("sha256=" + "z" * 64, "malformed")],
)
def test_missing_or_malformed_signature_is_refused(header: str | None, complaint: str) -> None:
    with pytest.raises(SignatureInvalid, match=complaint):
        verify_signature(b"{}", header, APP_SECRET)


def test_non_ascii_body_verifies_over_raw_bytes_not_a_re_encoding() -> None:
    # As sent: non-ASCII escaped, '/' escaped. Parsing and re-encoding yields different bytes.
    raw = b'{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"contacts":[{"profile":{"name":"Zo\\u00eb M\\u00fcller \\ud83d\\ude92"},"wa_id":"447700900123"}],"note":"a\\/b"}}]}]}'
    header = sign(raw, APP_SECRET)
    re_encoded = json.dumps(json.loads(raw), ensure_ascii=False, separators=(",", ":")).encode()
    assert re_encoded != raw

    verify_signature(raw, header, APP_SECRET)
    with pytest.raises(SignatureInvalid):
        verify_signature(re_encoded, header, APP_SECRET)


# -- parsing -------------------------------------------------------------------------------------


def test_statuses_are_parsed_in_arrival_order_even_out_of_order_and_duplicated() -> None:
    failed_error = {"code": 131026, "title": "Message undeliverable", "error_data": {"details": "unknown"}}
    raw = json.dumps(
        envelope(
            {
                "statuses": [
                    status("delivered", 1_800_000_005),
                    status("sent", 1_800_000_001),
                    status("delivered", 1_800_000_005),
                    status("failed", 1_800_000_009, errors=[failed_error]),
                ]
            }
        )
    ).encode()

    batch = parse_webhook(raw)

    assert [(s.status, s.timestamp.second) for s in batch.statuses] == [
        ("delivered", 5),
        ("sent", 1),
        ("delivered", 5),
        ("failed", 9),
    ]
    assert {s.wamid for s in batch.statuses} == {WAMID}
    assert batch.statuses[1].timestamp == datetime.fromtimestamp(1_800_000_001, UTC)
    assert batch.statuses[3].errors[0].code == 131026 and batch.statuses[3].errors[0].details == "unknown"
    assert batch.statuses[0].phone_number_id == PHONE_NUMBER_ID


def test_button_replies_name_the_button_and_the_message_it_belonged_to() -> None:
    interactive = {
        "context": {"from": "15550001234", "id": WAMID},
        "from": NUMBER,
        "id": "wamid.reply1",
        "timestamp": "1800000100",
        "type": "interactive",
        "interactive": {"type": "button_reply", "button_reply": {"id": "approve:42", "title": "Roll back"}},
    }
    template_quick_reply = {
        "context": {"from": "15550001234", "id": "wamid.template1"},
        "from": NUMBER,
        "id": "wamid.reply2",
        "timestamp": "1800000200",
        "type": "button",
        "button": {"payload": "show:42", "text": "Show me"},
    }
    batch = parse_webhook(json.dumps(envelope({"messages": [interactive, template_quick_reply]})).encode())

    assert batch.button_replies == (
        ButtonReply(
            "wamid.reply1",
            NUMBER,
            "approve:42",
            "Roll back",
            WAMID,
            datetime.fromtimestamp(1800000100, UTC),
            PHONE_NUMBER_ID,
        ),
        ButtonReply(
            "wamid.reply2",
            NUMBER,
            "show:42",
            "Show me",
            "wamid.template1",
            datetime.fromtimestamp(1800000200, UTC),
            PHONE_NUMBER_ID,
        ),
    )
    assert batch.inbound_numbers() == {NUMBER: datetime.fromtimestamp(1800000200, UTC)}


def test_inbound_text_opens_the_window_but_its_content_is_not_kept() -> None:
    message = {
        "from": NUMBER,
        "id": "wamid.in1",
        "timestamp": "1800000300",
        "type": "text",
        "text": {"body": "my password is hunter2"},
    }
    batch = parse_webhook(json.dumps(envelope({"messages": [message]})).encode())

    assert batch.messages == (
        TextMessage("wamid.in1", NUMBER, datetime.fromtimestamp(1800000300, UTC), "text", PHONE_NUMBER_ID),
    )
    assert "hunter2" not in repr(batch)
    assert batch.inbound_numbers() == {NUMBER: datetime.fromtimestamp(1800000300, UTC)}


def test_unknown_changes_fields_and_broken_items_are_skipped_not_fatal() -> None:
    document = envelope(
        {
            "statuses": [
                status("deleted", 1),
                {"status": "sent"},
                status("read", 1_800_000_050, new_field={"x": 1}),
            ],
            "messages": [
                {"type": "text", "id": "wamid.noauthor", "timestamp": "1"},
                {"from": NUMBER, "id": "wamid.s", "timestamp": "1", "type": "system"},
            ],
            "unknown_list": [1, 2, 3],
        }
    )
    document["entry"][0]["changes"].append(
        {"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}}
    )
    document["entry"].append({"id": "2"})  # an entry without changes

    batch = parse_webhook(json.dumps(document).encode())

    assert [s.status for s in batch.statuses] == ["read"]
    assert batch.messages == () and batch.button_replies == ()
    assert len(batch.ignored) == 5 and any("account_update" in reason for reason in batch.ignored)


def test_other_objects_are_ignored() -> None:
    batch = parse_webhook(b'{"object": "page", "entry": []}')
    assert batch.statuses == () and "page" in batch.ignored[0]


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b"[1, 2]", b""])
def test_malformed_bodies_raise_a_clear_error(raw: bytes) -> None:
    with pytest.raises(MalformedWebhook, match="JSON"):
        parse_webhook(raw)


# -- the stand-in calls back ---------------------------------------------------------------------


@pytest.fixture
def channel(standin: WhatsAppStandIn) -> Iterator[WhatsAppChannel]:
    config = WhatsAppConfig(
        api_base_url=standin.base_url,
        phone_number_id=PHONE_NUMBER_ID,
        access_token=ACCESS_TOKEN,
        app_secret=APP_SECRET,
        verify_token="v",
        template_name="cloudwarden_update",
    )
    with httpx.Client() as http:
        yield WhatsAppChannel(config, http=http, window_open=standin.window_is_open)


def test_standin_posts_signed_statuses_that_verify_and_parse(
    standin: WhatsAppStandIn, webhook_receiver: WebhookReceiver, channel: WhatsAppChannel
) -> None:
    standin.user_sends_text(NUMBER, "Zoë says hi / ok")
    message = OutboundMessage(
        kind="diagnosis", subject="Roll back?", text="t", buttons=(Button("approve:42", "Roll back"),)
    )
    wamid = channel.send(message, recipient=NUMBER).provider_id
    assert wamid is not None
    standin.user_taps_button(NUMBER, wamid, "approve:42", "Roll back")

    assert standin.wait_for_webhooks()
    assert [r.status_code for r in standin.webhook_results] == [200, 200, 200, 200]
    assert webhook_receiver.rejected == []
    assert [m.from_number for m in webhook_receiver.messages()] == [NUMBER]
    assert [(s.wamid, s.status, s.recipient_id) for s in webhook_receiver.statuses()] == [
        (wamid, "sent", NUMBER),
        (wamid, "delivered", NUMBER),
    ]
    [reply] = webhook_receiver.button_replies()
    assert (reply.button_id, reply.context_message_id, reply.from_number) == ("approve:42", wamid, NUMBER)


def test_webhook_results_record_a_receiver_that_refuses_the_signature(channel: WhatsAppChannel) -> None:
    for receiver in _run_receiver("a-different-app-secret"):
        standin = WhatsAppStandIn(
            app_secret=APP_SECRET,
            access_token=ACCESS_TOKEN,
            phone_number_id=PHONE_NUMBER_ID,
            webhook_url=receiver.url,
        ).start()
        try:
            standin.user_sends_text(NUMBER)
            assert standin.wait_for_webhooks()
        finally:
            standin.stop()
        assert [r.status_code for r in standin.webhook_results] == [401]
        assert receiver.batches == [] and "does not match" in receiver.rejected[0]


def test_late_window_error_arrives_as_a_failed_status(webhook_receiver: WebhookReceiver) -> None:
    """Meta may accept a free-form message and report 131047 afterwards, in a `failed` status."""
    standin = WhatsAppStandIn(
        app_secret=APP_SECRET,
        access_token=ACCESS_TOKEN,
        phone_number_id=PHONE_NUMBER_ID,
        webhook_url=webhook_receiver.url,
        window_errors_by_webhook=True,
    ).start()
    try:
        response = httpx.post(
            f"{standin.base_url}/{PHONE_NUMBER_ID}/messages",
            json={"messaging_product": "whatsapp", "to": NUMBER, "type": "text", "text": {"body": "hi"}},
            headers={"Authorization": f"Bearer {ACCESS_TOKEN}"},
        )
        assert response.status_code == 200
        assert standin.wait_for_webhooks()
    finally:
        standin.stop()
    [failed] = webhook_receiver.statuses()
    assert failed.status == "failed" and failed.errors[0].code == 131047
    assert failed.wamid == response.json()["messages"][0]["id"]
