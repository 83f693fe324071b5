"""A security group change cut a path: callers of what it protects time out."""

from __future__ import annotations

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.rulekit import Finding, describe_change, log_finding, metric_finding, param
from cloudwarden.diagnosis.spec import FaultSpec, Sign, metric
from cloudwarden.evidence.model import Change

CHANGES = (
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
    "ModifySecurityGroupRules",
    "UpdateSecurityGroupRuleDescriptionsIngress",
    "DeleteSecurityGroup",
    "ModifyNetworkInterfaceAttribute",
)


def _own_change(ctx: Context, key: str, change: Change) -> bool:
    """The change is to this group's rules, not to another group's rule that names this one as
    its source (a revoke on the database's group names the callers' group too)."""
    changed = param(change, "groupId")
    return not changed or ctx.graph.resources[key].attributes.get("group_id") == changed


def rule(ctx: Context, key: str) -> list[Finding]:
    changes = [
        Finding(3.0, c.source, c.time, key, describe_change(c))
        for c in ctx.suspect_changes(key, CHANGES)
        if _own_change(ctx, key, c)
    ][:1]
    protected = set(ctx.graph.protected_by(key))
    # Timeouts naming what it protects; after a change to its rules, also those in the logs of
    # what uses the protected resources that name nothing (a driver's "connection timeout").
    callers = {d for p in protected for d in ctx.graph.dependents(p)} if changes else set()
    caller_groups = set().union(*(ctx.groups_of(c) for c in callers))
    timeouts = [
        t
        for t in ctx.surging("timeout")
        if t.mentions & protected or (t.group in caller_groups and not t.mentions - callers - protected)
    ]
    if not changes and not timeouts:
        return []
    # Without a change to the group, timeouts say the path is broken, not that the group broke it.
    lead = 2.5 if changes else 1.5
    findings = changes + [log_finding(t, lead if i == 0 else 0.2, key) for i, t in enumerate(timeouts[:2])]
    for resource in protected:
        findings += metric_finding(ctx, resource, "DatabaseConnections", 0.5, rising=False)
    return findings


SPEC = FaultSpec(
    name="network_block",
    label="a network block",
    kinds=("security_group",),
    requires=(
        Sign("cloudtrail", "a rule of the security group was revoked or changed"),
        Sign(
            "logs",
            "timeouts or refused connections naming a resource the group protects, or in the logs of "
            "what uses that resource",
        ),
    ),
    supports=(metric("rds_instance", "DatabaseConnections", -1, "connections to what it protects fell"),),
    claims=r"\bnetwork[\s_-]+block\w*|\bblock(?:ed|s|ing)?\s+(?:network\s+)?(?:traffic|connectivity)\b",
    next_steps=(
        "Restore the revoked security group rule.",
        "Find the change (Terraform, console) that removed it so it is not re-applied.",
    ),
    rule=rule,
    changes=CHANGES,
)
