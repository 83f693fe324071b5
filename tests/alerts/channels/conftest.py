"""Local servers that speak each channel's wire format: SMTP (aiosmtpd), a Slack webhook, and
CloudWarden's side of the WhatsApp webhook facing the Cloud API stand-in."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cloudwarden.alerts.channels import whatsapp_webhook
from cloudwarden.simulator.whatsapp import WhatsAppStandIn
from tests.alerts.channels.slack_server import SlackWebhookServer

APP_SECRET = "app-secret-for-tests"
ACCESS_TOKEN = "EAAG-test-access-token-7f3a9c"
PHONE_NUMBER_ID = "106540352242922"
SMTP_USER = "relay-user"
SMTP_PASSWORD = "relay-password-4d1e"


def free_port() -> int:
    """A loopback port nothing listens on (bound, read and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- SMTP ----------------------------------------------------------------------------------------


class RecordingHandler:
    """Keeps every envelope; refuses the recipients in `refuse` with the given SMTP reply."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.refuse: dict[str, str] = {}
        self.logins: list[str] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    handler: RecordingHandler
    port: int
    host: str = "127.0.0.1"
    client_context: ssl.SSLContext | None = None


def _run_smtp(**smtp_kwargs: Any) -> Iterator[SmtpServer]:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **smtp_kwargs)
    controller.start()
    try:
        yield SmtpServer(handler=handler, port=port)
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain relay on loopback (no TLS, no AUTH), as a local MTA would be."""
    yield from _run_smtp()


@pytest.fixture
def smtp_server_with_login() -> Iterator[SmtpServer]:
    """A relay offering AUTH PLAIN (in the clear: loopback only); successful logins are recorded."""
    logins: list[str] = []

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            SMTP_USER.encode(),
            SMTP_PASSWORD.encode(),
        )
        if ok:
            logins.append(SMTP_USER)
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535

    for server in _run_smtp(authenticator=authenticate, auth_require_tls=False):
        server.handler.logins = logins
        yield server


@pytest.fixture(scope="session")
def self_signed_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by itself, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.fixture
def smtp_server_with_starttls(self_signed_cert: tuple[Path, Path]) -> Iterator[SmtpServer]:
    cert_path, key_path = self_signed_cert
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_path, key_path)
    for server in _run_smtp(tls_context=server_context, require_starttls=True):
        server.client_context = ssl.create_default_context(cafile=str(cert_path))
        yield server


# -- Slack ---------------------------------------------------------------------------------------


@pytest.fixture
def slack_server() -> Iterator[SlackWebhookServer]:
    server = SlackWebhookServer().start()
    yield server
    server.stop()


# -- WhatsApp ------------------------------------------------------------------------------------


@dataclass
class WebhookReceiver:
    """CloudWarden's webhook endpoint in miniature: verify over the raw bytes, parse, answer."""

    app_secret: str
    batches: list[whatsapp_webhook.WebhookBatch] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    url: str = ""

    def statuses(self) -> list[whatsapp_webhook.StatusUpdate]:
        return [status for batch in self.batches for status in batch.statuses]

    def button_replies(self) -> list[whatsapp_webhook.ButtonReply]:
        return [reply for batch in self.batches for reply in batch.button_replies]

    def messages(self) -> list[whatsapp_webhook.TextMessage]:
        return [message for batch in self.batches for message in batch.messages]


def _run_receiver(app_secret: str) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(app_secret=app_secret)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return None

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                whatsapp_webhook.verify_signature(raw, self.headers.get("X-Hub-Signature-256"), app_secret)
                batch = whatsapp_webhook.parse_webhook(raw)
            except whatsapp_webhook.WebhookError as exc:
                with lock:
                    receiver.rejected.append(str(exc))
                self.send_response(401 if isinstance(exc, whatsapp_webhook.SignatureInvalid) else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            with lock:
                receiver.batches.append(batch)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/whatsapp"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    yield from _run_receiver(APP_SECRET)


@pytest.fixture
def standin(webhook_receiver: WebhookReceiver) -> Iterator[WhatsAppStandIn]:
    server = WhatsAppStandIn(
        app_secret=APP_SECRET,
        access_token=ACCESS_TOKEN,
        phone_number_id=PHONE_NUMBER_ID,
        webhook_url=webhook_receiver.url,
        templates={"cloudwarden_alert": 2, "cloudwarden_update": 0},
    ).start()
    yield server
    server.stop()
