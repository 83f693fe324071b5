"""Fault signatures beyond the foundation's: slow dependencies, configuration changes, stopped
consumers, failed secret rotations, services pinned at their capacity, failed EC2 hosts.

Same contract as `faults`: each rule reads only the Context and returns weighted findings, and a
rule without its defining evidence returns nothing.
"""

from __future__ import annotations

from typing import Any

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.faults import (
    Finding,
    change_finding,
    describe_change,
    is_new_revision,
    is_same_images,
    log_finding,
    metric_finding,
    own_new_errors,
    target_group_errors,
    target_groups_of,
)
from cloudwarden.evidence.model import Change

CONFIG_EVENTS = (
    "UpdateFunctionConfiguration",
    "ModifyDBParameterGroup",
    "ResetDBParameterGroup",
    "ModifyDBInstance",
    "ModifyDBClusterParameterGroup",
)
ROTATION_EVENTS = (
    "RotateSecret",
    "PutSecretValue",
    "UpdateSecretVersionStage",
    "UpdateSecret",
    "RotationStarted",
    "RotationSucceeded",
    "RotationFailed",
    "RotationAbandoned",
)
CONSUMER_STOP_EVENTS = ("UpdateService", "UpdateEventSourceMapping", "DeleteEventSourceMapping")
LATENCY_METRICS = {"lambda_function": ("Duration",), "rds_instance": ("ReadLatency", "WriteLatency")}
# A service this busy is saturated rather than merely busier than usual.
SATURATED_PERCENT = 80
BUSY_PERCENT = 60


def _param(change: Change, name: str) -> Any:
    """A request parameter as CloudTrail records it (camelCase), or as the SDK spells it
    ("dBParameterGroupName" / "DBParameterGroupName")."""
    p = change.parameters
    return p.get(name, p.get(name[0].upper() + name[1:]))


def _is_config(change: Change) -> bool:
    if change.name == "Deployment":
        return is_new_revision(change) and is_same_images(change)
    if change.name == "ModifyDBInstance":
        return bool(_param(change, "dBParameterGroupName"))
    return True


def config_change(ctx: Context, key: str) -> list[Finding]:
    """An environment or parameter change (same code) followed by errors of the changed resource."""
    changes = [c for c in ctx.suspect_changes(key, (*CONFIG_EVENTS, "Deployment")) if _is_config(c)]
    if not changes:
        return []
    first = min(c.time for c in changes)
    support = own_new_errors(ctx, key, first) + metric_finding(ctx, key, "Errors", 1.0)
    return change_finding(key, changes[0], support + target_group_errors(ctx, key))


def dependency_latency(ctx: Context, key: str) -> list[Finding]:
    """A dependency became slow (its own latency rose), and its callers say so."""
    kind = ctx.graph.resources[key].kind
    slow = [a for m in LATENCY_METRICS.get(kind, ()) if (a := ctx.metric(key, m, rising=True))]
    if not slow:
        return []
    if kind == "rds_instance" and ctx.metric(key, "CPUUtilization", rising=True):
        return []  # a database slow because its CPU is saturated: cpu_saturation explains it
    best = max(slow, key=lambda a: abs(a.score))
    findings = [Finding(2.0, "metrics", best.onset, key, best.describe())]
    callers = ctx.graph.dependents(key)
    caller_groups = set().union(*(ctx.groups_of(c) for c in callers)) if callers else set()
    calls = [
        t
        for t in ctx.surging("slow_call")
        if key in t.mentions or (t.group in caller_groups and not (t.mentions - {key}))
    ]
    findings += [log_finding(t, 2.0 if i == 0 else 0.2, key) for i, t in enumerate(calls[:2])]
    findings += metric_finding(ctx, key, "ConcurrentExecutions", 0.5)
    for caller in callers:
        for tg in target_groups_of(ctx, caller):
            findings += metric_finding(ctx, tg, "TargetResponseTime", 0.5)
    return findings


def queue_backlog(ctx: Context, key: str) -> list[Finding]:
    """The consumer of a queue stopped consuming: scaled to zero, disabled, or idle while work piles up."""
    resource = ctx.graph.resources[key]
    queues = [
        e.target
        for e in ctx.graph.edges
        if e.source == key
        and e.relation in ("env-reference", "event-source")
        and getattr(ctx.graph.resources.get(e.target), "kind", None) == "sqs_queue"
    ]
    if not queues:
        return []
    stopped = [
        Finding(3.0, c.source, c.time, key, describe_change(c))
        for c in ctx.suspect_changes(key, CONSUMER_STOP_EVENTS)
        if _param(c, "desiredCount") == 0
        or _param(c, "enabled") is False
        or c.name == "DeleteEventSourceMapping"
    ][:1]
    a = resource.attributes
    if resource.kind == "ecs_service" and a.get("desired") == 0 and a.get("running") == 0:
        stopped.append(Finding(1.5, "ecs", None, key, "the service runs 0 tasks (desired count 0)"))
    cpu = ctx.metric(key, "CPUUtilization", rising=False)
    if cpu is not None and cpu.recent < 0.25 * cpu.baseline:
        stopped.append(Finding(1.0, "metrics", cpu.onset, key, cpu.describe()))
    if not stopped:
        return []
    findings = list(stopped)
    for queue in queues:
        findings += metric_finding(ctx, queue, "NumberOfMessagesDeleted", 2.0, rising=False)
        findings += metric_finding(ctx, queue, "ApproximateAgeOfOldestMessage", 0.5)
    return findings if len(findings) > len(stopped) else []


def secret_rotation_failure(ctx: Context, key: str) -> list[Finding]:
    """A secret changed (rotation) and the services that read it fail to authenticate."""
    changes = ctx.suspect_changes(key, ROTATION_EVENTS)
    readers = [e.source for e in ctx.graph.edges if e.target == key and e.relation == "secret-reference"]
    groups = set().union(*(ctx.groups_of(r) for r in readers)) if readers else set()
    failures = ctx.surging("auth_failed")
    by_readers = [t for t in failures if t.group in groups]
    if not changes and not by_readers:
        return []
    findings = [Finding(3.0, c.source, c.time, key, describe_change(c)) for c in changes[:1]]
    findings += [log_finding(t, 2.5 if i == 0 else 0.2, key) for i, t in enumerate(by_readers[:2])]
    elsewhere = [t for t in failures if t.group not in groups]
    findings += [log_finding(t, 0.5, key) for t in elsewhere[:1]]
    return findings


def capacity_limit(ctx: Context, key: str) -> list[Finding]:
    """An ECS service at the maximum of its scalable target, saturated by more work than usual."""
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
    for metric in ("CPUUtilization", "MemoryUtilization"):
        found = ctx.metric(key, metric, rising=True)
        if found is not None and found.recent >= BUSY_PERCENT:
            weight = 2.0 if found.recent >= SATURATED_PERCENT else 1.5
            load.append(Finding(weight, "metrics", found.onset, key, found.describe()))
    for tg in target_groups_of(ctx, key):
        load += metric_finding(ctx, tg, "RequestCount", 1.0)
    if not load:
        return []  # at its maximum but not saturated: not why the alarm fired
    scale_outs = [
        Finding(1.0, c.source, c.time, key, describe_change(c))
        for c in ctx.suspect_changes(key, ("UpdateService",))
        if _param(c, "desiredCount") == maximum
    ]
    return [at_max, *load[:2], *scale_outs[:1]]


def instance_failure(ctx: Context, key: str) -> list[Finding]:
    """EC2 status checks failed: the host or the instance's OS stopped working."""
    events = ctx.events.get(key, [])
    findings = [Finding(3.0, "ec2", e.time, key, e.message) for e in events if e.kind == "status-check"][:1]
    for metric in ("StatusCheckFailed_System", "StatusCheckFailed_Instance", "StatusCheckFailed"):
        found = metric_finding(ctx, key, metric, 2.0, min_z=1.5)
        if found:
            findings += found
            break
    if not findings:
        return []
    findings += [Finding(1.0, "ec2", e.time, key, e.message) for e in events if e.kind == "scheduled-event"][
        :1
    ]
    timeouts = [t for t in ctx.surging("timeout") if key in t.mentions]
    findings += [log_finding(t, 1.0, key) for t in timeouts[:1]]
    findings += metric_finding(ctx, key, "CPUUtilization", 0.5, rising=False)
    return findings
