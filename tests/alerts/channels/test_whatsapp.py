"""WhatsApp sends against the Cloud API stand-in: window rules, template fallback, errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from cloudwarden.alerts.channels.base import Button, DeliveryFailed, OutboundMessage, TemplateRef
from cloudwarden.alerts.channels.configs import WhatsAppConfig
from cloudwarden.alerts.channels.whatsapp import WhatsAppChannel
from cloudwarden.simulator.whatsapp import WhatsAppStandIn
from tests.alerts.channels.conftest import ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID, free_port

NUMBER = "447700900123"
TEMPLATE = TemplateRef(name="cloudwarden_alert", body_parameters=("checkout-5xx", "Bad deploy\nof v2.14.0"))
DIAGNOSIS = OutboundMessage(
    kind="diagnosis",
    subject="checkout-5xx: bad deploy of storefront-api",
    text="5xx rose 40x two minutes after v2.14.0 was deployed.",
    facts=(("Confidence", "high"), ("Service", "storefront-api")),
    url="https://cloudwarden.example.com/incidents/42",
    template=TEMPLATE,
)
PROPOSAL = OutboundMessage(
    kind="diagnosis",
    subject="Roll back storefront-api?",
    text="Rolling back to v2.13.4 restores the last good task definition.",
    buttons=(Button(id="approve:42", title="Roll back"), Button(id="deny:42", title="Not now")),
    template=TEMPLATE,
)


def config_for(standin: WhatsAppStandIn, *, token: str = ACCESS_TOKEN) -> WhatsAppConfig:
    return WhatsAppConfig(
        api_base_url=standin.base_url,
        phone_number_id=PHONE_NUMBER_ID,
        access_token=token,
        app_secret=APP_SECRET,
        verify_token="verify-me",
        template_name="cloudwarden_update",
        recipients=[f"+{NUMBER}"],
    )


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


def channel_for(
    standin: WhatsAppStandIn, http: httpx.Client, *, window: bool, token: str = ACCESS_TOKEN
) -> WhatsAppChannel:
    return WhatsAppChannel(config_for(standin, token=token), http=http, window_open=lambda number: window)


def test_inside_the_window_plain_message_goes_out_as_text(
    standin: WhatsAppStandIn, http: httpx.Client
) -> None:
    standin.user_sends_text(NUMBER)
    result = channel_for(standin, http, window=True).send(DIAGNOSIS, recipient=f"+{NUMBER}")

    [sent] = standin.sent
    assert sent.type == "text" and sent.to == NUMBER
    assert result.provider_id == sent.wamid and not result.used_template
    body = sent.body["text"]["body"]
    assert body.startswith("*checkout-5xx: bad deploy of storefront-api*")
    assert "Confidence: high" in body and body.endswith("https://cloudwarden.example.com/incidents/42")


def test_inside_the_window_buttons_go_out_as_interactive_reply_buttons(
    standin: WhatsAppStandIn, http: httpx.Client
) -> None:
    standin.user_sends_text(NUMBER)
    result = channel_for(standin, http, window=True).send(PROPOSAL, recipient=NUMBER)

    [sent] = standin.sent
    assert sent.type == "interactive" and result.provider_id == sent.wamid
    interactive = sent.body["interactive"]
    assert interactive["type"] == "button"
    assert [b["reply"] for b in interactive["action"]["buttons"]] == [
        {"id": "approve:42", "title": "Roll back"},
        {"id": "deny:42", "title": "Not now"},
    ]


def test_long_text_is_cut_to_the_interactive_limit_but_keeps_the_link(
    standin: WhatsAppStandIn, http: httpx.Client
) -> None:
    standin.user_sends_text(NUMBER)
    long = OutboundMessage(
        kind="diagnosis",
        subject="s",
        text="x" * 5000,
        url="https://cloudwarden.example.com/i/1",
        buttons=PROPOSAL.buttons,
    )
    channel_for(standin, http, window=True).send(long, recipient=NUMBER)

    body = standin.sent[0].body["interactive"]["body"]["text"]
    assert len(body) <= 1024 and body.endswith("https://cloudwarden.example.com/i/1") and "…" in body


def test_outside_the_window_the_template_goes_out_with_its_parameters(
    standin: WhatsAppStandIn, http: httpx.Client
) -> None:
    result = channel_for(standin, http, window=False).send(PROPOSAL, recipient=NUMBER)

    [sent] = standin.sent
    assert sent.type == "template" and result.used_template and result.provider_id == sent.wamid
    template = sent.body["template"]
    assert template["name"] == "cloudwarden_alert" and template["language"] == {"code": "en_US"}
    # A line break in a parameter would be refused by Meta (132018): it is folded.
    assert template["components"] == [
        {
            "type": "body",
            "parameters": [
                {"type": "text", "text": "checkout-5xx"},
                {"type": "text", "text": "Bad deploy of v2.14.0"},
            ],
        }
    ]


def test_message_without_a_template_uses_the_configured_one(
    standin: WhatsAppStandIn, http: httpx.Client
) -> None:
    plain = OutboundMessage(kind="test", subject="Test", text="CloudWarden can reach you.")
    result = channel_for(standin, http, window=False).send(plain, recipient=NUMBER)

    assert result.used_template and standin.sent[0].body["template"]["name"] == "cloudwarden_update"


def test_window_closed_since_last_look_falls_back_to_the_template_once(
    standin: WhatsAppStandIn, http: httpx.Client
) -> None:
    standin.user_sends_text(NUMBER)
    standin.force_window_closed(NUMBER)  # our record says open, Meta's says closed

    result = channel_for(standin, http, window=True).send(PROPOSAL, recipient=NUMBER)

    assert [r.code for r in standin.refused] == [131047]
    assert [s.type for s in standin.sent] == ["template"]
    assert result.used_template and result.provider_id == standin.sent[0].wamid
    assert "131047" in result.detail


def test_window_expires_24_hours_after_the_users_last_message(webhook_receiver, http: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    now = [1_800_000_000.0]
    standin = WhatsAppStandIn(
        app_secret=APP_SECRET,
        access_token=ACCESS_TOKEN,
        phone_number_id=PHONE_NUMBER_ID,
        clock=lambda: now[0],
    ).start()
    try:
        standin.user_sends_text(NUMBER)
        now[0] += 23.9 * 3600
        assert not channel_for(standin, http, window=True).send(DIAGNOSIS, recipient=NUMBER).used_template
        now[0] += 0.2 * 3600
        assert channel_for(standin, http, window=True).send(DIAGNOSIS, recipient=NUMBER).used_template
    finally:
        standin.stop()


def test_rate_limit_is_retryable_and_carries_retry_after(
    standin: WhatsAppStandIn, http: httpx.Client
) -> None:
    standin.fail_next(status=429, code=130429, retry_after=30)
    channel = channel_for(standin, http, window=False)

    with pytest.raises(DeliveryFailed) as failure:
        channel.send(DIAGNOSIS, recipient=NUMBER)
    assert failure.value.retryable and failure.value.retry_after == 30.0 and failure.value.status == 429
    assert "130429" in failure.value.reason

    assert channel.send(DIAGNOSIS, recipient=NUMBER).provider_id == standin.sent[0].wamid  # later, it goes


def test_throughput_limit_with_http_400_is_still_retryable(
    standin: WhatsAppStandIn, http: httpx.Client
) -> None:
    standin.fail_next(status=400, code=131056)
    with pytest.raises(DeliveryFailed) as failure:
        channel_for(standin, http, window=False).send(DIAGNOSIS, recipient=NUMBER)
    assert failure.value.retryable and failure.value.retry_after is None


def test_server_error_is_retryable(standin: WhatsAppStandIn, http: httpx.Client) -> None:
    standin.fail_next(status=500, code=1)
    with pytest.raises(DeliveryFailed) as failure:
        channel_for(standin, http, window=False).send(DIAGNOSIS, recipient=NUMBER)
    assert failure.value.retryable and failure.value.status == 500


def test_bad_token_is_not_retryable_and_never_shown(
    standin: WhatsAppStandIn, http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "EAAG-revoked-token-0000"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DeliveryFailed) as failure:
        channel_for(standin, http, window=False, token=wrong).send(DIAGNOSIS, recipient=NUMBER)

    error = failure.value
    assert not error.retryable and error.status == 401 and error.details["code"] == "190"
    assert "access token" in error.reason and "Invalid OAuth access token" in error.reason
    shown = f"{error} {error!r} {caplog.text}"
    assert wrong not in shown and ACCESS_TOKEN not in shown
    assert standin.sent == []


def test_other_refusal_is_not_retryable_and_names_code_and_meta_message(
    standin: WhatsAppStandIn, http: httpx.Client
) -> None:
    standin.fail_next(status=400, code=131026, message="(#131026) Message undeliverable")
    with pytest.raises(DeliveryFailed) as failure:
        channel_for(standin, http, window=False).send(DIAGNOSIS, recipient=NUMBER)
    assert not failure.value.retryable
    assert "131026" in failure.value.reason and "Message undeliverable" in failure.value.reason


@pytest.mark.parametrize(
    ("buttons", "complaint"),
    [
        (tuple(Button(id=f"b{i}", title=f"Option {i}") for i in range(4)), "at most 3"),
        ((Button(id="approve", title="Approve the rollback now"),), "title"),
        ((Button(id="x" * 257, title="Approve"),), "button id"),
        ((Button(id="same", title="Yes"), Button(id="same", title="No")), "unique"),
    ],
)
def test_button_limits_are_refused_before_anything_is_sent(
    standin: WhatsAppStandIn, http: httpx.Client, buttons: tuple[Button, ...], complaint: str
) -> None:
    message = OutboundMessage(kind="diagnosis", subject="s", text="t", buttons=buttons)
    with pytest.raises(DeliveryFailed) as failure:
        channel_for(standin, http, window=True).send(message, recipient=NUMBER)
    assert not failure.value.retryable and complaint in failure.value.reason
    assert standin.sent == [] and standin.refused == []


def test_invalid_recipient_is_not_retryable(standin: WhatsAppStandIn, http: httpx.Client) -> None:
    with pytest.raises(DeliveryFailed) as failure:
        channel_for(standin, http, window=True).send(DIAGNOSIS, recipient="07700 900123")
    assert not failure.value.retryable and "E.164" in failure.value.reason


def test_unreachable_api_is_retryable_without_the_token(http: httpx.Client) -> None:
    config = WhatsAppConfig(
        api_base_url=f"http://127.0.0.1:{free_port()}/v21.0",
        phone_number_id=PHONE_NUMBER_ID,
        access_token=ACCESS_TOKEN,
        app_secret=APP_SECRET,
        verify_token="v",
        template_name="cloudwarden_update",
    )
    with pytest.raises(DeliveryFailed) as failure:
        WhatsAppChannel(config, http=http, window_open=lambda n: True).send(DIAGNOSIS, recipient=NUMBER)
    assert failure.value.retryable and "unreachable" in failure.value.reason
    assert ACCESS_TOKEN not in failure.value.reason


def test_standin_refuses_what_meta_refuses(standin: WhatsAppStandIn, http: httpx.Client) -> None:
    """The stand-in is only useful if it is as strict as Meta: code 100 with Meta's details."""
    standin.open_window(NUMBER)
    url = f"{standin.base_url}/{PHONE_NUMBER_ID}/messages"
    auth = {"Authorization": f"Bearer {ACCESS_TOKEN}"}
    four_buttons = {
        "messaging_product": "whatsapp",
        "to": NUMBER,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Pick one"},
            "action": {
                "buttons": [{"type": "reply", "reply": {"id": f"{i}", "title": f"{i}"}} for i in range(4)]
            },
        },
    }
    no_product = {"to": NUMBER, "type": "text", "text": {"body": "hi"}}

    for body in (four_buttons, no_product):
        response = http.post(url, json=body, headers=auth)
        assert response.status_code == 400 and response.json()["error"]["code"] == 100
    assert (
        "1 to 3 buttons"
        in http.post(url, json=four_buttons, headers=auth).json()["error"]["error_data"]["details"]
    )
    assert standin.sent == []
