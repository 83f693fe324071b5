"""Registry of the IAM actions each collector and remediation declares.

The customer's IAM policy is generated from these declarations, and a test records every AWS
call a simulated investigation makes and fails if one is undeclared or a declared one unused.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Literal

PermissionKind = Literal["read", "write"]

# botocore's endpoint prefix differs from the IAM service prefix for a few services.
_IAM_PREFIX_BY_ENDPOINT = {"monitoring": "cloudwatch"}
# Modules whose import registers declarations; kept explicit so the policy never depends on
# which modules happen to be imported already.
DECLARING_MODULES = (
    "cloudwarden.evidence.registry",
    "cloudwarden.actions.catalog",
)


@dataclass(frozen=True)
class PermissionDeclaration:
    owner: str
    kind: PermissionKind
    actions: tuple[str, ...]
    purpose: str


_REGISTRY: dict[str, PermissionDeclaration] = {}


def declare(
    owner: str, actions: tuple[str, ...], *, purpose: str, kind: PermissionKind = "read"
) -> PermissionDeclaration:
    """Declare the IAM actions `owner` needs. Re-declaring the same owner must be identical."""
    if not actions:
        raise ValueError(f"{owner}: a declaration needs at least one IAM action")
    for action in actions:
        service, _, name = action.partition(":")
        if not service or not name or "*" in action:
            raise ValueError(f"{owner}: {action!r} is not a concrete IAM action (service:Action)")
    declaration = PermissionDeclaration(owner, kind, tuple(actions), purpose)
    existing = _REGISTRY.get(owner)
    if existing is not None and existing != declaration:
        raise ValueError(f"{owner} is declared twice with different permissions")
    _REGISTRY[owner] = declaration
    return declaration


def load_all() -> None:
    for module in DECLARING_MODULES:
        importlib.import_module(module)


def declarations(kind: PermissionKind | None = None) -> list[PermissionDeclaration]:
    load_all()
    return sorted((d for d in _REGISTRY.values() if kind is None or d.kind == kind), key=lambda d: d.owner)


def actions(kind: PermissionKind) -> list[str]:
    """The sorted union of IAM actions declared for `kind`."""
    return sorted({a for d in declarations(kind) for a in d.actions})


def iam_action(endpoint_prefix: str, operation_name: str) -> str:
    """IAM action for a botocore operation, e.g. ('monitoring', 'GetMetricData')."""
    prefix = _IAM_PREFIX_BY_ENDPOINT.get(endpoint_prefix, endpoint_prefix)
    # Lambda's API names carry version suffixes (ListFunctions20150331) in some models.
    return f"{prefix}:{operation_name}"
