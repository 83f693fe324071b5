"""A service's memory climbs until its tasks are killed for running out of it."""

from __future__ import annotations

from typing import Any

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.rulekit import Finding, log_finding, metric_finding, templates_about
from cloudwarden.diagnosis.spec import FaultSpec, Proposal, Sign, metric
from cloudwarden.evidence.model import Resource


def rule(ctx: Context, key: str) -> list[Finding]:
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


def restart(resource: Resource, ctx: Context) -> dict[str, Any]:
    cluster = str(resource.attributes.get("cluster") or "")
    # The cluster's name: ECS takes a name or a full ARN, not the ARN's "cluster/<name>" resource part.
    return {"cluster": cluster.rsplit("/", 1)[-1], "service": resource.name}


SPEC = FaultSpec(
    name="memory_leak",
    label="a memory leak",
    kinds=("ecs_service",),
    requires=(
        metric("ecs_service", "MemoryUtilization", 1, "the service's memory utilisation rose"),
        Sign("ecs", "tasks stopped with exit code 137 or OutOfMemory since the onset"),
    ),
    supports=(Sign("logs", "out-of-memory errors in the service's logs"),),
    claims=r"\bmemory[\s_-]+leak\w*|\bleak(?:s|ing|ed)?\s+memory\b",
    next_steps=(
        "Restart the service's tasks to relieve pressure while the leak is found.",
        "Take a heap profile of a task before it is killed; compare with the last release.",
        "Raise the task's memory only as a stopgap.",
    ),
    rule=rule,
    remediation=Proposal("restart_ecs_service", "ecs_service", restart),
)
