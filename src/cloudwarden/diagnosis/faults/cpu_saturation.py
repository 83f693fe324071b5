"""A database's CPU is pinned near its ceiling and its queries slow down."""

from __future__ import annotations

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.rulekit import Finding, log_finding, metric_finding, templates_about
from cloudwarden.diagnosis.spec import FaultSpec, Sign, metric


def rule(ctx: Context, key: str) -> list[Finding]:
    cpu = ctx.metric(key, "CPUUtilization", rising=True)
    if cpu is None:
        return []
    # Saturation is a level, not only a deviation: weigh how close the CPU is to its ceiling.
    weight = 3.0 if cpu.recent >= 80 else 2.0 if cpu.recent >= 60 else 1.0
    findings = [Finding(weight, "metrics", cpu.onset, key, cpu.describe())]
    dependents = ctx.graph.dependents(key)
    findings += [
        log_finding(t, 1.5 if i == 0 else 0.2, key)
        for i, t in enumerate(templates_about(ctx, "slow_query", key, also_groups_of=dependents)[:2])
    ]
    findings += metric_finding(ctx, key, "ReadLatency", 0.5)
    return findings


SPEC = FaultSpec(
    name="cpu_saturation",
    label="CPU saturation",
    kinds=("rds_instance",),
    requires=(
        metric("rds_instance", "CPUUtilization", 1, "the database's CPU rose, weighed by how near 100%"),
    ),
    supports=(
        Sign("logs", "slow queries or statement timeouts, in its own or its callers' logs"),
        metric("rds_instance", "ReadLatency", 1, "its read latency rose"),
    ),
    claims=r"\bcpu[\s_-]+(?:saturat\w*|exhaust\w*|starv\w*)|\bsaturat\w*\s+(?:the\s+)?cpu\b",
    next_steps=(
        "Find the top statements by CPU in Performance Insights or pg_stat_statements.",
        "Add the missing index or stop the offending job; scale the instance class if load is organic.",
    ),
    rule=rule,
)
