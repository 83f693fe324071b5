"""E-mail through an SMTP relay: one multipart/alternative message (plain text first, then HTML).

    channel = EmailChannel(config)
    result = channel.send(message, recipient="oncall@example.com")   # provider_id: the Message-ID

TLS as configured ("starttls" refuses a relay that does not offer it rather than fall back to
plain text), login when a username is set. SMTP's own classes decide retries: a 4xx reply or a
dropped connection is temporary, a 5xx reply (unknown mailbox, relaying denied, bad login) is not.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import ClassVar

from cloudwarden.alerts.channels._common import one_line, plain_text
from cloudwarden.alerts.channels.base import DeliveryFailed, OutboundMessage, SendResult
from cloudwarden.alerts.channels.configs import EmailConfig, normalize_email_address

MAX_SUBJECT = 200


def build_email(message: OutboundMessage, *, sender: str, recipient: str) -> EmailMessage:
    """The message as sent: headers, a text/plain part, then its HTML alternative."""
    domain = sender.rpartition("@")[2].rstrip(">") or "cloudwarden.invalid"
    email = EmailMessage()
    email["Subject"] = one_line(message.subject)[:MAX_SUBJECT] or "CloudWarden"
    email["From"] = sender
    email["To"] = recipient
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = make_msgid(domain=domain)
    if message.reference:
        email["X-CloudWarden-Reference"] = one_line(message.reference)[:200]
    email.set_content(plain_text(message, with_subject=False) or one_line(message.subject))
    email.add_alternative(html_body(message), subtype="html")
    return email


def html_body(message: OutboundMessage) -> str:
    """The HTML alternative; every piece of message text goes through html.escape."""
    parts = [f"<h2>{html.escape(one_line(message.subject))}</h2>"]
    for paragraph in message.text.strip().split("\n\n"):
        if paragraph.strip():
            lines = "<br>\n".join(html.escape(line) for line in paragraph.strip().splitlines())
            parts.append(f"<p>{lines}</p>")
    if message.facts:
        rows = "".join(
            f'<tr><th align="left" style="padding-right:1em">{html.escape(one_line(label))}</th>'
            f"<td>{html.escape(one_line(value))}</td></tr>"
            for label, value in message.facts
        )
        parts.append(f"<table>{rows}</table>")
    if message.url and message.url.startswith(("https://", "http://")):
        parts.append(f'<p><a href="{html.escape(message.url, quote=True)}">Open in CloudWarden</a></p>')
    body = "\n".join(parts)
    return f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n{body}\n</body></html>\n'


class EmailChannel:
    KIND: ClassVar[str] = "email"

    def __init__(self, config: EmailConfig, *, ssl_context: ssl.SSLContext | None = None) -> None:
        # ssl_context: for a relay whose certificate a private CA signed; default: the system's CAs.
        self._config = config
        self._ssl_context = ssl_context

    def send(self, message: OutboundMessage, *, recipient: str) -> SendResult:
        try:
            to = normalize_email_address(recipient)
        except ValueError as exc:
            raise DeliveryFailed(reason=str(exc), retryable=False) from None
        email = build_email(message, sender=self._config.sender, recipient=to)
        try:
            self._deliver(email, to=to)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = exc.recipients.get(to, (550, b"recipient refused"))
            raise _smtp_refusal(code, reply, what=f"the relay refused the recipient {to}") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise _smtp_refusal(exc.smtp_code, exc.smtp_error, what="the relay refused the login") from None
        except smtplib.SMTPResponseException as exc:
            raise _smtp_refusal(exc.smtp_code, exc.smtp_error, what="the relay refused the message") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryFailed(
                reason=f"the SMTP relay {self._where} does not support what the channel requires: {exc}",
                retryable=False,
            ) from None
        except smtplib.SMTPServerDisconnected as exc:
            raise DeliveryFailed(
                reason=f"the SMTP relay {self._where} closed the connection: {exc}", retryable=True
            ) from None
        except smtplib.SMTPException as exc:
            raise DeliveryFailed(reason=f"SMTP failed at {self._where}: {exc}", retryable=False) from None
        except ssl.SSLError as exc:
            raise DeliveryFailed(
                reason=f"TLS with {self._where} failed ({exc.reason or exc}); check the certificate and that "
                f'security "{self._config.security}" suits port {self._config.port} (465: tls, 587: starttls)',
                retryable=False,
            ) from None
        except OSError as exc:  # refused, timed out, name not resolved: the relay may be back soon
            raise DeliveryFailed(
                reason=f"SMTP relay {self._where} unreachable: {type(exc).__name__}: {exc}", retryable=True
            ) from None
        return SendResult(provider_id=str(email["Message-ID"]), detail=f"accepted by {self._config.host}")

    @property
    def _where(self) -> str:
        return f"{self._config.host}:{self._config.port}"

    def _deliver(self, email: EmailMessage, *, to: str) -> None:
        config = self._config
        context = self._ssl_context or ssl.create_default_context()
        smtp: smtplib.SMTP
        if config.security == "tls":
            smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout_seconds, context=context)
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
        with smtp:
            smtp.ehlo()
            if config.security == "starttls":
                smtp.starttls(context=context)  # raises SMTPNotSupportedError if not offered
                smtp.ehlo()
            if config.username is not None and config.password is not None:
                smtp.login(config.username, config.password.get_secret_value())
            smtp.send_message(email, from_addr=config.sender_address, to_addrs=[to])


def _smtp_refusal(code: int, reply: bytes | str, *, what: str) -> DeliveryFailed:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    temporary = 400 <= code < 500
    return DeliveryFailed(
        reason=f"{what} ({code} {one_line(text)[:200]})" + ("; will retry" if temporary else ""),
        retryable=temporary,
        status=code,
    )
