"""An environment or parameter change (the same code) followed by the changed resource's errors."""

from __future__ import annotations

import re
from datetime import datetime

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.rulekit import (
    Finding,
    change_finding,
    dependents_new_errors,
    failed_task_starts,
    is_new_revision,
    is_same_images,
    metric_finding,
    own_new_errors,
    param,
    target_group_errors,
)
from cloudwarden.diagnosis.spec import FaultSpec, Sign, metric
from cloudwarden.evidence.model import Change

CHANGES = (
    "SetQueueAttributes",
    "UpdateFunctionConfiguration",
    "ModifyDBParameterGroup",
    "ResetDBParameterGroup",
    "ModifyDBInstance",
    "ModifyDBClusterParameterGroup",
    "ModifyTargetGroup",
    "Deployment",
)


# How ECS says a load balancer's health check fails a service's tasks (a service event, a task
# it stopped): "(port 8080) is unhealthy in target-group web due to (reason Health checks failed
# with these codes: [404])", "Task failed ELB health checks in (target-group arn:...)".
HEALTH_CHECK_FAILED = re.compile(r"unhealthy in target-group|failed (?:ELB|elb) health checks?", re.I)
# Kinds whose errors show in the logs of the services that use them, not in logs of their own.
WITHOUT_OWN_LOGS = ("sqs_queue", "rds_instance")
QUEUE_SIGNS = (
    "ApproximateAgeOfOldestMessage",
    "ApproximateNumberOfMessagesVisible",
    "NumberOfMessagesReceived",
)


def is_config(change: Change) -> bool:
    if change.name == "SetQueueAttributes":
        return "Policy" not in (param(change, "attributes") or {})  # a policy is about access
    if change.name == "Deployment":
        return is_new_revision(change) and is_same_images(change)
    if change.name == "ModifyDBInstance":
        return bool(param(change, "dBParameterGroupName"))
    return True


def rule(ctx: Context, key: str) -> list[Finding]:
    changes = [c for c in ctx.suspect_changes(key, CHANGES) if is_config(c)]
    if not changes:
        return []
    first = min(c.time for c in changes)
    if ctx.graph.resources[key].kind == "target_group":
        return change_finding(key, changes[0], _health_check_failures(ctx, key, first))
    if ctx.graph.resources[key].kind in WITHOUT_OWN_LOGS:
        return change_finding(
            key, changes[0], dependents_new_errors(ctx, key, first) + _own_signs(ctx, key, first)
        )
    own = own_new_errors(ctx, key, first) + failed_task_starts(ctx, key, first)
    # Its error metric and target group's 5xx add to its own new errors; alone they are symptoms.
    symptoms = metric_finding(ctx, key, "Errors", 1.0) + target_group_errors(ctx, key)
    return change_finding(key, changes[0], own + symptoms if own else [])


def _health_check_failures(ctx: Context, key: str, since: datetime) -> list[Finding]:
    """A target group whose settings changed, then its targets failed its health check: ECS says
    so about the services it routes to, and the group's healthy targets fall (the load balancer
    then answers 502/503 itself). Without the failures, its metrics alone are symptoms."""
    group = ctx.graph.resources[key]
    names = {key, group.name, str(group.attributes.get("dimension") or "")} - {""}
    services = [e.target for e in ctx.graph.edges if e.source == key and e.relation == "target-group"]
    failures = sorted(
        (
            e
            for s in services
            for e in ctx.events.get(s, [])
            if e.time >= since
            and HEALTH_CHECK_FAILED.search(e.message)
            and any(n in e.message for n in names)
        ),
        key=lambda e: e.time,
    )
    if not failures:
        return []
    found = [
        Finding(
            3.0,
            "ecs",
            failures[0].time,
            key,
            f"{len(failures)} health check failures since the change: {failures[0].message}"[:400],
        )
    ]
    found += metric_finding(ctx, key, "UnHealthyHostCount", 1.0)
    found += metric_finding(ctx, key, "HealthyHostCount", 1.0, rising=False)
    balancers = [e.source for e in ctx.graph.edges if e.target == key and e.relation == "routes-to"]
    found += [f for b in balancers for f in metric_finding(ctx, b, "HTTPCode_ELB_5XX_Count", 1.0)][:1]
    return found


def _own_signs(ctx: Context, key: str, since: datetime) -> list[Finding]:
    """What the changed resource itself shows after the change: an RDS event about its
    configuration, its queue metrics moving."""
    events = [
        Finding(1.0, e.source, e.time, key, e.message)
        for e in ctx.events.get(key, [])
        if e.time >= since and re.search(r"parameter|configuration|modif", e.message, re.I)
    ][:1]
    moved = [f for name in QUEUE_SIGNS for f in metric_finding(ctx, key, name, 1.0)][:1]
    return events + moved


SPEC = FaultSpec(
    name="config_change",
    label="a configuration change",
    kinds=("lambda_function", "ecs_service", "rds_instance", "sqs_queue", "target_group"),
    requires=(
        Sign(
            "cloudtrail",
            "a configuration, parameter group, queue attribute or target group (health check) change "
            "to the resource",
        ),
        Sign("ecs", "a deployment of a new revision with the same images (environment only)"),
    ),
    supports=(
        Sign(
            "logs",
            "new errors in the resource's own logs after the change (for a database or a queue: "
            "in the logs of the services that use it)",
        ),
        Sign("rds", "an RDS event about the instance's configuration after the change"),
        Sign("ecs", "the target group's health check failing the tasks of the services it routes to"),
        metric("target_group", "UnHealthyHostCount", 1, "the target group's unhealthy targets rose"),
        metric("target_group", "HealthyHostCount", -1, "the target group's healthy targets fell"),
        metric("load_balancer", "HTTPCode_ELB_5XX_Count", 1, "the load balancer answered 5xx itself"),
        metric("sqs_queue", "ApproximateAgeOfOldestMessage", 1, "the queue's oldest message grew older"),
        metric("lambda_function", "Errors", 1, "the function's errors rose"),
        metric("target_group", "HTTPCode_Target_5XX_Count", 1, "its target group's 5xx rose"),
    ),
    claims=r"\bconfig(?:uration)?[\s_-]+change\w*"
    r"|\b(?:changed|modified|bad|broken|wrong)\s+(?:the\s+|its\s+)?(?:config(?:uration)?|parameters?"
    r"|environment\s+variables?|settings?)\b",
    next_steps=(
        "Revert the configuration change (the previous value is in the CloudTrail event's history).",
        "Diff the environment or parameters before and after the change against what the code expects.",
        "For a target group, compare its health check (path, port, matcher, thresholds) with what "
        "the service answers; restore the previous settings.",
    ),
    rule=rule,
    changes=CHANGES,
)
