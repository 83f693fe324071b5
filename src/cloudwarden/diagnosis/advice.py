"""Next steps and the remediation that fits each fault type, if one does."""

from __future__ import annotations

from cloudwarden.actions.catalog import REMEDIATIONS
from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.model import SuggestedAction
from cloudwarden.evidence.model import Resource

NEXT_STEPS: dict[str, list[str]] = {
    "bad_deploy": [
        "Roll the service back to the previous task definition revision.",
        "Compare the new revision's image and environment with the previous one.",
        "Look at the commits between the two images for the code path in the new exceptions.",
    ],
    "memory_leak": [
        "Restart the service's tasks to relieve pressure while the leak is found.",
        "Take a heap profile of a task before it is killed; compare with the last release.",
        "Raise the task's memory only as a stopgap.",
    ],
    "cpu_saturation": [
        "Find the top statements by CPU in Performance Insights or pg_stat_statements.",
        "Add the missing index or stop the offending job; scale the instance class if load is organic.",
    ],
    "db_connection_exhaustion": [
        "Find which clients hold connections (pg_stat_activity) and cap their pool sizes.",
        "Put a connection pooler (RDS Proxy, PgBouncer) in front of the database.",
    ],
    "storage_full": [
        "Increase the allocated storage now (or enable storage autoscaling).",
        "Find the table or log that grew and stop its growth.",
    ],
    "throttling": [
        "Restore the function's reserved concurrency to its previous value.",
        "Check who changed it and why (the CloudTrail event is in the evidence).",
    ],
    "network_block": [
        "Restore the revoked security group rule.",
        "Find the change (Terraform, console) that removed it so it is not re-applied.",
    ],
    "dependency_latency": [
        "Look at what the slow dependency itself waits on (its logs, its own downstream calls).",
        "Give the callers a timeout below their own latency budget, with a fallback, so one slow "
        "dependency does not hold every request.",
    ],
    "config_change": [
        "Revert the configuration change (the previous value is in the CloudTrail event's history).",
        "Diff the environment or parameters before and after the change against what the code expects.",
    ],
    "queue_backlog": [
        "Bring the consumer back (restore its desired count or re-enable its event source mapping).",
        "Watch the backlog drain; scale the consumer out temporarily if the oldest message is near "
        "the queue's retention period.",
    ],
    "secret_rotation_failure": [
        "Check the rotation function's logs for the step that failed (createSecret, setSecret, testSecret).",
        "Set the database password to the secret's AWSCURRENT value, or move AWSCURRENT back to the "
        "previous version (UpdateSecretVersionStage) so clients get a password the database accepts.",
    ],
    "capacity_limit": [
        "Raise the scalable target's maximum capacity (and check the account's Fargate quotas).",
        "Find where the extra load comes from (a campaign, a retry storm, a bot) before adding more.",
    ],
    "instance_failure": [
        "Stop and start the instance (not reboot) so it moves to healthy hardware, or replace it.",
        "Run the instance in an Auto Scaling group so a failed host is replaced automatically.",
    ],
    "permission_denied": [
        "Re-attach the detached policy (or restore the removed statement) on the role.",
        "Check which automation changed the role so it does not happen again.",
    ],
}


def suggested_action(fault: str, resource: Resource, ctx: Context) -> SuggestedAction | None:
    attrs = resource.attributes
    if fault == "memory_leak" and resource.kind == "ecs_service":
        r = REMEDIATIONS["restart_ecs_service"]
        return SuggestedAction(
            name=r.name, title=r.title, params={"cluster": attrs.get("cluster"), "service": resource.name}
        )
    if fault == "db_connection_exhaustion" and resource.kind == "rds_instance":
        r = REMEDIATIONS["reboot_rds_instance"]
        return SuggestedAction(
            name=r.name, title=r.title, params={"db_instance_identifier": attrs.get("identifier")}
        )
    if fault == "throttling" and resource.kind == "lambda_function":
        r = REMEDIATIONS["set_lambda_concurrency"]
        peak = max(
            (
                a.baseline
                for a in ctx.anomalies.get(resource.key, [])
                if a.series.metric == "ConcurrentExecutions"
            ),
            default=0.0,
        )
        previous = _previous_concurrency(ctx, resource.key)
        value = previous if previous is not None else max(10, int(peak * 3))
        return SuggestedAction(
            name=r.name,
            title=r.title,
            params={"function_name": attrs.get("function_name"), "reserved_concurrency": value},
        )
    return None


def _previous_concurrency(ctx: Context, key: str) -> int | None:
    """The last reserved concurrency set before the suspect change, if CloudTrail shows it."""
    settings = [
        c
        for c in ctx.changes.get(key, [])
        if c.name == "PutFunctionConcurrency" and c.time < ctx.onset - (ctx.alarm_time - ctx.onset)
    ]
    for change in reversed(settings):
        value = change.parameters.get("reservedConcurrentExecutions") or change.parameters.get(
            "ReservedConcurrentExecutions"
        )
        if isinstance(value, int):
            return value
    return None
