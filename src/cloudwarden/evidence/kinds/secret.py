"""A Secrets Manager secret (known by reference: a task definition's or function's secret)."""

from __future__ import annotations

import re

from cloudwarden.evidence.kinds._arn import arns
from cloudwarden.evidence.kinds._spec import KindSpec, Reference


def _reference(text: str) -> Reference | None:
    for parts in arns(text, "secretsmanager"):
        kind, _, rest = parts[5].partition(":")
        if kind != "secret" or not rest:
            continue
        full = rest.split(":", 1)[0]  # without a JSON key, version stage or version id
        # AWS appends a hyphen and six random characters to the secret's name in its ARN.
        name = re.sub(r"-[A-Za-z0-9]{6}$", "", full)
        return Reference(":".join([*parts[:5], f"secret:{full}"]), name, {"secret_name": name})
    return None


SPEC = KindSpec(
    name="secret",
    label="secret",
    identifiers=("secret_name",),
    referenced_as="secret-reference",
    from_reference=_reference,
)
