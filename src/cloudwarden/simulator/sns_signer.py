"""Sign SNS HTTP deliveries as AWS does, with a key of our own: for tests and the intake benchmark.

    signer = SnsSigner()                      # an RSA key and a self-signed certificate
    body = signer.notification(topic_arn, alarm_json, subject="ALARM: ...")   # bytes, as SNS posts
    fetch = signer.cert_fetcher()             # what the intake uses to fetch the certificate

The certificate URL is on an SNS host (https://sns.<region>.amazonaws.com/...pem), as the intake
requires; the fetcher answers it from memory, or `serve_certificate()` serves it on loopback for a
server process pointed there with CLOUDWARDEN_SIMULATOR_URL.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

CERT_PATH = "/SimpleNotificationService-cloudwarden-test.pem"


class SnsSigner:
    def __init__(self, *, region: str = "us-east-1") -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"sns.{region}.amazonaws.com")])
        now = dt.datetime.now(dt.UTC)
        self.certificate_pem = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .sign(self.key, hashes.SHA256())
            .public_bytes(serialization.Encoding.PEM)
        )
        self.cert_url = f"https://sns.{region}.amazonaws.com{CERT_PATH}"

    def sign(self, fields: dict[str, Any], *, version: str = "1") -> dict[str, Any]:
        keys = (
            ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
            if fields["Type"] == "Notification"
            else ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
        )
        canonical = "".join(f"{k}\n{fields[k]}\n" for k in keys if k in fields).encode()
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303 - SNS v1 is SHA1
        signature = self.key.sign(canonical, padding.PKCS1v15(), algorithm)
        return {
            **fields,
            "SignatureVersion": version,
            "Signature": base64.b64encode(signature).decode(),
            "SigningCertURL": self.cert_url,
        }

    def notification(
        self,
        topic_arn: str,
        message: dict[str, Any] | str,
        *,
        subject: str | None = None,
        message_id: str | None = None,
        timestamp: dt.datetime | None = None,
        version: str = "1",
    ) -> bytes:
        fields: dict[str, Any] = {
            "Type": "Notification",
            "MessageId": message_id or str(uuid.uuid4()),
            "TopicArn": topic_arn,
            "Message": message if isinstance(message, str) else json.dumps(message),
            "Timestamp": _aws_time(timestamp or dt.datetime.now(dt.UTC)),
        }
        if subject is not None:
            fields["Subject"] = subject
        return json.dumps(self.sign(fields, version=version)).encode()

    def subscription_confirmation(self, topic_arn: str, subscribe_url: str) -> bytes:
        fields = {
            "Type": "SubscriptionConfirmation",
            "MessageId": str(uuid.uuid4()),
            "Token": uuid.uuid4().hex,
            "TopicArn": topic_arn,
            "Message": f"You have chosen to subscribe to the topic {topic_arn}.",
            "SubscribeURL": subscribe_url,
            "Timestamp": _aws_time(dt.datetime.now(dt.UTC)),
        }
        return json.dumps(self.sign(fields)).encode()

    def cert_fetcher(self) -> Callable[[str], bytes]:
        def fetch(url: str) -> bytes:
            if url != self.cert_url:
                raise OSError(f"no certificate at {url}")
            return self.certificate_pem

        return fetch

    def serve_certificate(self) -> tuple[str, Callable[[], None]]:
        """Serve the certificate on loopback: (endpoint, stop)."""
        pem = self.certificate_pem

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return None

            def do_GET(self) -> None:
                ok = self.path == CERT_PATH
                body = pem if ok else b"not found"
                self.send_response(200 if ok else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()

        def stop() -> None:
            server.shutdown()
            server.server_close()

        return f"http://127.0.0.1:{server.server_address[1]}", stop


def _aws_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def alarm_notification(
    *,
    account: str,
    alarm: str,
    state: str = "ALARM",
    old: str = "OK",
    at: dt.datetime,
    region: str = "us-east-1",
) -> dict[str, Any]:
    """The JSON CloudWatch publishes when an alarm changes state."""
    return {
        "AlarmName": alarm,
        "AlarmDescription": None,
        "AWSAccountId": account,
        "AlarmConfigurationUpdatedTimestamp": "2026-11-01T00:00:00.000+0000",
        "NewStateValue": state,
        "NewStateReason": "Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).",
        "StateChangeTime": at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{at.microsecond // 1000:03d}+0000",
        "Region": "US East (N. Virginia)",
        "AlarmArn": f"arn:aws:cloudwatch:{region}:{account}:alarm:{alarm}",
        "OldStateValue": old,
        "Trigger": {"MetricName": "HTTPCode_Target_5XX_Count", "Namespace": "AWS/ApplicationELB"},
    }
