"""Amazon SNS HTTP(S) deliveries: parse, verify the signature, extract the CloudWatch alarm.

Every message is verified before anything in it is trusted: the signing certificate must come
over HTTPS from an SNS host (sns.<region>.amazonaws.com), and the signature must match the
canonical string SNS signs (SignatureVersion 1: SHA1, 2: SHA256).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlparse

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
        certificate = x509.load_pem_x509_certificate(pem)
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


def alarm_of(message: SnsMessage) -> AlarmNotification:
    try:
        return AlarmNotification.model_validate(json.loads(message.message))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise IntakeError(
            f"SNS message {message.message_id} is not a CloudWatch alarm notification: {exc}"
        ) from None


def https_cert_fetcher(timeout: float = 5.0) -> CertFetcher:
    """Fetch certificates from AWS over HTTPS, caching them (they rotate rarely)."""
    import urllib.request

    cache: dict[str, bytes] = {}

    def fetch(url: str) -> bytes:
        check_cert_url(url)
        if url not in cache:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - checked https SNS host
                cache[url] = response.read()
        return cache[url]

    return fetch


def simulator_cert_fetcher(endpoint: str) -> CertFetcher:
    """In the simulated account the SNS host is served by the simulator on loopback."""
    import urllib.request

    def fetch(url: str) -> bytes:
        check_cert_url(url)
        parsed = urlparse(url)
        request = urllib.request.Request(  # noqa: S310 - the configured simulator endpoint
            endpoint.rstrip("/") + parsed.path, headers={"Host": parsed.hostname or ""}
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback simulator
            data: bytes = response.read()
        return data

    return fetch
