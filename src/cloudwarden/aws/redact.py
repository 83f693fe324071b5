"""Keep session credentials out of every log line, even at DEBUG (botocore logs request headers).

The broker registers each session's secrets here, in memory; `RedactingFilter` on the log
handlers replaces them before a record is written anywhere.
"""

from __future__ import annotations

import logging
import re
import threading

_secrets: set[str] = set()
_lock = threading.Lock()
REPLACEMENT = "[REDACTED]"
# Credentials seen before they could be registered: botocore logs the AssumeRole response body
# (XML, with the session's AccessKeyId too), every request's Authorization header (which names
# the access key id) and security-token header, and KMS Decrypt's Plaintext, at DEBUG.
_PATTERNS = [
    re.compile(
        r"(?P<pre><(?P<tag>AccessKeyId|SecretAccessKey|SessionToken|Plaintext)>)[^<]*(?P<post></(?P=tag)>)"
    ),
    re.compile(
        r"""(?P<pre>['"]?(?:AccessKeyId|SecretAccessKey|SessionToken|Plaintext|access_key_id|"""
        r"""aws_access_key_id|secret_access_key|session_token|aws_session_token)['"]?"""
        r"""\s*[:=]\s*b?['"])[^'"]*(?P<post>['"])"""
    ),
    re.compile(r"(?P<pre>Credential=)[A-Z0-9]{16,128}(?P<post>/)"),
    re.compile(
        r"""(?P<pre>(?:X-Amz-Security-Token|x-amz-security-token)['"]?\s*[:=]\s*b?['"]?)[A-Za-z0-9/+=%]+"""
    ),
]


def register(*values: str) -> None:
    with _lock:
        _secrets.update(v for v in values if v and len(v) >= 8)


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REPLACEMENT)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m["pre"] + REPLACEMENT + (m.groupdict().get("post") or ""), text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_text is None and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def install(handler: logging.Handler | None = None) -> None:
    """Attach the filter to `handler`, or to every handler of the root logger."""
    handlers = [handler] if handler is not None else logging.getLogger().handlers
    for h in handlers:
        if not any(isinstance(f, RedactingFilter) for f in h.filters):
            h.addFilter(RedactingFilter())
