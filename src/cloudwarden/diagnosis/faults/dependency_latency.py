"""A dependency became slow (its own latency rose), and its callers say so."""

from __future__ import annotations

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.rulekit import Finding, log_finding, metric_finding, target_groups_of
from cloudwarden.diagnosis.spec import FaultSpec, Sign, metric

LATENCY_METRICS = {"lambda_function": ("Duration",), "rds_instance": ("ReadLatency", "WriteLatency")}


def rule(ctx: Context, key: str) -> list[Finding]:
    kind = ctx.graph.resources[key].kind
    callers = ctx.graph.dependents(key)
    if kind == "ec2_instance":
        return _slow_host(ctx, key, callers)
    slow = [a for m in LATENCY_METRICS.get(kind, ()) if (a := ctx.metric(key, m, rising=True))]
    if not slow or not callers:
        return []  # not slow, or nothing calls it: a dependency is slow only to its callers
    if kind == "rds_instance" and ctx.metric(key, "CPUUtilization", rising=True):
        return []  # a database slow because its CPU is saturated: cpu_saturation explains it
    best = max(slow, key=lambda a: abs(a.score))
    findings = [Finding(2.0, "metrics", best.onset, key, best.describe())]
    caller_groups = set().union(*(ctx.groups_of(c) for c in callers))
    # Callers say so: slow calls (and, of a database, slow queries) naming it or in their logs.
    categories = ("slow_call", "slow_query") if kind == "rds_instance" else ("slow_call",)
    calls = [
        t
        for c in categories
        for t in ctx.surging(c)
        if key in t.mentions or (t.group in caller_groups and not (t.mentions - {key}))
    ]
    findings += [log_finding(t, 2.0 if i == 0 else 0.2, key) for i, t in enumerate(calls[:2])]
    findings += metric_finding(ctx, key, "ConcurrentExecutions", 0.5)
    for caller in callers:
        for tg in target_groups_of(ctx, caller):
            findings += metric_finding(ctx, tg, "TargetResponseTime", 0.5)
    return findings


def _slow_host(ctx: Context, key: str, callers: list[str]) -> list[Finding]:
    """A host publishes no latency: its callers' timeouts and slow calls naming it show it, with
    their response time, when neither its CPU nor its status checks explain it (those are
    cpu_saturation and instance_failure)."""
    cpu = ctx.metric(key, "CPUUtilization", rising=True)
    checks = [ctx.metric(key, m, rising=True) for m in ("StatusCheckFailed", "StatusCheckFailed_System")]
    if not callers or (cpu is not None and cpu.recent >= 80) or any(checks):
        return []
    named = [t for c in ("slow_call", "timeout") for t in ctx.surging(c) if key in t.mentions]
    if not named:
        return []
    findings = [log_finding(t, 2.0 if i == 0 else 0.2, key) for i, t in enumerate(named[:2])]
    for caller in callers:
        for tg in target_groups_of(ctx, caller):
            findings += metric_finding(ctx, tg, "TargetResponseTime", 1.0)
    return findings


SPEC = FaultSpec(
    name="dependency_latency",
    label="a slow dependency",
    kinds=("lambda_function", "rds_instance", "ec2_instance"),
    requires=(
        metric("lambda_function", "Duration", 1, "the function's duration rose"),
        metric("rds_instance", "ReadLatency", 1, "the database's read latency rose"),
        metric("rds_instance", "WriteLatency", 1, "the database's write latency rose"),
        Sign(
            "logs",
            "timeouts or slow calls naming a host, in its callers' logs, while its CPU and status "
            "checks are normal",
        ),
    ),
    supports=(
        Sign("logs", "slow-call messages (of a database: slow queries) naming it, in its callers' logs"),
        metric("lambda_function", "ConcurrentExecutions", 1, "its concurrent executions rose"),
        metric("target_group", "TargetResponseTime", 1, "its callers' response time rose"),
    ),
    claims=r"\bdependency[\s_-]+latency\b|\bslow\s+(?:dependency|downstream|upstream)\b"
    r"|\blatency\s+(?:of|in)\s+(?:a|the|its)\s+dependency\b",
    next_steps=(
        "Look at what the slow dependency itself waits on (its logs, its own downstream calls).",
        "Give the callers a timeout below their own latency budget, with a fallback, so one slow "
        "dependency does not hold every request.",
    ),
    rule=rule,
)
