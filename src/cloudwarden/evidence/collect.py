"""Collect every piece of evidence for one alarm: discovery, then scoped metrics, logs, changes.

AWS calls are made here and only here; the engine then reasons over the bundle offline.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

from cloudwarden.aws.arns import dimension_value
from cloudwarden.aws.probe import DENIED_CODES
from cloudwarden.diagnosis import engine, topology
from cloudwarden.errors import NotFound, NothingToInvestigate, PermissionDenied
from cloudwarden.evidence import github as github_evidence
from cloudwarden.evidence.collectors import (
    alarms,
    autoscaling,
    cloudtrail,
    ec2,
    ecs,
    elbv2,
    findings,
    lambda_functions,
    logs,
    metrics,
    rds,
)
from cloudwarden.evidence.context import CollectContext
from cloudwarden.evidence.model import AlarmInfo, EvidenceBundle, Resource

MAX_LOG_GROUPS = 8
AFTERMATH_MINUTES = 15
CANDIDATE_DEPTH = 3
# An investigation's AWS API calls are capped; log groups, read one call each, get what is left
# after every other read, closest to the alarm first.
CALL_BUDGET = 30
MAX_CONCURRENCY_LOOKUPS = 3
THROTTLE_LOOKBACK = timedelta(minutes=15)

# The metrics AWS publishes for each resource kind that the fault signatures read.
METRICS_BY_KIND: dict[str, list[tuple[str, str, str]]] = {
    "ecs_service": [("AWS/ECS", "CPUUtilization", "Average"), ("AWS/ECS", "MemoryUtilization", "Average")],
    "rds_instance": [
        ("AWS/RDS", "CPUUtilization", "Average"),
        ("AWS/RDS", "DatabaseConnections", "Maximum"),
        ("AWS/RDS", "FreeStorageSpace", "Minimum"),
        ("AWS/RDS", "ReadLatency", "Average"),
        ("AWS/RDS", "WriteLatency", "Average"),
    ],
    "lambda_function": [
        ("AWS/Lambda", "Invocations", "Sum"),
        ("AWS/Lambda", "Errors", "Sum"),
        ("AWS/Lambda", "Throttles", "Sum"),
        ("AWS/Lambda", "Duration", "Average"),
        ("AWS/Lambda", "ConcurrentExecutions", "Maximum"),
    ],
    "target_group": [
        ("AWS/ApplicationELB", "RequestCount", "Sum"),
        ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum"),
        ("AWS/ApplicationELB", "TargetResponseTime", "Average"),
    ],
    "sqs_queue": [
        ("AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum"),
        ("AWS/SQS", "NumberOfMessagesDeleted", "Sum"),
    ],
    "ec2_instance": [
        ("AWS/EC2", "CPUUtilization", "Average"),
        ("AWS/EC2", "StatusCheckFailed", "Maximum"),
        ("AWS/EC2", "StatusCheckFailed_System", "Maximum"),
        ("AWS/EC2", "StatusCheckFailed_Instance", "Maximum"),
    ],
}


class AlarmNotFound(NotFound):
    pass


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60} min ago"
    return f"{minutes // (24 * 60)} days ago"


def _at(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def investigated_moment(
    ctx: CollectContext, cw: Any, alarm: AlarmInfo, *, at: datetime | None, lookback_minutes: int
) -> tuple[AlarmInfo, list[str]]:
    """The moment to explain (as the alarm's state_changed_at) and notes on how it was chosen.

    The alarm's transition into ALARM: now, if it is in ALARM; else its last one in the history,
    if within the lookback. `at` (the user's explicit window) overrides both. Otherwise there is
    nothing to diagnose, and NothingToInvestigate says why: an investigation never invents one.
    """
    now = datetime.now(UTC)
    lookback = timedelta(minutes=lookback_minutes)
    if at is not None:
        note = f"window chosen explicitly around {_at(at)}; the alarm is {alarm.state} now"
        return alarm.model_copy(update={"state_changed_at": at}), [note]
    if alarm.state == "ALARM":
        notes = []
        if now - alarm.state_changed_at > lookback:
            notes.append(
                f"in ALARM since {_at(alarm.state_changed_at)} ({_ago(now - alarm.state_changed_at)}, longer "
                f"than the {lookback_minutes}-minute lookback): the evidence is from around that transition"
            )
        return alarm, notes
    since = f"{alarm.state} since {_at(alarm.state_changed_at)}"
    raw = ctx.guarded(alarms.SOURCE, "cloudwatch", lambda: alarms.get_transitions(cw, alarm.name))
    if raw is None:
        raise NothingToInvestigate(
            f"alarm {alarm.name} is {since}, and its history could not be read "
            f"({ctx.gaps[-1].describe()}), so there is no transition into ALARM to explain",
            hint="pass --at TIME to investigate the window around a moment you choose",
        )
    last = next((t for t in alarms.transform_transitions(raw) if t.new == "ALARM"), None)
    if last is None:
        raise NothingToInvestigate(
            f"alarm {alarm.name} is {since} and has not gone into ALARM in its history "
            "(CloudWatch keeps 14 days): there is nothing to diagnose",
            hint="pass --at TIME to investigate the window around a moment you choose",
        )
    if now - last.at > lookback:
        raise NothingToInvestigate(
            f"alarm {alarm.name} is {since}; it last went into ALARM at {_at(last.at)} "
            f"({_ago(now - last.at)}), before the {lookback_minutes}-minute lookback",
            hint=f"pass --at {last.at.astimezone(UTC):%Y-%m-%dT%H:%M}Z to investigate the window around it",
        )
    note = f"went into ALARM at {_at(last.at)} and is {since}"
    return alarm.model_copy(update={"state_changed_at": last.at}), [note]


def _dimensions(resource: Resource) -> tuple[tuple[str, str], ...]:
    a = resource.attributes
    if resource.kind == "ecs_service":
        return (("ClusterName", str(a.get("cluster_name"))), ("ServiceName", resource.name))
    if resource.kind == "rds_instance":
        return (("DBInstanceIdentifier", str(a.get("identifier"))),)
    if resource.kind == "lambda_function":
        return (("FunctionName", str(a.get("function_name"))),)
    if resource.kind == "sqs_queue":
        return (("QueueName", str(a.get("queue_name"))),)
    if resource.kind == "ec2_instance":
        return (("InstanceId", resource.key),)
    if resource.kind == "target_group":
        balancers = a.get("load_balancers") or []
        dims = [("TargetGroup", str(a.get("dimension")))]
        if balancers:
            dims.append(("LoadBalancer", dimension_value(str(balancers[0]))))
        return tuple(dims)
    return ()


def metric_queries(
    resources: list[Resource], alarm: AlarmInfo, alarm_resource: str | None
) -> list[metrics.MetricQuery]:
    queries = [
        metrics.MetricQuery(r.key, namespace, name, stat, _dimensions(r))
        for r in resources
        for namespace, name, stat in METRICS_BY_KIND.get(r.kind, [])
    ]
    if alarm.namespace and alarm.metric and alarm.statistic:
        own = metrics.MetricQuery(
            alarm_resource or alarm.arn,
            alarm.namespace,
            alarm.metric,
            alarm.statistic,
            tuple(sorted(alarm.dimensions.items())),
        )
        if not any(
            (q.namespace, q.metric, dict(q.dimensions)) == (own.namespace, own.metric, alarm.dimensions)
            for q in queries
        ):
            queries.append(own)
    return queries


def log_groups(resources: list[Resource]) -> dict[str, str]:
    groups: dict[str, str] = {}
    for resource in resources:
        names = list(resource.attributes.get("log_groups") or [])
        if resource.kind == "rds_instance":
            names += [
                f"/aws/rds/instance/{resource.attributes.get('identifier')}/{e}"
                for e in resource.attributes.get("log_exports", [])
            ]
        for name in names:
            groups.setdefault(str(name), resource.key)
    return groups


def _discover(ctx: CollectContext, bundle: EvidenceBundle) -> list[Resource]:
    """What the account runs (ECS, RDS, Lambda, EC2, ELB), with deployments and service events."""
    resources: list[Resource] = []
    raw_ecs: Any = ctx.guarded(ecs.SOURCE, "ecs", lambda: ecs.get(ctx.client("ecs")))
    if raw_ecs is not None:
        ecs_resources, deployments, ecs_events = ecs.transform(raw_ecs)
        resources += ecs_resources
        bundle.changes += deployments
        bundle.events += [e for e in ecs_events if bundle.window_start <= e.time <= bundle.window_end]
    raw_rds: Any = ctx.guarded(
        rds.SOURCE,
        "rds",
        lambda: rds.get(ctx.client("rds"), start=bundle.window_start, end=bundle.window_end),
    )
    if raw_rds is not None:
        rds_resources, rds_events = rds.transform(raw_rds)
        resources += rds_resources
        bundle.events += rds_events
    raw_lambda: Any = ctx.guarded(
        lambda_functions.SOURCE, "lambda", lambda: lambda_functions.get(ctx.client("lambda"))
    )
    if raw_lambda is not None:
        fn_resources, fn_edges = lambda_functions.transform(raw_lambda)
        resources += fn_resources
        bundle.edges += fn_edges
    raw_ec2: Any = ctx.guarded(ec2.SOURCE, "ec2", lambda: ec2.get(ctx.client("ec2")))
    if raw_ec2 is not None:
        resources += ec2.transform(raw_ec2, region=ctx.session.region)
    raw_elb: Any = ctx.guarded(elbv2.SOURCE, "elbv2", lambda: elbv2.get(ctx.client("elbv2")))
    if raw_elb is not None:
        resources += elbv2.transform(raw_elb)
    return resources


def collect(
    ctx: CollectContext,
    *,
    alarm_name: str,
    lookback_minutes: int,
    github: github_evidence.GitHubConfig | None = None,
    at: datetime | None = None,
) -> EvidenceBundle:
    """Everything about the alarm's transition into ALARM (or the window around `at`).

    Raises AlarmNotFound for an alarm that does not exist or cannot be read, and
    NothingToInvestigate when the alarm has no recent transition into ALARM and no `at` is given.
    """
    session = ctx.session
    cw = ctx.client("cloudwatch")
    raw_alarms = ctx.guarded(alarms.SOURCE, "cloudwatch", lambda: alarms.get_alarms(cw, [alarm_name]))
    if raw_alarms is None:
        gap = ctx.gaps[-1]
        if gap.code in DENIED_CODES:  # the alarm may well exist: the role may not read it
            raise PermissionDenied(
                f"the account's role may not read alarm {alarm_name!r}: {gap.describe()}",
                hint="deploy the generated policy (cloudwarden iam-template), which grants cloudwatch:DescribeAlarms",
            )
        raise AlarmNotFound(f"cannot read alarm {alarm_name!r}: {gap.describe()}")
    infos = [alarms.transform_alarm(a) for a in raw_alarms]
    found = next((a for a in infos if a.name == alarm_name), None)
    if found is None:
        raise AlarmNotFound(
            f"no CloudWatch alarm named {alarm_name!r} in {session.account_id}/{session.region}",
            hint="alarm names are case-sensitive; --region selects another region",
        )
    alarm, notes = investigated_moment(ctx, cw, found, at=at, lookback_minutes=lookback_minutes)
    # Up to now, but not long past the alarm: an old alarm's aftermath (recovery) is not evidence.
    end = min(datetime.now(UTC), alarm.state_changed_at + timedelta(minutes=AFTERMATH_MINUTES))
    start = end - timedelta(minutes=lookback_minutes)
    bundle = EvidenceBundle(
        account_id=session.account_id,
        region=session.region,
        alarm=alarm,
        window_start=start,
        window_end=end,
        notes=notes,
    )
    resources = _discover(ctx, bundle)
    resources += topology.queue_resources(alarm, region=session.region, account_id=session.account_id)
    resources += topology.role_resources(resources)
    resources += topology.referenced_resources(resources, bundle.edges)
    bundle.resources = resources
    bundle.edges = topology.derive_edges(resources, bundle.edges)

    graph, roots = engine.candidates(bundle)
    near = graph.distances(roots, max_depth=CANDIDATE_DEPTH)
    scoped = [r for r in resources if r.key in near]
    _scoped_reads(ctx, bundle, scoped)
    scoped = [r for r in bundle.resources if r.key in near]
    queries = metric_queries(scoped, alarm, roots[0] if roots else None)
    raw_metrics = ctx.guarded(
        metrics.SOURCE, "cloudwatch", lambda: metrics.get(cw, queries, start=start, end=end)
    )
    bundle.metrics = metrics.transform(queries, raw_metrics or {})
    _concurrency_where_throttled(ctx, bundle, scoped)

    raw_trail = ctx.guarded(
        cloudtrail.SOURCE,
        "cloudtrail",
        lambda: cloudtrail.get(ctx.client("cloudtrail"), start=start, end=end),
    )
    if session.region != cloudtrail.GLOBAL_REGION:  # IAM and the other global services log there
        raw_global = ctx.guarded(
            cloudtrail.SOURCE,
            "cloudtrail",
            lambda: cloudtrail.get_global(
                ctx.client("cloudtrail", region=cloudtrail.GLOBAL_REGION), start=start, end=end
            ),
        )
        raw_trail = [*(raw_trail or []), *(raw_global or [])]
    bundle.changes += [c for c in cloudtrail.transform(raw_trail or []) if start <= c.time <= end]
    report = findings.collect(ctx, start=start, end=end, region=session.region, account_id=session.account_id)
    bundle.findings = findings.relevant(report.findings, list(near), start, end)
    bundle.finding_sources = report.sources
    github_evidence.collect(ctx, bundle, github)  # opt-in: does nothing unless configured

    # Logs last: one call per group, as many groups as the budget leaves, closest first.
    room = max(0, CALL_BUDGET - ctx.call_log.count)
    by_distance = sorted(log_groups(scoped).items(), key=lambda item: near.get(item[1], 9))
    groups = dict(by_distance[: min(MAX_LOG_GROUPS, room)])
    bundle.log_groups = groups
    logs_client = ctx.client("logs")
    for group in groups:
        raw_logs = ctx.guarded(
            logs.SOURCE, "logs", functools.partial(logs.get, logs_client, group=group, start=start, end=end)
        )
        bundle.logs += logs.transform(group, raw_logs or [])
    bundle.changes.sort(key=lambda c: c.time)
    bundle.gaps = list(ctx.gaps)
    bundle.aws_calls = ctx.call_log.count
    return bundle


def _with_attributes(bundle: EvidenceBundle, extra: dict[str, dict[str, Any]]) -> None:
    bundle.resources = [
        r.model_copy(update={"attributes": {**r.attributes, **extra[r.key]}}) if r.key in extra else r
        for r in bundle.resources
    ]


def _scoped_reads(ctx: CollectContext, bundle: EvidenceBundle, scoped: list[Resource]) -> None:
    """Reads only the candidates need: ECS scaling bounds, EC2 status checks."""
    services = [r for r in scoped if r.kind == "ecs_service"]
    if services:
        raw = ctx.guarded(
            autoscaling.SOURCE,
            "application-autoscaling",
            lambda: autoscaling.get(ctx.client("application-autoscaling")),
        )
        if raw is not None:
            targets = autoscaling.transform(raw)
            bounds = {s.key: b for s in services if (b := autoscaling.capacity_for(s, targets)) is not None}
            _with_attributes(bundle, bounds)
    instances = [r.key for r in scoped if r.kind == "ec2_instance"]
    if instances:
        raw_status: Any = ctx.guarded(ec2.SOURCE, "ec2", lambda: ec2.get_status(ctx.client("ec2"), instances))
        if raw_status is not None:
            status, events = ec2.transform_status(
                raw_status, start=bundle.window_start, end=bundle.window_end
            )
            _with_attributes(bundle, status)
            bundle.events += events


def _concurrency_where_throttled(ctx: CollectContext, bundle: EvidenceBundle, scoped: list[Resource]) -> None:
    """Reserved concurrency of the candidate functions that throttled lately (one call each)."""
    since = bundle.window_end - THROTTLE_LOOKBACK
    throttled = {
        s.resource
        for s in bundle.metrics
        if s.metric == "Throttles" and any(v > 0 for t, v in s.points if t >= since)
    }
    names = {
        str(r.attributes.get("function_name")): r.key
        for r in scoped
        if r.kind == "lambda_function" and r.key in throttled
    }
    if not names:
        return
    chosen = sorted(names)[:MAX_CONCURRENCY_LOOKUPS]
    raw: Any = ctx.guarded(
        lambda_functions.SOURCE,
        "lambda",
        lambda: lambda_functions.get_concurrency(ctx.client("lambda"), chosen),
    )
    if raw is not None:
        _with_attributes(bundle, {names[n]: {"reserved_concurrency": v} for n, v in raw.items()})
