"""The consumer of a queue stopped consuming: scaled to zero, disabled, or idle while work piles up."""

from __future__ import annotations

from cloudwarden.diagnosis.context import Context
from cloudwarden.diagnosis.rulekit import Finding, describe_change, is_new_error, metric_finding, param
from cloudwarden.diagnosis.spec import FaultSpec, Sign, metric

CHANGES = ("UpdateService", "UpdateEventSourceMapping", "DeleteEventSourceMapping")


def rule(ctx: Context, key: str) -> list[Finding]:
    return _flooded(ctx, key) if ctx.graph.resources[key].kind == "sqs_queue" else _stopped_consumer(ctx, key)


def _flooded(ctx: Context, key: str) -> list[Finding]:
    """The queue's backlog grows while its consumers keep consuming: more arrives than they take."""
    growing = metric_finding(ctx, key, "ApproximateNumberOfMessagesVisible", 2.0) or metric_finding(
        ctx, key, "ApproximateAgeOfOldestMessage", 2.0
    )
    if not growing or ctx.metric(key, "NumberOfMessagesDeleted", rising=False) is not None:
        return []  # no backlog, or its consumers slowed down: the consumer is the cause
    if any(_failing(ctx, consumer) for consumer in ctx.graph.dependents(key)):
        return []  # its consumers fail (errors, timeouts): the backlog is their symptom
    return growing + metric_finding(ctx, key, "NumberOfMessagesSent", 1.5)


def _failing(ctx: Context, key: str) -> bool:
    groups = ctx.groups_of(key)
    return ctx.metric(key, "Errors", rising=True) is not None or any(
        t.group in groups and is_new_error(t) for t in ctx.templates
    )


def _stopped_consumer(ctx: Context, key: str) -> list[Finding]:
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
        for c in ctx.suspect_changes(key, CHANGES)
        if param(c, "desiredCount") == 0
        or param(c, "enabled") is False
        or c.name == "DeleteEventSourceMapping"
    ][:1]
    a = resource.attributes
    if resource.kind == "ecs_service" and a.get("desired") == 0 and a.get("running") == 0:
        stopped.append(Finding(1.5, "ecs", None, key, "the service runs 0 tasks (desired count 0)"))
    # Its own work fell to a quarter of usual: a service's CPU, a function's invocations.
    for name in ("CPUUtilization", "Invocations"):
        idle = ctx.metric(key, name, rising=False)
        if idle is not None and idle.recent < 0.25 * idle.baseline:
            stopped.append(Finding(1.0, "metrics", idle.onset, key, idle.describe()))
    if not stopped:
        return []
    findings = list(stopped)
    for queue in queues:
        findings += metric_finding(ctx, queue, "NumberOfMessagesDeleted", 2.0, rising=False)
        findings += metric_finding(ctx, queue, "ApproximateAgeOfOldestMessage", 0.5)
    return findings if len(findings) > len(stopped) else []


SPEC = FaultSpec(
    name="queue_backlog",
    label="a queue backlog",
    kinds=("ecs_service", "lambda_function", "sqs_queue"),
    requires=(
        metric(
            "sqs_queue",
            "ApproximateNumberOfMessagesVisible",
            1,
            "a queue's backlog grew while its "
            "consumers kept deleting (a flood: the queue is where the cause shows)",
        ),
        Sign("cloudtrail", "the consumer was scaled to zero or its event source disabled or deleted"),
        Sign("ecs", "the consumer service runs no task"),
        metric("ecs_service", "CPUUtilization", -1, "the consumer's CPU fell to a quarter of usual"),
        metric("lambda_function", "Invocations", -1, "the consumer's invocations fell to a quarter of usual"),
    ),
    supports=(
        metric("sqs_queue", "NumberOfMessagesDeleted", -1, "messages deleted from its queue fell"),
        metric("sqs_queue", "ApproximateAgeOfOldestMessage", 1, "its queue's oldest message grew older"),
        metric("sqs_queue", "NumberOfMessagesSent", 1, "more messages were sent to the queue"),
    ),
    claims=r"\bqueue[\s_-]+backlog\w*|\bbacklog\w*\s+(?:in|on|of)\s+(?:the\s+)?queue"
    r"|\b(?:stopped|idle|missing)\s+consumers?\b|\bconsumers?\s+(?:stopped|was\s+stopped|scaled\s+to\s+zero)\b",
    next_steps=(
        "Bring the consumer back (restore its desired count or re-enable its event source mapping).",
        "Watch the backlog drain; scale the consumer out temporarily if the oldest message is near "
        "the queue's retention period.",
    ),
    rule=rule,
    changes=CHANGES,
)
