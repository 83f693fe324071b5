"""Replace account IDs, ARNs, IP addresses and emails with placeholders before an LLM sees them.

The placeholders are stable within one `Masker` (the same ARN is always `ARN_1`), so the
model can refer to a resource consistently and `restore` maps its answer back. Patterns run
from the most specific to the least: an ARN contains an account ID and sometimes an email
(an SSO session name), so ARNs are replaced whole first and nothing of them is left for the
later patterns to split.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

# Kinds in the order they are applied; each placeholder is KIND_N.
KINDS = ("ARN", "EMAIL", "IP", "ACCOUNT")
PLACEHOLDER_RE = re.compile(r"\b(ARN|EMAIL|IP|ACCOUNT)_(\d+)\b")

# arn:partition:service:region:account:resource; region and account may be empty (S3, IAM).
# The resource part stops at whitespace, quotes and brackets, and never ends in '.' or ':'
# so sentence punctuation stays outside the placeholder.
ARN_RE = re.compile(
    r"(?<![\w:/-])arn:aws[\w-]*:[\w-]+:[\w-]*:[\w-]*:[^\s\"'`<>,;()\[\]{}]*[^\s\"'`<>,;()\[\]{}.:]"
)
EMAIL_RE = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
# Candidates only; ipaddress decides. Times like 13:06:00 and MAC addresses fail the check.
IPV6_CANDIDATE_RE = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?(?![\w:])"
)
OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4_RE = re.compile(rf"(?<![\d.])(?:{OCTET}\.){{3}}{OCTET}(?!\.?\d)")
# EC2 private DNS names spell the address with dashes: ip-10-20-1-123.ec2.internal.
IPV4_DASHED_RE = re.compile(rf"(?<![\w-])ip-(?:{OCTET}-){{3}}{OCTET}(?![\w-])")
# Account IDs are 12 digits; longer digit runs (epoch milliseconds, deployment ids) are not.
ACCOUNT_RE = re.compile(r"(?<!\d)\d{12}(?!\d)")


def valid_ipv6(candidate: str) -> bool:
    if not any(c.isalnum() for c in candidate):
        return False
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True


class Masker:
    """Masks text and JSON-like values, and restores placeholders in text.

    One Masker per LLM call: its table is the only link between placeholders and the real
    values, and it never leaves this process.
    """

    def __init__(self) -> None:
        self._placeholder_of: dict[str, str] = {}
        self._original_of: dict[str, str] = {}
        self._counters: dict[str, int] = dict.fromkeys(KINDS, 0)
        # Placeholder-shaped text already in the input (a log line saying "IP_1") must not be
        # confused with ours, so our numbering skips it.
        self._reserved: set[str] = set()

    @property
    def table(self) -> dict[str, str]:
        """Placeholder -> original, for tests and debugging; never sent anywhere."""
        return dict(self._original_of)

    def mask_text(self, text: str) -> str:
        self._reserve(text)
        text = ARN_RE.sub(self._replacer("ARN"), text)
        text = EMAIL_RE.sub(self._replacer("EMAIL"), text)
        text = IPV6_CANDIDATE_RE.sub(self._replacer("IP", valid_ipv6), text)
        text = IPV4_DASHED_RE.sub(self._replacer("IP"), text)
        text = IPV4_RE.sub(self._replacer("IP"), text)
        return ACCOUNT_RE.sub(self._replacer("ACCOUNT"), text)

    def mask_json(self, value: Any) -> Any:
        """Mask every string (and any 12-digit integer) in a JSON-like structure; keys are kept."""
        for text in _strings(value):
            self._reserve(text)
        return self._mask_value(value)

    def restore(self, text: str) -> str:
        """Put the originals back; placeholders this masker never issued are left as they are."""
        return PLACEHOLDER_RE.sub(lambda m: self._original_of.get(m.group(0), m.group(0)), text)

    def issued(self, placeholder: str) -> bool:
        return placeholder in self._original_of

    def _mask_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.mask_text(value)
        if isinstance(value, bool) or value is None or isinstance(value, float):
            return value
        if isinstance(value, int):
            masked = self.mask_text(str(value))
            return value if masked == str(value) else masked
        if isinstance(value, dict):
            return {key: self._mask_value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self._mask_value(item) for item in value]
        raise TypeError(f"cannot mask a {type(value).__name__}; pass JSON-like data")

    def _reserve(self, text: str) -> None:
        self._reserved.update(m.group(0) for m in PLACEHOLDER_RE.finditer(text))

    def _replacer(
        self, kind: str, accept: Callable[[str], bool] | None = None
    ) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            original = match.group(0)
            if accept is not None and not accept(original):
                return original
            return self._placeholder(kind, original)

        return replace

    def _placeholder(self, kind: str, original: str) -> str:
        existing = self._placeholder_of.get(original)
        if existing is not None:
            return existing
        while True:
            self._counters[kind] += 1
            placeholder = f"{kind}_{self._counters[kind]}"
            if placeholder not in self._reserved:
                break
        self._placeholder_of[original] = placeholder
        self._original_of[placeholder] = original
        return placeholder


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []
