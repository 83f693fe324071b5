"""Registry of the IAM actions each collector and remediation declares.

The customer's IAM policy is generated from these declarations (the evidence collectors', the
posture collectors' and the remediations'), and tests record every AWS call a simulated
investigation or posture scan makes and fail if one is undeclared or a declared one unused.

A declaration is required (granted on Resource "*" in every onboarding) unless it carries an
`OptIn`: then the template grants it only when the customer sets the opt-in's parameter to one
resource ARN, and only on that resource. `actions(kind)` lists required actions only;
`optional_declarations()` the others.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Literal

PermissionKind = Literal["read", "write"]

# botocore's endpoint prefix differs from the IAM service prefix for a few services.
_IAM_PREFIX_BY_ENDPOINT = {"monitoring": "cloudwatch"}
# Operations IAM authorizes under another name (S3 mostly), as in the Service Authorization
# Reference: (botocore endpoint prefix, operation) -> IAM action.
_IAM_ACTION_BY_OPERATION = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
    ("s3", "GetBucketPolicyStatus"): "s3:GetBucketPolicyStatus",
    ("s3", "GetBucketNotificationConfiguration"): "s3:GetBucketNotification",
    ("s3", "GetObjectLockConfiguration"): "s3:GetBucketObjectLockConfiguration",
    ("s3-control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
    ("s3-control", "ListAccessPoints"): "s3:ListAccessPoints",
    ("s3-control", "GetAccessPoint"): "s3:GetAccessPoint",
}
# Modules whose import registers declarations; kept explicit so the policy never depends on
# which modules happen to be imported already.
DECLARING_MODULES = (
    "cloudwarden.evidence.registry",
    "cloudwarden.actions.catalog",
    "cloudwarden.posture.collectors.registry",  # posture reads, owners "posture.<service>"
)


@dataclass(frozen=True)
class OptIn:
    """The template parameter through which a customer opts in to an optional declaration.

    Its value is the one resource ARN the actions are granted on; empty (the default) grants
    nothing. When the resource may be encrypted with a customer managed KMS key, a second
    parameter names that key, and kms:Decrypt is granted on it only through `kms_via_service`.
    """

    parameter: str  # CloudFormation parameter, e.g. "GitHubTokenSecretArn"
    variable: str  # Terraform variable, e.g. "github_token_secret_arn"
    description: str
    arn_pattern: str  # what the ARN must look like (a regular expression, anchored)
    kms_key_parameter: str | None = None
    kms_key_variable: str | None = None
    kms_via_service: str | None = None  # e.g. "secretsmanager"


@dataclass(frozen=True)
class PermissionDeclaration:
    owner: str
    kind: PermissionKind
    actions: tuple[str, ...]
    purpose: str
    opt_in: OptIn | None = None  # None: required, granted on every resource

    @property
    def optional(self) -> bool:
        return self.opt_in is not None


_REGISTRY: dict[str, PermissionDeclaration] = {}


def declare(
    owner: str,
    actions: tuple[str, ...],
    *,
    purpose: str,
    kind: PermissionKind = "read",
    opt_in: OptIn | None = None,
) -> PermissionDeclaration:
    """Declare the IAM actions `owner` needs. Re-declaring the same owner must be identical.

    With `opt_in` the actions are optional: granted only on the resource the customer names.
    """
    if not actions:
        raise ValueError(f"{owner}: a declaration needs at least one IAM action")
    for action in actions:
        service, _, name = action.partition(":")
        if not service or not name or "*" in action:
            raise ValueError(f"{owner}: {action!r} is not a concrete IAM action (service:Action)")
    if opt_in is not None and kind != "read":
        raise ValueError(f"{owner}: only read declarations can be optional")
    declaration = PermissionDeclaration(owner, kind, tuple(actions), purpose, opt_in)
    existing = _REGISTRY.get(owner)
    if existing is not None and existing != declaration:
        raise ValueError(f"{owner} is declared twice with different permissions")
    _REGISTRY[owner] = declaration
    return declaration


def load_all() -> None:
    for module in DECLARING_MODULES:
        importlib.import_module(module)


def declarations(kind: PermissionKind | None = None) -> list[PermissionDeclaration]:
    """Every declaration of `kind`, required and optional."""
    load_all()
    return sorted(
        (d for d in _REGISTRY.values() if kind is None or d.kind == kind),
        key=lambda d: d.owner,
    )


def actions(kind: PermissionKind) -> list[str]:
    """The sorted union of the IAM actions required for `kind` (optional declarations excluded)."""
    return sorted({a for d in declarations(kind) if not d.optional for a in d.actions})


def optional_declarations() -> list[PermissionDeclaration]:
    """Declarations granted only when the customer opts in, each on one resource."""
    return [d for d in declarations("read") if d.optional]


def optional_actions() -> list[str]:
    return sorted({a for d in optional_declarations() for a in d.actions})


def iam_action(endpoint_prefix: str, operation_name: str) -> str:
    """IAM action for a botocore operation, e.g. ('monitoring', 'GetMetricData')."""
    named = _IAM_ACTION_BY_OPERATION.get((endpoint_prefix, operation_name))
    if named is not None:
        return named
    prefix = _IAM_PREFIX_BY_ENDPOINT.get(endpoint_prefix, endpoint_prefix)
    # Lambda's API names carry version suffixes (ListFunctions20150331) in some models.
    return f"{prefix}:{operation_name}"
