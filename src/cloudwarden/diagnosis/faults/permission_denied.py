"""A role lost a permission its users need: their calls are denied."""

from __future__ import annotations

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.rulekit import Finding, changes_found, log_finding
from cloudwarden.diagnosis.spec import FaultSpec, Sign

CHANGES = (
    "DetachRolePolicy",
    "DeleteRolePolicy",
    "PutRolePolicy",
    "UpdateAssumeRolePolicy",
    "PutRolePermissionsBoundary",
    "AttachRolePolicy",
)


def rule(ctx: Context, key: str) -> list[Finding]:
    changes = changes_found(ctx, key, CHANGES, 3.0)
    denied = [t for t in ctx.surging("access_denied") if key in t.mentions]
    if not changes and not denied:
        return []
    if denied:
        return [*changes, log_finding(denied[0], 2.5, key)]
    users = [e.source for e in ctx.graph.edges if e.target == key and e.relation in ("task-role", "role")]
    groups = set().union(*(ctx.groups_of(u) for u in users))
    by_users = [t for t in ctx.surging("access_denied") if t.group in groups]
    return changes + [log_finding(t, 1.5, key) for t in by_users[:1]]


SPEC = FaultSpec(
    name="permission_denied",
    label="permission denied",
    kinds=("iam_role",),
    requires=(
        Sign("cloudtrail", "a policy of the role was detached, deleted or changed (read in us-east-1)"),
        Sign("logs", "AccessDenied errors naming the role"),
    ),
    supports=(Sign("logs", "AccessDenied errors in the logs of the services that run as the role"),),
    claims=r"\bpermission[\s_-]+denied\b|\baccess[\s_-]*denied\b|\bmissing\s+(?:iam\s+)?permissions?\b"
    r"|\bpermissions?\s+(?:error|issue|problem|failure)s?\b",
    next_steps=(
        "Re-attach the detached policy (or restore the removed statement) on the role.",
        "Check which automation changed the role so it does not happen again.",
    ),
    rule=rule,
    changes=CHANGES,
)
