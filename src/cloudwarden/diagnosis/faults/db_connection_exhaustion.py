"""A database refuses new connections because every slot is taken."""

from __future__ import annotations

from typing import Any

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.rulekit import Finding, log_finding, metric_finding, templates_about
from cloudwarden.diagnosis.spec import FaultSpec, Proposal, Sign, metric
from cloudwarden.evidence.model import Resource


def rule(ctx: Context, key: str) -> list[Finding]:
    findings = metric_finding(ctx, key, "DatabaseConnections", 2.0)
    logs = templates_about(ctx, "too_many_connections", key)
    findings += [log_finding(t, 3.0 if i == 0 else 0.3, key) for i, t in enumerate(logs[:3])]
    return findings


def reboot(resource: Resource, ctx: Context) -> dict[str, Any]:
    return {"db_instance_identifier": resource.attributes.get("identifier")}


SPEC = FaultSpec(
    name="db_connection_exhaustion",
    label="database connection exhaustion",
    kinds=("rds_instance",),
    requires=(
        metric("rds_instance", "DatabaseConnections", 1, "the database's connection count rose"),
        Sign("logs", "'too many connections' errors naming the database, or in its own logs"),
    ),
    supports=(),
    claims=r"\b(?:(?:db|database)[\s_-]+)?connection[\s_-]+(?:pool[\s_-]+)?exhaust\w*"
    r"|\bexhaust\w*\s+(?:the\s+|its\s+)?(?:(?:db|database)\s+)?connection(?:s|\s+pool)\b"
    r"|\bconnection\s+(?:limit|pool)\s+(?:was\s+)?(?:reached|exhausted)\b",
    next_steps=(
        "Find which clients hold connections (pg_stat_activity) and cap their pool sizes.",
        "Put a connection pooler (RDS Proxy, PgBouncer) in front of the database.",
    ),
    rule=rule,
    remediation=Proposal("reboot_rds_instance", "rds_instance", reboot),
)
