"""The KMS checks, and what several share: reading policies for KMS access.

`decrypt_on_every_key(document)` is the reading of AWS Config's iam-customer-policy-blocked-kms-
actions and iam-inline-policy-blocked-kms-actions with Security Hub's parameters (FSBP KMS.1 and
KMS.2): which of kms:Decrypt and kms:ReEncryptFrom the policy allows on every KMS key. Like those
rules it ignores conditions; a resource "to be considered" specific names fixed values, so a
wildcard or a policy variable standing for the key id reaches every key. `public_statements(...)`
is FSBP KMS.5's: key policy statements that let anyone use the key.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any

from cloudwarden.posture.collectors.s3 import (
    NARROWING_KEYS,
    as_list,
    matches_action,
    narrowed_by_condition,
    principal_is_everyone,
    statements,
)

DECRYPT_ACTIONS = ("kms:Decrypt", "kms:ReEncryptFrom")
# A condition on the calling account narrows a key policy statement too (AWS's own example).
KMS_NARROWING_KEYS = NARROWING_KEYS | {"kms:calleraccount"}
_VARIABLE = re.compile(r"\$\{[^}]*\}")
_WILD = re.compile(r"[*?]")
# Key ids no specific-key pattern names: matched by all three, a pattern reaches every key.
_ANY_KEY_IDS = ("zz-any-key", "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff")


def reaches_every_key(resource: Any) -> bool:
    """Whether a Resource value covers every KMS key (of the account and region it names)."""
    pattern = _VARIABLE.sub("*", str(resource)).lower()
    if pattern == "*":
        return True
    parts = pattern.split(":", 5)

    def part(index: int, filler: str) -> str:
        return parts[index] if len(parts) > index and not _WILD.search(parts[index]) else filler

    partition, region, account = part(1, "aws"), part(3, "zz-region-1"), part(4, "000000000000")
    return all(
        fnmatchcase(f"arn:{partition}:kms:{region}:{account}:key/{key_id}", pattern)
        for key_id in _ANY_KEY_IDS
    )


def _every_key(statement: dict[str, Any]) -> bool:
    if "NotResource" in statement:  # every resource but those named: every key unless all are
        return not any(reaches_every_key(r) for r in as_list(statement["NotResource"]))
    return any(reaches_every_key(r) for r in as_list(statement.get("Resource")))


def decrypt_on_every_key(document: dict[str, Any]) -> list[str]:
    """The decryption actions the policy allows on every KMS key, conditions aside; a Deny
    without conditions on every key takes its actions back."""
    found = []
    for action in DECRYPT_ACTIONS:
        reach = [s for s in statements(document) if matches_action(s, action) and _every_key(s)]
        allowed = any(str(s.get("Effect", "")).lower() == "allow" for s in reach)
        denied = any(str(s.get("Effect", "")).lower() == "deny" and not s.get("Condition") for s in reach)
        if allowed and not denied:
            found.append(action)
    return found


def _anyone(statement: dict[str, Any]) -> bool:
    """Principal "*", {"AWS": "*"}, NotPrincipal, or an AWS principal with a wildcard in it."""
    if principal_is_everyone(statement):
        return True
    principal = statement.get("Principal")
    return isinstance(principal, dict) and any(_WILD.search(str(v)) for v in as_list(principal.get("AWS")))


def public_statements(policy: dict[str, Any]) -> list[str]:
    """Each Allow statement that lets anyone use the key without a narrowing condition, described."""
    found = []
    for index, statement in enumerate(statements(policy)):
        if str(statement.get("Effect", "")).lower() != "allow" or not _anyone(statement):
            continue
        if narrowed_by_condition(statement, KMS_NARROWING_KEYS):
            continue
        name = statement.get("Sid") or f"#{index + 1}"
        actions = ", ".join(str(a) for a in as_list(statement.get("Action"))) or "every action but NotAction"
        found.append(f"statement {name} allows {actions} to anyone")
    return found
