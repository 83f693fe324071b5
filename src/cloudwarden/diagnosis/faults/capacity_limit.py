"""An ECS service at the maximum of its scalable target, saturated by more work than usual."""

from __future__ import annotations

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.rulekit import (
    Finding,
    describe_change,
    metric_finding,
    param,
    target_groups_of,
    waiting_on_dependencies,
)
from cloudwarden.diagnosis.spec import FaultSpec, Sign, metric

# A service this busy is saturated rather than merely busier than usual.
SATURATED_PERCENT = 80
BUSY_PERCENT = 60
CHANGES = ("UpdateService",)


def rule(ctx: Context, key: str) -> list[Finding]:
    a = ctx.graph.resources[key].attributes
    maximum, desired = a.get("max_capacity"), a.get("desired")
    if not isinstance(maximum, int) or not isinstance(desired, int) or desired < maximum:
        return []
    at_max = Finding(
        2.5,
        "autoscaling",
        None,
        key,
        f"desired count {desired} (running {a.get('running')}) is the maximum ({maximum}) of its "
        "scalable target: it cannot scale out further",
    )
    load = []
    for name in ("CPUUtilization", "MemoryUtilization"):
        found = ctx.metric(key, name, rising=True)
        if found is not None and found.recent >= BUSY_PERCENT:
            weight = 2.0 if found.recent >= SATURATED_PERCENT else 1.5
            load.append(Finding(weight, "metrics", found.onset, key, found.describe()))
    for tg in target_groups_of(ctx, key):
        load += metric_finding(ctx, tg, "RequestCount", 1.0)
    if not load:
        return []  # at its maximum but not saturated: not why the alarm fired
    if waiting_on_dependencies(ctx, key) and not any(f.weight >= 2.0 for f in load):
        return []  # not saturated, and failing on a dependency: the dependency is why
    scale_outs = [
        Finding(1.0, c.source, c.time, key, describe_change(c))
        for c in ctx.suspect_changes(key, CHANGES)
        if param(c, "desiredCount") == maximum
    ]
    return [at_max, *load[:2], *scale_outs[:1]]


SPEC = FaultSpec(
    name="capacity_limit",
    label="a capacity limit",
    kinds=("ecs_service",),
    requires=(Sign("autoscaling", "the service's desired count is the maximum of its scalable target"),),
    supports=(
        metric("ecs_service", "CPUUtilization", 1, "its CPU is busy (60%) or saturated (80%)"),
        metric("ecs_service", "MemoryUtilization", 1, "its memory is busy or saturated"),
        metric("target_group", "RequestCount", 1, "its target group's requests rose"),
        Sign("cloudtrail", "it was scaled out to that maximum"),
    ),
    claims=r"\bcapacity[\s_-]+limit\w*|\bscaling\s+limit\b|\bcannot\s+scale\s+(?:out|up)\s+(?:any\s+)?further\b"
    r"|\bat\s+(?:its\s+)?max(?:imum)?\s+capacity\b",
    next_steps=(
        "Raise the scalable target's maximum capacity (and check the account's Fargate quotas).",
        "Find where the extra load comes from (a campaign, a retry storm, a bot) before adding more.",
    ),
    rule=rule,
    changes=CHANGES,
)
