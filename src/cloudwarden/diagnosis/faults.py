"""Fault signatures: how each fault type shows through AWS APIs, scored per candidate resource.

Each rule reads only the Context (metrics, log templates, changes, events, topology) and returns
the evidence it found with a weight. A rule with no defining evidence scores nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.signals import LogTemplate
from cloudwarden.evidence.model import Change


@dataclass(frozen=True)
class Finding:
    weight: float
    source: str
    time: datetime | None
    resource: str
    summary: str


Rule = Callable[[Context, str], list[Finding]]

DEPLOY_EVENTS = (
    "Deployment",
    "UpdateService",
    "CreateService",
    "RegisterTaskDefinition",
    "UpdateFunctionCode",
)
CONCURRENCY_EVENTS = (
    "PutFunctionConcurrency",
    "DeleteFunctionConcurrency",
    "PutProvisionedConcurrencyConfig",
)
SG_EVENTS = (
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
    "ModifySecurityGroupRules",
    "UpdateSecurityGroupRuleDescriptionsIngress",
    "DeleteSecurityGroup",
    "ModifyNetworkInterfaceAttribute",
)
# Log categories that say a dependency failed (the network, a database, a permission, a quota).
DEPENDENCY_FAILURES = frozenset(
    {"timeout", "too_many_connections", "disk_full", "access_denied", "throttled", "auth_failed"}
)
IAM_EVENTS = (
    "DetachRolePolicy",
    "DeleteRolePolicy",
    "PutRolePolicy",
    "UpdateAssumeRolePolicy",
    "PutRolePermissionsBoundary",
    "AttachRolePolicy",
)


def log_finding(t: LogTemplate, weight: float, resource: str) -> Finding:
    return Finding(weight, "logs", t.first_recent, resource, t.describe())


def templates_about(
    ctx: Context, category: str, key: str, *, also_groups_of: tuple[str, ...] | list[str] = ()
) -> list[LogTemplate]:
    groups = ctx.groups_of(key).union(*(ctx.groups_of(k) for k in also_groups_of))
    return [t for t in ctx.surging(category) if key in t.mentions or t.group in groups]


def metric_finding(
    ctx: Context, key: str, name: str, weight: float, *, rising: bool = True, min_z: float = 4.0
) -> list[Finding]:
    found = ctx.metric(key, name, rising=rising, min_z=min_z)
    return [Finding(weight, "metrics", found.onset, key, found.describe())] if found else []


# A change nothing of its own corroborates is context, not a cause: teams deploy all day, and a
# healthy deployment near the incident is the commonest decoy in a real account.
CORROBORATED_CHANGE_WEIGHT = 2.0
UNCORROBORATED_CHANGE_WEIGHT = 0.2


def change_finding(key: str, change: Change, support: list[Finding]) -> list[Finding]:
    """The change as evidence, weighed by whether the changed resource shows something new after
    it (`support`: its own new errors, its target group's errors, its error metric)."""
    weight = CORROBORATED_CHANGE_WEIGHT if support else UNCORROBORATED_CHANGE_WEIGHT
    return [Finding(weight, change.source, change.time, key, describe_change(change)), *support]


def bad_deploy(ctx: Context, key: str) -> list[Finding]:
    deploys = [c for c in ctx.suspect_changes(key, DEPLOY_EVENTS) if _is_new_code(c)]
    if not deploys:
        return []
    first = min(c.time for c in deploys)
    return change_finding(key, deploys[0], own_new_errors(ctx, key, first) + target_group_errors(ctx, key))


def own_new_errors(ctx: Context, key: str, since: datetime) -> list[Finding]:
    """New errors in the resource's own logs since `since` that no dependency explains.

    A timeout naming the database points at the path to the database, not at the code (or the
    configuration) that changed.
    """
    errors = [
        t
        for t in ctx.templates
        if t.group in ctx.groups_of(key)
        and t.is_error
        and t.recent_count >= 5
        and t.baseline_count * 10 < t.recent_count
        and t.first_recent
        and t.first_recent >= since
        and not (t.categories & DEPENDENCY_FAILURES)
        and not (t.mentions - {key})
    ]
    return [log_finding(t, 3.0 if i == 0 else 0.3, key) for i, t in enumerate(errors[:3])]


def target_group_errors(ctx: Context, key: str) -> list[Finding]:
    findings = []
    for tg in target_groups_of(ctx, key):
        findings += metric_finding(ctx, tg, "HTTPCode_Target_5XX_Count", 1.0)
    return findings


def target_groups_of(ctx: Context, key: str) -> list[str]:
    return [e.source for e in ctx.graph.edges if e.target == key and e.relation == "target-group"]


def _is_new_code(change: Change) -> bool:
    """A deployment of different code, not a scale-out, a no-op or a configuration-only change."""
    p = change.parameters
    if change.name == "Deployment":
        return is_new_revision(change) and not is_same_images(change)
    if change.name == "UpdateService":
        return bool(p.get("taskDefinition") or p.get("forceNewDeployment"))
    return True


def is_new_revision(change: Change) -> bool:
    """A deployment that replaced one task definition revision with another (not a scale-out)."""
    p = change.parameters
    return p.get("previous_task_definition") not in (None, p.get("task_definition"))


def is_same_images(change: Change) -> bool:
    """A deployment whose new revision runs exactly the images of the previous one."""
    images, before = change.parameters.get("images") or [], change.parameters.get("previous_images") or []
    return bool(images) and sorted(images) == sorted(before)


def memory_leak(ctx: Context, key: str) -> list[Finding]:
    findings = metric_finding(ctx, key, "MemoryUtilization", 2.0)
    oom = [
        e
        for e in ctx.events.get(key, [])
        if e.kind == "task-stopped"
        and (137 in e.data.get("exit_codes", []) or "OutOfMemory" in e.message)
        and e.time >= ctx.onset
    ]
    if oom:
        findings.append(
            Finding(3.0, "ecs", oom[0].time, key, f"{len(oom)} tasks stopped since onset: {oom[0].message}")
        )
    if not findings:
        return []
    findings += [log_finding(t, 1.0, key) for t in templates_about(ctx, "out_of_memory", key)[:1]]
    return findings


def cpu_saturation(ctx: Context, key: str) -> list[Finding]:
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


def db_connection_exhaustion(ctx: Context, key: str) -> list[Finding]:
    findings = metric_finding(ctx, key, "DatabaseConnections", 2.0)
    logs = templates_about(ctx, "too_many_connections", key)
    findings += [log_finding(t, 3.0 if i == 0 else 0.3, key) for i, t in enumerate(logs[:3])]
    return findings


def storage_full(ctx: Context, key: str) -> list[Finding]:
    free = ctx.metric(key, "FreeStorageSpace", rising=False)
    findings = []
    if free is not None:
        findings.append(
            Finding(
                2.0 + (1.0 if free.recent < 0.1 * free.baseline else 0.0),
                "metrics",
                free.onset,
                key,
                free.describe(),
            )
        )
    events = [e for e in ctx.events.get(key, []) if "storage" in e.message.lower() and e.time >= ctx.onset]
    findings += [Finding(1.5, "rds", e.time, key, e.message) for e in events[:1]]
    if not findings:
        return []
    findings += [
        log_finding(t, 1.5 if i == 0 else 0.2, key)
        for i, t in enumerate(
            templates_about(ctx, "disk_full", key, also_groups_of=ctx.graph.dependents(key))[:2]
        )
    ]
    return findings


def throttling(ctx: Context, key: str) -> list[Finding]:
    findings = metric_finding(ctx, key, "Throttles", 2.5)
    findings += [
        Finding(2.0, c.source, c.time, key, describe_change(c))
        for c in ctx.suspect_changes(key, CONCURRENCY_EVENTS)[:1]
    ]
    if not findings:
        return []
    findings += [
        log_finding(t, 1.0, key)
        for t in templates_about(ctx, "throttled", key, also_groups_of=ctx.graph.dependents(key))[:1]
    ]
    return findings


def network_block(ctx: Context, key: str) -> list[Finding]:
    changes = ctx.suspect_changes(key, SG_EVENTS)
    protected = ctx.graph.protected_by(key)
    timeouts = [t for t in ctx.surging("timeout") if t.mentions & set(protected)]
    if not changes and not timeouts:
        return []
    findings = [Finding(3.0, c.source, c.time, key, describe_change(c)) for c in changes[:1]]
    findings += [log_finding(t, 2.5 if i == 0 else 0.2, key) for i, t in enumerate(timeouts[:2])]
    for resource in protected:
        findings += metric_finding(ctx, resource, "DatabaseConnections", 0.5, rising=False)
    return findings


def permission_denied(ctx: Context, key: str) -> list[Finding]:
    changes = ctx.suspect_changes(key, IAM_EVENTS)
    users = [e.source for e in ctx.graph.edges if e.target == key and e.relation in ("task-role", "role")]
    denied = [t for t in ctx.surging("access_denied") if key in t.mentions]
    denied_by_users = (
        [
            t
            for t in ctx.surging("access_denied")
            if t.group in set().union(*(ctx.groups_of(u) for u in users))
        ]
        if users
        else []
    )
    if not changes and not denied:
        return []
    findings = [Finding(3.0, c.source, c.time, key, describe_change(c)) for c in changes[:1]]
    if denied:
        findings.append(log_finding(denied[0], 2.5, key))
    elif denied_by_users:
        findings.append(log_finding(denied_by_users[0], 1.5, key))
    return findings


def describe_change(change: Change) -> str:
    if change.source == "ecs-deployment":
        p = change.parameters
        images = ", ".join(p.get("images") or []) or p.get("task_definition", "")
        before = ", ".join(p.get("previous_images") or []) or p.get("previous_task_definition") or "?"
        return f"deployment {p.get('deployment', '')} ({p.get('rollout_state') or p.get('status')}): {before} -> {images}"
    return f"CloudTrail {change.name} by {change.actor} {_short(change.parameters)}"


def _short(parameters: dict[str, object]) -> str:
    text = ", ".join(f"{k}={v}" for k, v in parameters.items())
    return f"({text[:200]})" if text else ""
