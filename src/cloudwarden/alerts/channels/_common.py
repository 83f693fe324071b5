"""What several channels share: plain-text renderings of a message and reading Retry-After."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from cloudwarden.alerts.channels.base import OutboundMessage

ELLIPSIS = "…"
MAX_RETRY_AFTER = 24 * 3600.0  # a provider asking for more is treated as asking for a day


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, marked with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def one_line(text: str) -> str:
    """Line breaks and tabs folded into single spaces."""
    return re.sub(r"\s+", " ", text).strip()


def facts_lines(message: OutboundMessage) -> list[str]:
    return [f"{one_line(label)}: {one_line(value)}" for label, value in message.facts]


def plain_text(message: OutboundMessage, *, with_subject: bool) -> str:
    """The message as readable text: subject (optional), body, facts one per line, the link."""
    parts: list[str] = []
    if with_subject and message.subject.strip():
        parts.append(one_line(message.subject))
    if message.text.strip():
        parts.append(message.text.strip())
    facts = facts_lines(message)
    if facts:
        parts.append("\n".join(facts))
    if message.url:
        parts.append(f"More: {message.url}")
    return "\n\n".join(parts)


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """An HTTP Retry-After header (seconds or an HTTP date) as seconds from now; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
