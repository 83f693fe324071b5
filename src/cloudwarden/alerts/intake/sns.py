"""Amazon SNS HTTP(S) deliveries: parse, verify the signature, extract the CloudWatch alarm.

Every message is verified before anything in it is trusted: the signing certificate must come
over HTTPS from an SNS host (sns.<region>.amazonaws.com), and the signature must match the
canonical string SNS signs (SignatureVersion 1: SHA1, 2: SHA256).
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlparse

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cloudwarden.alerts.service import Transition

SNS_CERT_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
CertFetcher = Callable[[str], bytes]


class IntakeError(ValueError):
    """A delivery that is malformed or fails verification; the message says which."""


class SnsMessage(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    type: Literal["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"] = Field(alias="Type")
    message_id: str = Field(alias="MessageId")
    topic_arn: str = Field(alias="TopicArn")
    message: str = Field(alias="Message")
    timestamp: str = Field(alias="Timestamp")
    signature_version: Literal["1", "2"] = Field(alias="SignatureVersion")
    signature: str = Field(alias="Signature")
    signing_cert_url: str = Field(alias="SigningCertURL")
    subject: str | None = Field(default=None, alias="Subject")
    token: str | None = Field(default=None, alias="Token")
    subscribe_url: str | None = Field(default=None, alias="SubscribeURL")


class AlarmNotification(BaseModel):
    """The JSON CloudWatch publishes when an alarm changes state."""

    model_config = ConfigDict(extra="ignore")

    AlarmName: str
    AlarmArn: str | None = None
    AWSAccountId: str
    NewStateValue: str
    OldStateValue: str | None = None
    NewStateReason: str = ""
    StateChangeTime: datetime
    Region: str = ""
    Trigger: dict[str, Any] = Field(default_factory=dict)


def parse(body: bytes) -> SnsMessage:
    try:
        return SnsMessage.model_validate_json(body)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        raise IntakeError(f"not an SNS delivery: missing or invalid field(s): {fields}") from None


def string_to_sign(message: SnsMessage) -> bytes:
    if message.type == "Notification":
        pairs = [("Message", message.message), ("MessageId", message.message_id)]
        if message.subject is not None:
            pairs.append(("Subject", message.subject))
        pairs += [("Timestamp", message.timestamp), ("TopicArn", message.topic_arn), ("Type", message.type)]
    else:
        pairs = [
            ("Message", message.message),
            ("MessageId", message.message_id),
            ("SubscribeURL", message.subscribe_url or ""),
            ("Timestamp", message.timestamp),
            ("Token", message.token or ""),
            ("TopicArn", message.topic_arn),
            ("Type", message.type),
        ]
    return "".join(f"{k}\n{v}\n" for k, v in pairs).encode()


def check_cert_url(url: str) -> None:
    parsed = urlparse(url)
    if (
        parsed.scheme != "https"
        or not SNS_CERT_HOST.match(parsed.hostname or "")
        or not parsed.path.endswith(".pem")
    ):
        raise IntakeError(f"SigningCertURL {url!r} is not an https .pem URL on an SNS host")


def verify(message: SnsMessage, fetch_cert: CertFetcher) -> None:
    check_cert_url(message.signing_cert_url)
    try:
        pem = fetch_cert(message.signing_cert_url)
    except OSError as exc:
        raise IntakeError(
            f"cannot fetch the SNS signing certificate {message.signing_cert_url}: {exc}"
        ) from None
    try:
        certificate = _certificate(pem)
        signature = base64.b64decode(message.signature, validate=True)
    except (ValueError, TypeError) as exc:
        raise IntakeError(f"cannot verify SNS message {message.message_id}: {exc}") from None
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise IntakeError("SNS signing certificate does not hold an RSA key")
    algorithm: hashes.HashAlgorithm = hashes.SHA1() if message.signature_version == "1" else hashes.SHA256()  # noqa: S303 - SNS v1
    try:
        key.verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        raise IntakeError(f"SNS message {message.message_id} has an invalid signature") from None


@functools.lru_cache(maxsize=64)
def _certificate(pem: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem)


def alarm_of(message: SnsMessage) -> AlarmNotification:
    try:
        return AlarmNotification.model_validate(json.loads(message.message))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise IntakeError(
            f"SNS message {message.message_id} is not a CloudWatch alarm notification: {exc}"
        ) from None


class CertCache:
    """Signing certificates by URL, downloaded once (they rotate rarely); a CertFetcher."""

    def __init__(self, download: Callable[[str], bytes]) -> None:
        self._download = download
        self._cache: dict[str, bytes] = {}

    def __call__(self, url: str) -> bytes:
        check_cert_url(url)
        if url not in self._cache:
            self._cache[url] = self._download(url)
        return self._cache[url]

    def has(self, url: str) -> bool:
        """Whether `url` is answered without a download (so without blocking)."""
        return url in self._cache


def https_cert_fetcher(timeout: float = 5.0) -> CertCache:
    """Fetch certificates from AWS over HTTPS."""
    import urllib.request

    def download(url: str) -> bytes:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - checked https SNS host
            return bytes(response.read())

    return CertCache(download)


def simulator_cert_fetcher(endpoint: str) -> CertCache:
    """In the simulated account the SNS host is served by the simulator on loopback."""
    import urllib.request

    def download(url: str) -> bytes:
        parsed = urlparse(url)
        request = urllib.request.Request(  # noqa: S310 - the configured simulator endpoint
            endpoint.rstrip("/") + parsed.path, headers={"Host": parsed.hostname or ""}
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback simulator
            return bytes(response.read())

    return CertCache(download)


def topic_account(message: SnsMessage) -> str:
    """The AWS account that owns the topic the message came through."""
    parts = message.topic_arn.split(":")
    if len(parts) != 6 or parts[2] != "sns" or not re.fullmatch(r"\d{12}", parts[4]):
        raise IntakeError(f"TopicArn {message.topic_arn!r} is not an SNS topic ARN")
    return parts[4]


def check_fresh(message: SnsMessage, *, now: datetime, max_age: timedelta) -> None:
    """Refuse a signed message older than `max_age`: a replay after its MessageId was forgotten."""
    try:
        sent = datetime.fromisoformat(message.timestamp.replace("Z", "+00:00"))
    except ValueError:
        raise IntakeError(f"SNS message {message.message_id} has an unreadable Timestamp") from None
    if sent.tzinfo is None or now - sent > max_age:
        raise IntakeError(
            f"SNS message {message.message_id} was sent at {message.timestamp}: too old to accept"
        )


def transition_of(message: SnsMessage, alarm: AlarmNotification) -> Transition:
    """The alarm's state change; the region comes from the alarm's ARN (the notification's `Region`
    is a display name such as "US East (N. Virginia)"), else from the topic's."""
    arn = alarm.AlarmArn or ""
    arn_parts = arn.split(":")
    region = arn_parts[3] if len(arn_parts) > 3 and arn_parts[3] else message.topic_arn.split(":")[3]
    changed = alarm.StateChangeTime
    if changed.tzinfo is None:
        changed = changed.replace(tzinfo=UTC)
    return Transition(
        aws_account_id=alarm.AWSAccountId,
        region=region,
        alarm_name=alarm.AlarmName,
        alarm_arn=arn or f"arn:aws:cloudwatch:{region}:{alarm.AWSAccountId}:alarm:{alarm.AlarmName}",
        new_state=alarm.NewStateValue,
        old_state=alarm.OldStateValue,
        reason=alarm.NewStateReason,
        changed_at=changed,
    )


def https_confirmer(timeout: float = 5.0) -> Callable[[str], None]:
    """Confirm a subscription by visiting its SubscribeURL, only on an SNS host over HTTPS."""
    import urllib.request

    def confirm(url: str) -> None:
        check_sns_url(url)
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - checked https SNS host
            response.read()

    return confirm


def check_sns_url(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme != "https" or not SNS_CERT_HOST.match(parsed.hostname or ""):
        raise IntakeError(f"SubscribeURL {url!r} is not an https URL on an SNS host")


def simulator_confirmer(endpoint: str) -> Callable[[str], None]:
    """In the simulated account the SubscribeURL's SNS host is the simulator on loopback."""
    import urllib.request

    def confirm(url: str) -> None:
        check_sns_url(url)
        parsed = urlparse(url)
        target = endpoint.rstrip("/") + parsed.path + (f"?{parsed.query}" if parsed.query else "")
        request = urllib.request.Request(target, headers={"Host": parsed.hostname or ""})  # noqa: S310 - loopback simulator
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback simulator
            response.read()

    return confirm
