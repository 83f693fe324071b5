"""Amazon SNS: publish to a topic the customer owns and fans out (SMS, e-mail, PagerDuty, queues).

    channel = SnsChannel(config, client_factory=lambda region: session.client("sns", region_name=region))
    result = channel.send(message, recipient="")      # provider_id: the SNS MessageId

The region comes from the topic ARN. The Subject (used by e-mail subscriptions) is folded to
what SNS accepts: ASCII, one line, under 100 characters. Each message carries a `kind` attribute
so subscribers can filter (only diagnoses to the pager, say). FIFO topics get a group and a
deduplication id derived from the outbox reference, so a retried publish is not delivered twice.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from typing import Any, ClassVar

from botocore.exceptions import BotoCoreError, ClientError, ConnectionClosedError, ReadTimeoutError
from botocore.exceptions import ConnectionError as BotoConnectionError

from cloudwarden.alerts.channels._common import plain_text
from cloudwarden.alerts.channels.base import DeliveryFailed, OutboundMessage, SendResult
from cloudwarden.alerts.channels.configs import SnsConfig

MAX_SUBJECT = 99  # "less than 100 characters"
MAX_MESSAGE_BYTES = 256 * 1024
FIFO_GROUP = "cloudwarden"

RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "Throttled",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "KMSThrottling",
        "KMSThrottlingException",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "RequestTimeout",
    }
)
_HINTS = {
    "AuthorizationError": "CloudWarden's role may not sns:Publish to this topic (check its policy and the topic's)",
    "AccessDenied": "CloudWarden's role may not sns:Publish to this topic (check its policy and the topic's)",
    "AccessDeniedException": "CloudWarden's role may not sns:Publish to this topic",
    "NotFound": "the topic does not exist in that account and region",
    "NotFoundException": "the topic does not exist in that account and region",
    "InvalidParameter": "SNS refused a parameter of the message",
    "KMSDisabled": "the topic's KMS key is disabled",
    "KMSAccessDenied": "CloudWarden may not use the topic's KMS key",
    "KMSNotFound": "the topic's KMS key does not exist",
}


# Typographic punctuation NFKD does not reduce to ASCII (it would vanish, gluing words together).
_PUNCTUATION = str.maketrans(
    {
        "\u2013": "-",
        "\u2014": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
    }
)


def sns_subject(subject: str) -> str | None:
    """`subject` as SNS accepts it: ASCII printable, one line, under 100 characters; None if nothing is left."""
    plain = subject.translate(_PUNCTUATION)
    ascii_text = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode("ascii")
    printable = "".join(ch if 32 <= ord(ch) < 127 else " " for ch in ascii_text)
    folded = re.sub(r"\s+", " ", printable).strip()
    if len(folded) > MAX_SUBJECT:
        folded = folded[: MAX_SUBJECT - 3].rstrip() + "..."
    return folded or None


def sns_message(message: OutboundMessage) -> str:
    """The full text, cut (at a character boundary) to SNS's 256 KiB if it is ever that long."""
    text = plain_text(message, with_subject=True) or message.subject or message.kind
    data = text.encode("utf-8")
    if len(data) <= MAX_MESSAGE_BYTES:
        return text
    return data[: MAX_MESSAGE_BYTES - 3].decode("utf-8", "ignore") + "..."


class SnsChannel:
    KIND: ClassVar[str] = "sns"

    def __init__(self, config: SnsConfig, *, client_factory: Callable[[str], Any]) -> None:
        self._config = config
        self._client_factory = client_factory
        self._client: Any = None

    def send(self, message: OutboundMessage, *, recipient: str = "") -> SendResult:
        body = sns_message(message)
        request: dict[str, Any] = {
            "TopicArn": self._config.topic_arn,
            "Message": body,
            "MessageAttributes": {"kind": {"DataType": "String", "StringValue": message.kind}},
        }
        subject = sns_subject(message.subject)
        if subject:
            request["Subject"] = subject
        if self._config.is_fifo:
            request["MessageGroupId"] = FIFO_GROUP
            request["MessageDeduplicationId"] = hashlib.sha256(
                (message.reference or body).encode()
            ).hexdigest()
        try:
            if self._client is None:
                self._client = self._client_factory(self._config.region)
            reply = self._client.publish(**request)
        except ClientError as exc:
            raise _client_error(exc, topic=self._config.topic_arn) from None
        except (BotoConnectionError, ReadTimeoutError, ConnectionClosedError) as exc:
            raise DeliveryFailed(
                reason=f"SNS unreachable: {type(exc).__name__}: {exc}", retryable=True
            ) from None
        except BotoCoreError as exc:  # no credentials, bad configuration: waiting will not help
            raise DeliveryFailed(
                reason=f"cannot call SNS: {type(exc).__name__}: {exc}", retryable=False
            ) from None
        return SendResult(provider_id=reply.get("MessageId"), detail=f"published to {self._config.topic_arn}")


def _client_error(exc: ClientError, *, topic: str) -> DeliveryFailed:
    error = exc.response.get("Error", {})
    code = str(error.get("Code") or "Unknown")
    text = str(error.get("Message") or "").strip()
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    status = status if isinstance(status, int) else None
    details = {"code": code, "topic_arn": topic}
    if code in RETRYABLE_CODES or (status is not None and status >= 500):
        reason = f"SNS asked to retry later ({code}): {text}".rstrip(": ")
        return DeliveryFailed(reason, retryable=True, status=status, details=details)
    hint = _HINTS.get(code, "")
    reason = f"SNS refused to publish to {topic} ({code}): {text}".rstrip(": ")
    if hint:
        reason += f"; {hint}"
    return DeliveryFailed(reason, retryable=False, status=status, details=details)
