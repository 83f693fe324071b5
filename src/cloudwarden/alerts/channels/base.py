"""What every delivery channel implements: send one message to one recipient, or say why not.

    channel = whatsapp.WhatsAppChannel(config, http=client)
    result = channel.send(message, recipient="447700900123")     # SendResult(provider_id="wamid...")

A channel never retries on its own: the outbox (alerts/outbox.py) owns retries, backoff and the
dead-letter state, and needs to know whether a failure is worth retrying (`DeliveryFailed.retryable`)
and, when the provider said so, how long to wait (`retry_after`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal, Protocol

MessageKind = Literal["diagnosis", "test", "recovery", "action_result", "refusal"]


@dataclass(frozen=True)
class Button:
    """A quick reply the recipient can tap (WhatsApp interactive reply buttons; others show text)."""

    id: str  # at most 256 characters, echoed back in the reply
    title: str  # at most 20 characters


@dataclass(frozen=True)
class TemplateRef:
    """A pre-approved WhatsApp template, used outside the 24-hour customer-service window."""

    name: str
    language: str = "en_US"
    body_parameters: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutboundMessage:
    kind: MessageKind
    subject: str  # one line: the email subject, the Slack header, the first line elsewhere
    text: str  # the plain-text body, complete on its own
    facts: tuple[tuple[str, str], ...] = ()  # label -> value pairs (Block Kit fields, email lines)
    url: str | None = None  # where to read more (the incident in the API or console)
    buttons: tuple[Button, ...] = ()  # offered where the channel can show them
    template: TemplateRef | None = None  # WhatsApp: what to send when the window is closed
    reference: str = ""  # the outbox message id, for idempotency keys and logs


@dataclass(frozen=True)
class SendResult:
    provider_id: str | None  # the provider's message id (wamid, SNS MessageId, SMTP Message-ID)
    detail: str = ""
    used_template: bool = False  # WhatsApp: the window was closed, the template went out


@dataclass
class DeliveryFailed(Exception):
    """The provider refused or could not be reached. `retryable`: try again later."""

    reason: str
    retryable: bool
    retry_after: float | None = None  # seconds, when the provider said
    status: int | None = None  # HTTP status or SMTP code
    details: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.reason


class Channel(Protocol):
    KIND: ClassVar[str]  # "whatsapp", "slack", "email", "sns"

    def send(self, message: OutboundMessage, *, recipient: str) -> SendResult: ...
