"""A Secrets Manager secret (known by reference: a task definition's or function's secret)."""

from __future__ import annotations

from cloudwarden.evidence.kinds._spec import KindSpec

SPEC = KindSpec(name="secret", label="secret", identifiers=("secret_name",), referenced_as="secret-reference")
