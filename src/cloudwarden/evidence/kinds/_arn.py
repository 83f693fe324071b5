"""Reading references to resources: ARNs and the URLs some services use instead."""

from __future__ import annotations

import re

# arn:partition:service:region:account:resource
ARN_RE = re.compile(r"arn:aws[\w-]*:[\w-]+:[\w-]*:\d*:[^\s\"',)\]]+")


def arns(text: str, service: str) -> list[list[str]]:
    """The ARNs of `service` in `text`, each split at ":" (resource part kept whole)."""
    found = []
    for match in ARN_RE.finditer(text):
        parts = match.group(0).rstrip(".").split(":", 5)
        if len(parts) == 6 and parts[2] == service:
            found.append(parts)
    return found
