"""An IAM role (known by reference: a task's, a function's or an instance's role)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudwarden.evidence.kinds._spec import KindSpec

if TYPE_CHECKING:
    from cloudwarden.evidence.model import Resource


def _names(r: Resource) -> set[str]:
    """Its name, and how an assumed-role principal names it in logs and errors."""
    name = r.key.rsplit("/", 1)[-1]
    return {name, f"assumed-role/{name}/"}


SPEC = KindSpec(name="iam_role", label="IAM role", extra_identifiers=_names)
