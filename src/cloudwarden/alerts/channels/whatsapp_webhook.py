"""Meta's calls to CloudWarden: the subscription handshake, signed notifications, and what they say.

A webhook route does, in order:

    challenge = verify_handshake(request.query_params, verify_token)        # GET: answer 200 challenge
    verify_signature(raw_body, request.headers.get("X-Hub-Signature-256"), app_secret)   # POST
    batch = parse_webhook(raw_body)    # store it, acknowledge with 200, process afterwards

All three are pure. The signature is checked over the exact bytes received: re-encoding parsed JSON
changes escapes (non-ASCII text, '/') and breaks it. Parsing keeps only what the alert loop needs:
delivery statuses, button taps, and the fact that a number wrote to us (which opens the 24-hour
window) - never the text of what they wrote. Statuses arrive out of order and more than once, so
callers de-duplicate by id and let a status only move forward.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast, get_args

SIGNATURE_HEADER = "X-Hub-Signature-256"
_SIGNATURE = re.compile(r"^sha256=([0-9a-fA-F]{64})$")
_CHALLENGE = re.compile(r"^[A-Za-z0-9_.\-]{1,256}$")

DeliveryState = Literal["sent", "delivered", "read", "failed"]
_STATES = frozenset(get_args(DeliveryState))


class WebhookError(ValueError):
    """A webhook call that must not be trusted or cannot be read; the message says why."""


class HandshakeRefused(WebhookError):
    """The subscription handshake failed: answer 403."""


class SignatureInvalid(WebhookError):
    """The notification's signature is missing, malformed or wrong: answer 401 and process nothing."""


class MalformedWebhook(WebhookError):
    """The body is not a webhook notification: answer 400."""


@dataclass(frozen=True)
class StatusError:
    code: int | None
    title: str
    message: str = ""
    details: str = ""


@dataclass(frozen=True)
class StatusUpdate:
    """What became of a message we sent (`wamid` is the id our send returned)."""

    wamid: str
    status: DeliveryState
    timestamp: datetime
    recipient_id: str
    errors: tuple[StatusError, ...] = ()
    phone_number_id: str = ""


@dataclass(frozen=True)
class ButtonReply:
    """A tap on a reply button (interactive) or a template's quick-reply button."""

    message_id: str  # the id of the reply itself: de-duplicate on it
    from_number: str
    button_id: str  # for a template quick reply: its payload
    title: str
    context_message_id: str | None  # the wamid of the message whose button was tapped
    timestamp: datetime
    phone_number_id: str = ""


@dataclass(frozen=True)
class TextMessage:
    """A number wrote to us (text, image, anything but a button tap); its content is not kept."""

    message_id: str
    from_number: str
    timestamp: datetime
    message_type: str = "text"
    phone_number_id: str = ""


@dataclass(frozen=True)
class WebhookBatch:
    statuses: tuple[StatusUpdate, ...] = ()
    button_replies: tuple[ButtonReply, ...] = ()
    messages: tuple[TextMessage, ...] = ()
    ignored: tuple[str, ...] = ()  # what was skipped and why (never message content)

    def inbound_numbers(self) -> dict[str, datetime]:
        """Each number that wrote to us (button taps included) and when it last did: the window opens."""
        latest: dict[str, datetime] = {}
        arrivals = [(m.from_number, m.timestamp) for m in self.messages] + [
            (r.from_number, r.timestamp) for r in self.button_replies
        ]
        for number, timestamp in arrivals:
            if number not in latest or timestamp > latest[number]:
                latest[number] = timestamp
        return latest


def verify_handshake(params: Mapping[str, str], verify_token: str) -> str:
    """The challenge to answer with (200, text/plain) when Meta's subscription request is genuine."""
    if params.get("hub.mode") != "subscribe":
        raise HandshakeRefused("hub.mode must be 'subscribe'")
    given = params.get("hub.verify_token") or ""
    if not verify_token or not hmac.compare_digest(given.encode(), verify_token.encode()):
        raise HandshakeRefused("hub.verify_token does not match this channel's verify token")
    challenge = params.get("hub.challenge") or ""
    if not _CHALLENGE.match(challenge):
        # Echoed back verbatim: accept only the digits and letters Meta sends, never markup.
        raise HandshakeRefused("hub.challenge is missing or not a plain token")
    return challenge


def verify_signature(raw_body: bytes, header: str | None, app_secret: str) -> None:
    """Raise SignatureInvalid unless `header` is the app secret's HMAC-SHA256 of exactly `raw_body`."""
    if not app_secret:
        raise SignatureInvalid("no app secret configured for this channel: cannot verify webhooks")
    if not header:
        raise SignatureInvalid(f"{SIGNATURE_HEADER} header missing")
    match = _SIGNATURE.match(header.strip())
    if not match:
        raise SignatureInvalid(f"{SIGNATURE_HEADER} header malformed (expected sha256=<64 hex digits>)")
    expected = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, match.group(1).lower()):
        raise SignatureInvalid(
            f"{SIGNATURE_HEADER} does not match the body (wrong app secret or altered body)"
        )


def sign(raw_body: bytes, app_secret: str) -> str:
    """The header value Meta would send with `raw_body`."""
    return "sha256=" + hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()


def parse_webhook(raw_body: bytes) -> WebhookBatch:
    """The statuses, button taps and inbound messages of one notification; unknown parts are skipped."""
    try:
        document = json.loads(raw_body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedWebhook(f"webhook body is not UTF-8 JSON: {exc}") from None
    if not isinstance(document, dict):
        raise MalformedWebhook("webhook body is not a JSON object")
    if document.get("object") != "whatsapp_business_account":
        return WebhookBatch(
            ignored=(f"object {str(document.get('object'))[:60]!r} is not a WhatsApp account",)
        )
    statuses: list[StatusUpdate] = []
    replies: list[ButtonReply] = []
    messages: list[TextMessage] = []
    ignored: list[str] = []
    for entry in _dicts(document.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, dict):
                ignored.append(f"change of field {str(change.get('field'))[:60]!r}")
                continue
            metadata = value.get("metadata")
            phone_number_id = str(metadata.get("phone_number_id", "")) if isinstance(metadata, dict) else ""
            for raw in _dicts(value.get("statuses")):
                status = _status(raw, phone_number_id)
                if isinstance(status, StatusUpdate):
                    statuses.append(status)
                else:
                    ignored.append(status)
            for raw in _dicts(value.get("messages")):
                message = _message(raw, phone_number_id)
                if isinstance(message, ButtonReply):
                    replies.append(message)
                elif isinstance(message, TextMessage):
                    messages.append(message)
                else:
                    ignored.append(message)
    return WebhookBatch(tuple(statuses), tuple(replies), tuple(messages), tuple(ignored))


def _status(raw: dict[str, Any], phone_number_id: str) -> StatusUpdate | str:
    wamid, state, recipient = raw.get("id"), raw.get("status"), raw.get("recipient_id")
    timestamp = _timestamp(raw.get("timestamp"))
    if not isinstance(wamid, str) or not wamid or not isinstance(recipient, str) or timestamp is None:
        return "status without id, recipient_id or timestamp"
    if state not in _STATES:
        return f"status {str(state)[:30]!r} of {wamid}"
    errors = tuple(
        StatusError(
            code=error["code"] if isinstance(error.get("code"), int) else None,
            title=str(error.get("title", "")),
            message=str(error.get("message", "")),
            details=str(error.get("error_data", {}).get("details", ""))
            if isinstance(error.get("error_data"), dict)
            else "",
        )
        for error in _dicts(raw.get("errors"))
    )
    return StatusUpdate(wamid, cast(DeliveryState, state), timestamp, recipient, errors, phone_number_id)


def _message(raw: dict[str, Any], phone_number_id: str) -> ButtonReply | TextMessage | str:
    message_id, sender, kind = raw.get("id"), raw.get("from"), raw.get("type")
    timestamp = _timestamp(raw.get("timestamp"))
    if not isinstance(message_id, str) or not message_id or not isinstance(sender, str) or timestamp is None:
        return "message without id, from or timestamp"
    if kind in ("system", "unsupported") or not isinstance(kind, str):
        return f"message {message_id} of type {str(kind)[:30]!r}"
    context = raw.get("context")
    context_id = context.get("id") if isinstance(context, dict) else None
    context_id = context_id if isinstance(context_id, str) else None
    tapped = _tapped_button(raw, kind)
    if tapped is not None:
        button_id, title = tapped
        return ButtonReply(message_id, sender, button_id, title, context_id, timestamp, phone_number_id)
    return TextMessage(message_id, sender, timestamp, kind, phone_number_id)


def _tapped_button(raw: dict[str, Any], kind: str) -> tuple[str, str] | None:
    if kind == "interactive":
        interactive = raw.get("interactive")
        if isinstance(interactive, dict) and interactive.get("type") == "button_reply":
            reply = interactive.get("button_reply")
            if isinstance(reply, dict) and isinstance(reply.get("id"), str):
                return reply["id"], str(reply.get("title", ""))
    if kind == "button":  # a template's quick-reply button
        button = raw.get("button")
        if isinstance(button, dict) and isinstance(button.get("payload"), str):
            return button["payload"], str(button.get("text", ""))
    return None


def _timestamp(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(value)), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _dicts(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
