"""WhatsApp through Meta's Cloud API: free-form inside the 24-hour window, a template outside it.

    channel = WhatsAppChannel(config, http=httpx.Client(), window_open=windows.is_open)
    channel.send(message, recipient="447700900123")

Inside the customer-service window (the recipient wrote to the business in the last 24 hours) a
message with buttons goes out as `interactive` reply buttons, one without as `text`; outside it,
only a pre-approved `template`. When Meta answers 131047 (the window closed since we last
looked) the template is sent instead, once, within the same call. The access token never
appears in a log line or an error.

The webhook side (handshake, signatures, parsing statuses and replies) is `whatsapp_webhook`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar

import httpx

from cloudwarden.alerts.channels._common import one_line, retry_after_seconds, shorten
from cloudwarden.alerts.channels.base import (
    Button,
    DeliveryFailed,
    OutboundMessage,
    SendResult,
    TemplateRef,
)
from cloudwarden.alerts.channels.configs import WhatsAppConfig, normalize_phone_number

logger = logging.getLogger(__name__)

MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_TEXT_BODY = 4096
MAX_INTERACTIVE_BODY = 1024
MAX_TEMPLATE_PARAMETER = 1024

WINDOW_CLOSED = 131047
# Graph error codes that mean "not now": rate limits, throughput, temporary unavailability.
RETRYABLE_CODES = frozenset({1, 2, 4, 80007, 130429, 131016, 131056, 133004})
TOKEN_CODES = frozenset({190})


def check_buttons(buttons: tuple[Button, ...]) -> None:
    """Raise a not-retryable DeliveryFailed naming the first button WhatsApp would refuse."""
    if len(buttons) > MAX_BUTTONS:
        raise _invalid(f"WhatsApp allows at most {MAX_BUTTONS} reply buttons; the message has {len(buttons)}")
    for button in buttons:
        if not button.id or len(button.id) > MAX_BUTTON_ID:
            raise _invalid(f"button id must be 1 to {MAX_BUTTON_ID} characters: {shorten(button.id, 40)!r}")
        if not button.title.strip() or len(button.title) > MAX_BUTTON_TITLE:
            raise _invalid(f"button title must be 1 to {MAX_BUTTON_TITLE} characters: {button.title!r}")
    if len({button.id for button in buttons}) != len(buttons):
        raise _invalid("button ids must be unique within a message")
    if len({button.title for button in buttons}) != len(buttons):
        raise _invalid("button titles must be unique within a message")


def text_payload(message: OutboundMessage, *, to: str) -> dict[str, Any]:
    body = _body(message, limit=MAX_TEXT_BODY)
    return _envelope(to, "text", {"text": {"preview_url": False, "body": body}})


def interactive_payload(message: OutboundMessage, *, to: str) -> dict[str, Any]:
    check_buttons(message.buttons)
    buttons = [{"type": "reply", "reply": {"id": b.id, "title": b.title}} for b in message.buttons]
    interactive = {
        "type": "button",
        "body": {"text": _body(message, limit=MAX_INTERACTIVE_BODY)},
        "action": {"buttons": buttons},
    }
    return _envelope(to, "interactive", {"interactive": interactive})


def template_payload(template: TemplateRef, *, to: str) -> dict[str, Any]:
    body: dict[str, Any] = {"name": template.name, "language": {"code": template.language}}
    if template.body_parameters:
        # Meta refuses parameters with line breaks, tabs or runs of spaces: fold them.
        parameters = [
            {"type": "text", "text": shorten(one_line(value), MAX_TEMPLATE_PARAMETER) or "-"}
            for value in template.body_parameters
        ]
        body["components"] = [{"type": "body", "parameters": parameters}]
    return _envelope(to, "template", {"template": body})


class WhatsAppChannel:
    KIND: ClassVar[str] = "whatsapp"

    def __init__(
        self,
        config: WhatsAppConfig,
        *,
        http: httpx.Client,
        window_open: Callable[[str], bool],
        timeout_seconds: float = 15.0,
    ) -> None:
        self._config = config
        self._http = http
        self._window_open = window_open
        self._timeout = timeout_seconds

    @property
    def messages_url(self) -> str:
        return f"{self._config.api_base_url}/{self._config.phone_number_id}/messages"

    def send(self, message: OutboundMessage, *, recipient: str) -> SendResult:
        try:
            to = normalize_phone_number(recipient)
        except ValueError as exc:
            raise _invalid(str(exc)) from None
        why = "the 24-hour window is closed"
        if self._window_open(to):
            payload = interactive_payload(message, to=to) if message.buttons else text_payload(message, to=to)
            try:
                return SendResult(provider_id=self._post(payload), detail=f"sent as {payload['type']}")
            except DeliveryFailed as exc:
                if exc.details.get("code") != str(WINDOW_CLOSED):
                    raise
                why = "WhatsApp said the window had closed (131047)"
                logger.info("WhatsApp window closed for a recipient (131047); sending the template")
        template = message.template or TemplateRef(
            name=self._config.template_name, language=self._config.template_language
        )
        provider_id = self._post(template_payload(template, to=to))
        return SendResult(
            provider_id=provider_id, detail=f"{why}: sent template {template.name}", used_template=True
        )

    def _post(self, payload: dict[str, Any]) -> str | None:
        token = self._config.access_token.get_secret_value()
        try:
            response = self._http.post(
                self.messages_url,
                json=payload,
                headers={"Authorization": f"Bearer {token}"},
                timeout=self._timeout,
            )
        except httpx.TransportError as exc:
            raise DeliveryFailed(
                reason=_scrub(f"WhatsApp Cloud API unreachable: {type(exc).__name__}: {exc}", token),
                retryable=True,
            ) from None
        if response.is_success:
            return _message_id(response)
        raise _refusal(response, token=token)


def _refusal(response: httpx.Response, *, token: str) -> DeliveryFailed:
    status = response.status_code
    error = _graph_error(response)
    code = error.get("code") if isinstance(error.get("code"), int) else None
    error_data = error.get("error_data")
    explanation = str(error.get("message") or response.reason_phrase)
    if isinstance(error_data, dict) and error_data.get("details"):
        explanation += f" - {error_data['details']}"  # Meta puts the specifics here
    meta_message = shorten(_scrub(one_line(explanation), token), 300)
    details = {"code": str(code)} if code is not None else {}
    for key in ("error_subcode", "type", "fbtrace_id"):
        if error.get(key) is not None:
            details[key] = str(error[key])
    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
    label = f"HTTP {status}" + (f", code {code}" if code is not None else "")
    if status == 429 or status >= 500 or code in RETRYABLE_CODES:
        reason = f"WhatsApp asked to retry later ({label}): {meta_message}"
        return DeliveryFailed(reason, retryable=True, retry_after=retry_after, status=status, details=details)
    if status == 401 or code in TOKEN_CODES:
        reason = (
            f"WhatsApp rejected the access token ({label}): {meta_message}; "
            "store a new token for this channel"
        )
    elif code == WINDOW_CLOSED:
        reason = f"the 24-hour window with this number is closed ({label}): {meta_message}"
    else:
        reason = f"WhatsApp refused the message ({label}): {meta_message}"
    return DeliveryFailed(reason, retryable=False, status=status, details=details)


def _graph_error(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _message_id(response: httpx.Response) -> str | None:
    try:
        messages = response.json().get("messages")
        message_id = messages[0]["id"]
    except (ValueError, AttributeError, LookupError, TypeError):
        logger.warning("WhatsApp accepted a message but its reply named no message id")
        return None
    return message_id if isinstance(message_id, str) else None


def _body(message: OutboundMessage, *, limit: int) -> str:
    """Subject in bold, the text, facts and link; the text is cut first so the link survives."""
    head = f"*{one_line(message.subject)}*" if message.subject.strip() else ""
    tail_parts = [f"{one_line(label)}: {one_line(value)}" for label, value in message.facts]
    if message.url:
        tail_parts.append(message.url)
    tail = "\n".join(tail_parts)
    fixed = [part for part in (head, tail) if part]
    room = limit - sum(len(part) for part in fixed) - 2 * len(fixed)
    text = shorten(message.text.strip(), room) if room > 0 else ""
    body = "\n\n".join(part for part in (head, text, tail) if part)
    return shorten(body, limit) or "-"


def _envelope(to: str, kind: str, content: dict[str, Any]) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": kind,
        **content,
    }


def _scrub(text: str, token: str) -> str:
    return text.replace(token, "[redacted]") if token else text


def _invalid(reason: str) -> DeliveryFailed:
    return DeliveryFailed(reason=reason, retryable=False)
