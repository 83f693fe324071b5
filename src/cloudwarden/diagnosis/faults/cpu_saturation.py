"""A resource's CPU is pinned near its ceiling (a database, a service, a host) and what depends
on it slows down: found from metrics alone, with or without a change behind it."""

from __future__ import annotations

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.rulekit import (
    Finding,
    log_finding,
    metric_finding,
    target_groups_of,
    templates_about,
    waiting_on_dependencies,
)
from cloudwarden.diagnosis.spec import FaultSpec, Sign, metric


def _at_maximum(ctx: Context, key: str) -> bool:
    a = ctx.graph.resources[key].attributes
    maximum, desired = a.get("max_capacity"), a.get("desired")
    return isinstance(maximum, int) and isinstance(desired, int) and desired >= maximum


def rule(ctx: Context, key: str) -> list[Finding]:
    cpu = ctx.metric(key, "CPUUtilization", rising=True)
    if cpu is None or _at_maximum(ctx, key):
        return []  # a service pinned at its scaling maximum: capacity_limit explains it
    # Saturation is a level, not only a deviation: weigh how close the CPU is to its ceiling.
    weight = 3.0 if cpu.recent >= 80 else 2.0 if cpu.recent >= 60 else 1.0
    findings = [Finding(weight, "metrics", cpu.onset, key, cpu.describe())]
    dependents = ctx.graph.dependents(key)
    findings += [
        log_finding(t, 1.5 if i == 0 else 0.2, key)
        for i, t in enumerate(templates_about(ctx, "slow_query", key, also_groups_of=dependents)[:2])
    ]
    findings += metric_finding(ctx, key, "ReadLatency", 0.5)
    # Where the load comes from, and what it does to the callers.
    for tg in target_groups_of(ctx, key):
        findings += metric_finding(ctx, tg, "RequestCount", 1.0, min_z=3.0)
        findings += metric_finding(ctx, tg, "TargetResponseTime", 1.0, min_z=3.0)
    findings += [log_finding(t, 1.0, key) for t in ctx.surging("timeout") if key in t.mentions][:1]
    if ctx.graph.resources[key].kind == "rds_instance":
        return findings
    # A service's or host's CPU also rises when it is only a victim (retrying a failing dependency)
    # or runs a harmless job: it is a cause only when something shows the load or its effect.
    if len(findings) == 1 or waiting_on_dependencies(ctx, key):
        return []
    return findings


SPEC = FaultSpec(
    name="cpu_saturation",
    label="CPU saturation",
    kinds=("rds_instance", "ecs_service", "ec2_instance"),
    requires=(
        metric("rds_instance", "CPUUtilization", 1, "the database's CPU rose, weighed by how near 100%"),
        metric(
            "ecs_service",
            "CPUUtilization",
            1,
            "the service's CPU rose (below its scaling maximum), with its "
            "load or its effect shown and no failing dependency of its own",
        ),
        metric(
            "ec2_instance", "CPUUtilization", 1, "the instance's CPU rose, with callers' timeouts naming it"
        ),
    ),
    supports=(
        Sign("logs", "slow queries or statement timeouts, in its own or its callers' logs"),
        metric("rds_instance", "ReadLatency", 1, "its read latency rose"),
        metric(
            "target_group", "RequestCount", 1, "its target group's requests rose: where the load comes from"
        ),
        metric("target_group", "TargetResponseTime", 1, "its target group's response time rose"),
        Sign("logs", "callers' timeouts naming it"),
    ),
    claims=r"\bcpu[\s_-]+(?:saturat\w*|exhaust\w*|starv\w*)|\bsaturat\w*\s+(?:the\s+)?cpu\b",
    next_steps=(
        "Find what uses the CPU: the top statements (Performance Insights, pg_stat_statements) for a "
        "database, the hot path (a profile) for a service, the process for a host.",
        "If the load is organic (its requests rose), scale out or up; if it is one job or query, stop or fix it.",
    ),
    rule=rule,
)
