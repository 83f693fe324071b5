"""A database runs out of allocated storage and its writes fail."""

from __future__ import annotations

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.rulekit import Finding, log_finding, templates_about
from cloudwarden.diagnosis.spec import FaultSpec, Sign, metric


def rule(ctx: Context, key: str) -> list[Finding]:
    free = ctx.metric(key, "FreeStorageSpace", rising=False)
    findings = []
    if free is not None:
        nearly_gone = 1.0 if free.recent < 0.1 * free.baseline else 0.0
        findings.append(Finding(2.0 + nearly_gone, "metrics", free.onset, key, free.describe()))
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


SPEC = FaultSpec(
    name="storage_full",
    label="full storage",
    kinds=("rds_instance",),
    requires=(
        metric("rds_instance", "FreeStorageSpace", -1, "the database's free storage fell"),
        Sign("rds", "an RDS event about storage since the onset"),
    ),
    supports=(Sign("logs", "disk-full errors in its own or its callers' logs"),),
    claims=r"\bstorage[\s_-]+(?:full|exhaust\w*)|\bfull\s+(?:storage|disk)\b|\bdisk[\s_-]+full\b"
    r"|\bout\s+of\s+(?:disk|storage)\b",
    next_steps=(
        "Increase the allocated storage now (or enable storage autoscaling).",
        "Find the table or log that grew and stop its growth.",
    ),
    rule=rule,
)
