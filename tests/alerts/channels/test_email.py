"""E-mail through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from cloudwarden.alerts.channels.base import DeliveryFailed, OutboundMessage
from cloudwarden.alerts.channels.configs import EmailConfig
from cloudwarden.alerts.channels.email import EmailChannel
from tests.alerts.channels.conftest import SMTP_PASSWORD, SMTP_USER, SmtpServer, free_port

RECIPIENT = "oncall@example.com"
DIAGNOSIS = OutboundMessage(
    kind="diagnosis",
    subject="checkout-5xx: bad deploy of storefront-api",
    text="5xx rose 40x after v2.14.0.\n\nThe <script>alert(1)</script> tag came from a log line.",
    facts=(("Confidence", "high"), ("Service", "storefront-api & co")),
    url="https://cloudwarden.example.com/incidents/42?a=1&b=2",
    reference="outbox-7",
)


def config_for(server: SmtpServer, **overrides: object) -> EmailConfig:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": server.port,
        "security": "none",
        "sender": "CloudWarden <alerts@cloudwarden.example.com>",
        "recipients": [RECIPIENT],
        "timeout_seconds": 5,
    }
    return EmailConfig.model_validate({**values, **overrides})


def received(server: SmtpServer) -> EmailMessage:
    [envelope] = server.handler.envelopes
    assert isinstance(envelope.content, bytes)
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_relay_receives_multipart_alternative_with_plain_text_first(smtp_server: SmtpServer) -> None:
    result = EmailChannel(config_for(smtp_server)).send(DIAGNOSIS, recipient=RECIPIENT)

    [envelope] = smtp_server.handler.envelopes
    assert envelope.mail_from == "alerts@cloudwarden.example.com" and envelope.rcpt_tos == [RECIPIENT]
    message = received(smtp_server)
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Subject"] == DIAGNOSIS.subject
    assert message["To"] == RECIPIENT and message["From"] == "CloudWarden <alerts@cloudwarden.example.com>"
    assert message["Date"] and message["X-CloudWarden-Reference"] == "outbox-7"
    assert result.provider_id == message["Message-ID"] and str(result.provider_id).endswith(
        "@cloudwarden.example.com>"
    )

    plain, rich = (part.get_content() for part in message.iter_parts())
    assert (
        "Confidence: high" in plain and "More: https://cloudwarden.example.com/incidents/42?a=1&b=2" in plain
    )
    assert "<script>" not in rich and "&lt;script&gt;alert(1)&lt;/script&gt;" in rich
    assert "storefront-api &amp; co" in rich
    assert 'href="https://cloudwarden.example.com/incidents/42?a=1&amp;b=2"' in rich


def test_permanent_refusal_is_not_retryable(smtp_server: SmtpServer) -> None:
    smtp_server.handler.refuse[RECIPIENT] = "550 5.1.1 <oncall@example.com>: Recipient address rejected"
    with pytest.raises(DeliveryFailed) as failure:
        EmailChannel(config_for(smtp_server)).send(DIAGNOSIS, recipient=RECIPIENT)
    assert not failure.value.retryable and failure.value.status == 550
    assert "Recipient address rejected" in failure.value.reason
    assert smtp_server.handler.envelopes == []


def test_temporary_refusal_is_retryable(smtp_server: SmtpServer) -> None:
    smtp_server.handler.refuse[RECIPIENT] = "451 4.7.1 Greylisted, try again later"
    with pytest.raises(DeliveryFailed) as failure:
        EmailChannel(config_for(smtp_server)).send(DIAGNOSIS, recipient=RECIPIENT)
    assert failure.value.retryable and failure.value.status == 451


def test_unreachable_relay_is_retryable() -> None:
    config = EmailConfig(
        host="127.0.0.1", port=free_port(), security="none", sender="a@example.com", timeout_seconds=2
    )
    with pytest.raises(DeliveryFailed) as failure:
        EmailChannel(config).send(DIAGNOSIS, recipient=RECIPIENT)
    assert failure.value.retryable and "unreachable" in failure.value.reason


def test_starttls_required_but_not_offered_is_refused_not_downgraded(smtp_server: SmtpServer) -> None:
    with pytest.raises(DeliveryFailed) as failure:
        EmailChannel(config_for(smtp_server, security="starttls")).send(DIAGNOSIS, recipient=RECIPIENT)
    assert not failure.value.retryable and "STARTTLS" in failure.value.reason
    assert smtp_server.handler.envelopes == []


def test_starttls_delivers_when_the_certificate_is_trusted(smtp_server_with_starttls: SmtpServer) -> None:
    server = smtp_server_with_starttls
    channel = EmailChannel(config_for(server, security="starttls"), ssl_context=server.client_context)
    channel.send(DIAGNOSIS, recipient=RECIPIENT)
    assert received(server)["Subject"] == DIAGNOSIS.subject


def test_untrusted_certificate_is_not_retryable(smtp_server_with_starttls: SmtpServer) -> None:
    with pytest.raises(DeliveryFailed) as failure:
        EmailChannel(config_for(smtp_server_with_starttls, security="starttls")).send(
            DIAGNOSIS, recipient=RECIPIENT
        )
    assert not failure.value.retryable and "certificate" in failure.value.reason.lower()
    assert smtp_server_with_starttls.handler.envelopes == []


def test_login_with_the_right_password_delivers(smtp_server_with_login: SmtpServer) -> None:
    config = config_for(smtp_server_with_login, username=SMTP_USER, password=SMTP_PASSWORD)
    EmailChannel(config).send(DIAGNOSIS, recipient=RECIPIENT)
    assert smtp_server_with_login.handler.logins == [SMTP_USER]
    assert len(smtp_server_with_login.handler.envelopes) == 1


def test_wrong_password_is_not_retryable_and_not_shown(smtp_server_with_login: SmtpServer) -> None:
    config = config_for(smtp_server_with_login, username=SMTP_USER, password="wrong-password-91")
    with pytest.raises(DeliveryFailed) as failure:
        EmailChannel(config).send(DIAGNOSIS, recipient=RECIPIENT)
    assert not failure.value.retryable and failure.value.status == 535 and "login" in failure.value.reason
    assert "wrong-password-91" not in repr(failure.value)


def test_header_injection_in_the_recipient_is_refused(smtp_server: SmtpServer) -> None:
    with pytest.raises(DeliveryFailed) as failure:
        EmailChannel(config_for(smtp_server)).send(
            DIAGNOSIS, recipient="a@example.com\r\nBcc: x@evil.example"
        )
    assert not failure.value.retryable and smtp_server.handler.envelopes == []
