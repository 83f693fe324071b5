"""Slack incoming webhooks against a local server that checks Block Kit as Slack does."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cloudwarden.alerts.channels.base import DeliveryFailed, OutboundMessage
from cloudwarden.alerts.channels.configs import SlackConfig
from cloudwarden.alerts.channels.slack import SlackChannel
from tests.alerts.channels.conftest import free_port
from tests.alerts.channels.slack_server import WEBHOOK_PATH, SlackWebhookServer

DIAGNOSIS = OutboundMessage(
    kind="diagnosis",
    subject="checkout-5xx: bad deploy of storefront-api",
    text="5xx rose 40x two minutes after *v2.14.0* was deployed.",
    facts=(("Confidence", "high"), ("Service", "storefront-api")),
    url="https://cloudwarden.example.com/incidents/42?tab=evidence&x=1",
)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


def channel_for(url: str, http: httpx.Client) -> SlackChannel:
    return SlackChannel(SlackConfig(webhook_url=url), http=http)


def test_block_kit_message_reaches_slack(slack_server: SlackWebhookServer, http: httpx.Client) -> None:
    result = channel_for(slack_server.url, http).send(DIAGNOSIS, recipient="")

    assert result.detail == "ok" and result.provider_id is None
    [payload] = slack_server.received
    header, section, fields, context = payload["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "checkout-5xx: bad deploy of storefront-api", "emoji": True},
    }
    assert section["text"] == {
        "type": "mrkdwn",
        "text": "5xx rose 40x two minutes after *v2.14.0* was deployed.",
    }
    assert [f["text"] for f in fields["fields"]] == ["*Confidence*\nhigh", "*Service*\nstorefront-api"]
    assert context["elements"][0]["text"] == (
        "<https://cloudwarden.example.com/incidents/42?tab=evidence&amp;x=1|Open in CloudWarden>"
    )
    assert payload["text"].startswith("checkout-5xx: bad deploy of storefront-api\n5xx rose")


def test_text_from_alarms_cannot_ping_or_forge_links(
    slack_server: SlackWebhookServer, http: httpx.Client
) -> None:
    hostile = OutboundMessage(
        kind="diagnosis",
        subject="<!channel> alarm",
        text="<!here> see <https://evil.example|your bank> & reply",
        facts=(("<@U123>", "a < b > c"),),
    )
    channel_for(slack_server.url, http).send(hostile, recipient="")

    [payload] = slack_server.received
    section, fields = payload["blocks"][1], payload["blocks"][2]
    assert section["text"]["text"] == "&lt;!here&gt; see &lt;https://evil.example|your bank&gt; &amp; reply"
    assert fields["fields"][0]["text"] == "*&lt;@U123&gt;*\na &lt; b &gt; c"
    assert "<!" not in payload["text"] and "&lt;!channel&gt;" in payload["text"]


def test_many_facts_and_long_text_stay_within_slack_limits(
    slack_server: SlackWebhookServer, http: httpx.Client
) -> None:
    big = OutboundMessage(
        kind="diagnosis",
        subject="S" * 300,
        text="&" * 2000,  # 10,000 characters once escaped
        facts=tuple((f"Fact {i}", f"value {i}") for i in range(23)),
    )
    channel_for(slack_server.url, http).send(big, recipient="")  # the server refuses anything over a limit

    blocks = slack_server.received[0]["blocks"]
    assert len(blocks[0]["text"]["text"]) == 150
    text = blocks[1]["text"]["text"]
    assert len(text) <= 3000 and text.endswith("&amp;…")  # never a half escape like "&am"
    assert [len(b["fields"]) for b in blocks[2:]] == [10, 10, 3]


def test_rate_limit_is_retryable_after_the_given_delay(
    slack_server: SlackWebhookServer, http: httpx.Client
) -> None:
    slack_server.respond_next(429, "rate_limited", {"Retry-After": "7"})
    with pytest.raises(DeliveryFailed) as failure:
        channel_for(slack_server.url, http).send(DIAGNOSIS, recipient="")
    assert failure.value.retryable and failure.value.retry_after == 7.0 and failure.value.status == 429


def test_server_error_is_retryable(slack_server: SlackWebhookServer, http: httpx.Client) -> None:
    slack_server.respond_next(500, "internal_error")
    with pytest.raises(DeliveryFailed) as failure:
        channel_for(slack_server.url, http).send(DIAGNOSIS, recipient="")
    assert failure.value.retryable and failure.value.retry_after is None


@pytest.mark.parametrize(
    ("status", "code", "hint"),
    [
        (404, "no_service", "create a new webhook"),
        (410, "channel_is_archived", "archived"),
        (403, "action_prohibited", "admin"),
    ],
)
def test_refusals_are_not_retryable_and_say_what_to_do(
    slack_server: SlackWebhookServer, http: httpx.Client, status: int, code: str, hint: str
) -> None:
    slack_server.respond_next(status, code)
    with pytest.raises(DeliveryFailed) as failure:
        channel_for(slack_server.url, http).send(DIAGNOSIS, recipient="")
    error = failure.value
    assert not error.retryable and error.status == status and code in error.reason and hint in error.reason
    assert WEBHOOK_PATH not in error.reason  # the URL is the credential


def test_removed_webhook_is_refused_by_the_server_itself(
    slack_server: SlackWebhookServer, http: httpx.Client
) -> None:
    url = slack_server.url.replace(WEBHOOK_PATH, "/services/T00000000/B00000000/REVOKED")
    with pytest.raises(DeliveryFailed) as failure:
        channel_for(url, http).send(DIAGNOSIS, recipient="")
    assert not failure.value.retryable and "no_service" in failure.value.reason
    assert "REVOKED" not in failure.value.reason


def test_unreachable_slack_is_retryable_without_the_url(http: httpx.Client) -> None:
    url = f"http://127.0.0.1:{free_port()}{WEBHOOK_PATH}"
    with pytest.raises(DeliveryFailed) as failure:
        channel_for(url, http).send(DIAGNOSIS, recipient="")
    assert failure.value.retryable and "127.0.0.1" not in failure.value.reason
    assert WEBHOOK_PATH not in failure.value.reason
