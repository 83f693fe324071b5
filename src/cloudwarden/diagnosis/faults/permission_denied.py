"""Calls are denied: a role lost a permission its users need, or a resource's own policy (a
queue's, a bucket's, a key's, a topic's, a secret's) now refuses its callers."""

from __future__ import annotations

import re

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.rulekit import Finding, change_finding, log_finding, param
from cloudwarden.diagnosis.signals import LogTemplate
from cloudwarden.diagnosis.spec import FaultSpec, Sign
from cloudwarden.evidence.model import Change

ROLE_CHANGES = (
    "DetachRolePolicy",
    "DeleteRolePolicy",
    "PutRolePolicy",
    "UpdateAssumeRolePolicy",
    "PutRolePermissionsBoundary",
    "AttachRolePolicy",
)
# Writes of a resource-based policy (CloudTrail event names; SetQueueAttributes and
# SetTopicAttributes only when they set the policy).
POLICY_CHANGES = (
    "PutBucketPolicy",
    "DeleteBucketPolicy",
    "PutBucketAcl",
    "SetQueueAttributes",
    "SetTopicAttributes",
    "AddPermission",
    "RemovePermission",
    "PutKeyPolicy",
    "PutResourcePolicy",
    "DeleteResourcePolicy",
)
CHANGES = ROLE_CHANGES + POLICY_CHANGES
# A policy change its denials corroborate is the cause itself, more so than a deploy with errors.
POLICY_CHANGE_WEIGHT = 3.0
# How AWS says a resource's own policy refused the call, rather than the caller's role. (SQS's
# "Access to the resource ... is denied" says neither: it is the same for both.)
RESOURCE_POLICY_DENIAL = re.compile(
    r"explicit deny in a resource-based policy|no resource-based policy allows", re.IGNORECASE
)


def _sets_policy(change: Change) -> bool:
    if change.name == "SetQueueAttributes":
        return "Policy" in (param(change, "attributes") or {})
    if change.name == "SetTopicAttributes":
        return bool(param(change, "attributeName") == "Policy")
    return True


def _about_resource_policy(t: LogTemplate) -> bool:
    return bool(RESOURCE_POLICY_DENIAL.search(t.example))


def rule(ctx: Context, key: str) -> list[Finding]:
    if ctx.graph.resources[key].kind == "iam_role":
        return _role(ctx, key)
    changes = [c for c in ctx.suspect_changes(key, POLICY_CHANGES) if _sets_policy(c)]
    denied = [t for t in ctx.surging("access_denied") if key in t.mentions]
    if not denied:
        # A policy written with nothing denied after it is context, not a cause.
        return change_finding(key, changes[0], []) if changes else []
    support = [log_finding(denied[0], 3.0 if _about_resource_policy(denied[0]) else 2.0, key)]
    return change_finding(key, changes[0], support, weight=POLICY_CHANGE_WEIGHT) if changes else support


def _role(ctx: Context, key: str) -> list[Finding]:
    """The role's own policies changed, and its users' calls are denied (not by a resource's policy)."""
    denials = [t for t in ctx.surging("access_denied") if not _about_resource_policy(t)]
    naming = [t for t in denials if key in t.mentions]
    users = [e.source for e in ctx.graph.edges if e.target == key and e.relation in ("task-role", "role")]
    groups = set().union(*(ctx.groups_of(u) for u in users))
    support = [log_finding(t, 2.5, key) for t in naming[:1]] or [
        log_finding(t, 1.5, key) for t in denials if t.group in groups
    ][:1]
    changes = ctx.suspect_changes(key, ROLE_CHANGES)
    if changes:
        return change_finding(key, changes[0], support, weight=POLICY_CHANGE_WEIGHT)
    return support if naming else []


SPEC = FaultSpec(
    name="permission_denied",
    label="permission denied",
    kinds=("iam_role", "sqs_queue", "kms_key", "secret"),
    requires=(
        Sign("logs", "AccessDenied errors naming the role, or naming the resource whose policy refused them"),
    ),
    supports=(
        Sign("cloudtrail", "a policy of the role was detached, deleted or changed (read in us-east-1)"),
        Sign(
            "cloudtrail", "the resource's own policy was written (bucket, queue, topic, key or secret policy)"
        ),
        Sign("logs", "AccessDenied errors in the logs of the services that run as the role"),
    ),
    claims=r"\bpermission[\s_-]+denied\b|\baccess[\s_-]*denied\b|\bmissing\s+(?:iam\s+)?permissions?\b"
    r"|\bpermissions?\s+(?:error|issue|problem|failure)s?\b",
    next_steps=(
        "Restore what was removed: re-attach the role's policy, or revert the resource's policy "
        "(the previous version is in the CloudTrail event's history).",
        "If the denial names a resource-based policy, fix that resource's policy, not the caller's role.",
        "Check which automation made the change so it does not happen again.",
    ),
    rule=rule,
    changes=CHANGES,
)
