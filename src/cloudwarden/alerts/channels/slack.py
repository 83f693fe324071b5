"""Slack through an incoming webhook: Block Kit with a plain `text` fallback for notifications.

    channel = SlackChannel(config, http=httpx.Client())
    channel.send(message, recipient="")       # the webhook decides the channel; recipient is unused

The layout: a header (the subject), a section with the text, fields sections with the facts
(at most 10 fields each, as Slack allows), a context line with the link. Everything shown as
mrkdwn is escaped (&, <, >) so text from an alarm or a log line cannot ping @channel or forge
links. Slack answers 200 "ok", or a short error code as text; the webhook URL is a credential
and never appears in an error.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from cloudwarden.alerts.channels._common import one_line, retry_after_seconds, shorten
from cloudwarden.alerts.channels.base import DeliveryFailed, OutboundMessage, SendResult
from cloudwarden.alerts.channels.configs import SlackConfig

MAX_HEADER = 150
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_BLOCKS = 50
MAX_FALLBACK = 3000

# What Slack's webhook error codes mean for the person who set the channel up.
_HINTS = {
    "invalid_payload": "the message was not valid JSON for Slack",
    "invalid_blocks": "Slack refused the Block Kit layout",
    "no_text": "the message had no text",
    "no_service": "the webhook was removed or its app uninstalled; create a new webhook",
    "no_service_id": "the webhook URL is incomplete; paste it again",
    "no_team": "the Slack workspace is gone or the URL is incomplete",
    "team_disabled": "the Slack workspace is disabled",
    "invalid_token": "the webhook URL is no longer valid; create a new webhook",
    "no_active_hooks": "the webhook is disabled; enable it or create a new one",
    "channel_not_found": "the webhook's channel no longer exists",
    "channel_is_archived": "the webhook's channel is archived; unarchive it or use another webhook",
    "action_prohibited": "a Slack admin restricts posting to this channel",
    "posting_to_general_channel_denied": "only admins may post to this channel",
    "user_not_found": "the webhook's user no longer exists",
}


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters escaped; everything else is left for Slack to format."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str, limit: int) -> str:
    """`text` escaped and cut to `limit` characters without splitting an escape sequence."""
    escaped = escape_mrkdwn(text)
    if len(escaped) <= limit:
        return escaped
    low, high = 0, min(len(text), limit)  # the longest cut of the raw text whose escape fits
    while low < high:
        middle = (low + high + 1) // 2
        if len(escape_mrkdwn(shorten(text, middle))) <= limit:
            low = middle
        else:
            high = middle - 1
    return escape_mrkdwn(shorten(text, low))


def block_kit_payload(message: OutboundMessage) -> dict[str, Any]:
    """The webhook body: `text` (notifications, screen readers) and `blocks` (what people see)."""
    blocks: list[dict[str, Any]] = []
    subject = one_line(message.subject)
    if subject:
        header = {"type": "plain_text", "text": shorten(subject, MAX_HEADER), "emoji": True}
        blocks.append({"type": "header", "text": header})
    if message.text.strip():
        text = {"type": "mrkdwn", "text": mrkdwn(message.text.strip(), MAX_SECTION_TEXT)}
        blocks.append({"type": "section", "text": text})
    fields = [
        {"type": "mrkdwn", "text": _field(label, value)} for label, value in message.facts if label or value
    ]
    room_for_facts = MAX_BLOCKS - len(blocks) - 1
    for start in range(0, min(len(fields), room_for_facts * MAX_FIELDS), MAX_FIELDS):
        blocks.append({"type": "section", "fields": fields[start : start + MAX_FIELDS]})
    if message.url and message.url.startswith(("https://", "http://")):
        link = escape_mrkdwn(message.url).replace("|", "%7C")
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{link}|Open in CloudWarden>"}]}
        )
    fallback = "\n".join(part for part in (subject, message.text.strip()) if part) or "CloudWarden"
    return {"text": mrkdwn(fallback, MAX_FALLBACK), "blocks": blocks}


class SlackChannel:
    KIND: ClassVar[str] = "slack"

    def __init__(self, config: SlackConfig, *, http: httpx.Client, timeout_seconds: float = 10.0) -> None:
        self._config = config
        self._http = http
        self._timeout = timeout_seconds

    def send(self, message: OutboundMessage, *, recipient: str = "") -> SendResult:
        try:
            response = self._http.post(
                self._config.webhook_url.get_secret_value(),
                json=block_kit_payload(message),
                timeout=self._timeout,
            )
        except httpx.TransportError as exc:
            # str(exc) can carry the URL, which is the credential: name the failure only.
            raise DeliveryFailed(reason=f"Slack unreachable: {type(exc).__name__}", retryable=True) from None
        body = shorten(one_line(response.text), 200)
        if response.is_success:
            return SendResult(provider_id=None, detail=body or "ok")
        raise _refusal(response.status_code, body, response.headers.get("Retry-After"))


def _refusal(status: int, body: str, retry_after: str | None) -> DeliveryFailed:
    code = body or f"HTTP {status}"
    details = {"error": code}
    if status == 429 or status >= 500:
        return DeliveryFailed(
            reason=f"Slack asked to retry later (HTTP {status}: {code})",
            retryable=True,
            retry_after=retry_after_seconds(retry_after),
            status=status,
            details=details,
        )
    hint = _HINTS.get(body)
    reason = f"Slack refused the message (HTTP {status}: {code})" + (f": {hint}" if hint else "")
    return DeliveryFailed(reason=reason, retryable=False, status=status, details=details)


def _field(label: str, value: str) -> str:
    label_text = mrkdwn(one_line(label), 200)
    if not label_text:
        return mrkdwn(value.strip(), MAX_FIELD_TEXT)
    return f"*{label_text}*\n" + mrkdwn(value.strip(), MAX_FIELD_TEXT - len(label_text) - 3)
