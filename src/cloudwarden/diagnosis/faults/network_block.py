"""A security group change cut a path: callers of what it protects time out."""

from __future__ import annotations

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.rulekit import Finding, changes_found, log_finding, metric_finding
from cloudwarden.diagnosis.spec import FaultSpec, Sign, metric

CHANGES = (
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
    "ModifySecurityGroupRules",
    "UpdateSecurityGroupRuleDescriptionsIngress",
    "DeleteSecurityGroup",
    "ModifyNetworkInterfaceAttribute",
)


def rule(ctx: Context, key: str) -> list[Finding]:
    changes = changes_found(ctx, key, CHANGES, 3.0)
    protected = ctx.graph.protected_by(key)
    timeouts = [t for t in ctx.surging("timeout") if t.mentions & set(protected)]
    if not changes and not timeouts:
        return []
    findings = changes + [log_finding(t, 2.5 if i == 0 else 0.2, key) for i, t in enumerate(timeouts[:2])]
    for resource in protected:
        findings += metric_finding(ctx, resource, "DatabaseConnections", 0.5, rising=False)
    return findings


SPEC = FaultSpec(
    name="network_block",
    label="a network block",
    kinds=("security_group",),
    requires=(
        Sign("cloudtrail", "a rule of the security group was revoked or changed"),
        Sign("logs", "timeouts or refused connections naming a resource the group protects"),
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
