"""EC2 status checks failed: the host or the instance's OS stopped working."""

from __future__ import annotations

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.rulekit import Finding, log_finding, metric_finding
from cloudwarden.diagnosis.spec import FaultSpec, Sign, metric


def rule(ctx: Context, key: str) -> list[Finding]:
    events = ctx.events.get(key, [])
    findings = [Finding(3.0, "ec2", e.time, key, e.message) for e in events if e.kind == "status-check"][:1]
    for name in ("StatusCheckFailed_System", "StatusCheckFailed_Instance", "StatusCheckFailed"):
        found = metric_finding(ctx, key, name, 2.0, min_z=1.5)
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


SPEC = FaultSpec(
    name="instance_failure",
    label="an instance failure",
    kinds=("ec2_instance",),
    requires=(
        Sign("ec2", "the instance's status checks are impaired"),
        metric("ec2_instance", "StatusCheckFailed_System", 1, "its system status check failed"),
        metric("ec2_instance", "StatusCheckFailed_Instance", 1, "its instance status check failed"),
        metric("ec2_instance", "StatusCheckFailed", 1, "a status check failed"),
    ),
    supports=(
        Sign("ec2", "a scheduled event (retirement, maintenance) on the instance"),
        Sign("logs", "timeouts naming the instance"),
        metric("ec2_instance", "CPUUtilization", -1, "its CPU fell"),
    ),
    claims=r"\binstance[\s_-]+failure\b|\bstatus[\s_-]+checks?\s+(?:failed|failure)|\bfailed\s+status\s+checks?\b"
    r"|\b(?:hardware|host)\s+failure\b",
    next_steps=(
        "Stop and start the instance (not reboot) so it moves to healthy hardware, or replace it.",
        "Run the instance in an Auto Scaling group so a failed host is replaced automatically.",
    ),
    rule=rule,
)
