"""A KMS key (known by reference: its ARN in a service's environment or in a denial)."""

from __future__ import annotations

from cloudwarden.evidence.kinds._arn import arns
from cloudwarden.evidence.kinds._spec import KindSpec, Reference


def _reference(text: str) -> Reference | None:
    for parts in arns(text, "kms"):
        kind, _, key_id = parts[5].partition("/")
        if kind == "key" and key_id:
            return Reference(":".join(parts), key_id, {"key_id": key_id})
    return None


SPEC = KindSpec(
    name="kms_key",
    label="KMS key",
    identifiers=("key_id",),
    referenced_as="env-reference",
    from_reference=_reference,
)
