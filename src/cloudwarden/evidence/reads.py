"""The concurrent reads of an investigation: window reads, discovery, scoped reads, metrics, logs.

Each step starts its reads on the investigation's BranchPool and merges what they return into
the bundle on the caller's thread, in the order the reads are listed here: a read never touches
the bundle itself, so the bundle is the same whatever order the answers arrive in.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cloudwarden.aws.arns import dimension_value
from cloudwarden.evidence.branches import Branch, BranchPool
from cloudwarden.evidence.collectors import (
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
from cloudwarden.evidence.model import AlarmInfo, EvidenceBundle, MetricSeries, Resource

MAX_CONCURRENCY_LOOKUPS = 3
THROTTLE_LOOKBACK = timedelta(minutes=15)


@dataclass
class WindowReads:
    """Reads that need only the window: CloudTrail (the region's, and the global services') and findings."""

    trail: Branch[list[dict[str, Any]] | None]
    global_trail: Branch[list[dict[str, Any]] | None] | None
    security: Branch[findings.FindingsReport]

    @classmethod
    def start(
        cls, pool: BranchPool, *, region: str, account_id: str, start: datetime, end: datetime
    ) -> WindowReads:
        trail = pool.read(
            cloudtrail.SOURCE, "cloudtrail", functools.partial(cloudtrail.get, start=start, end=end)
        )
        global_trail = None
        if region != cloudtrail.GLOBAL_REGION:  # IAM and the other global services log there
            get_global = functools.partial(cloudtrail.get_global, start=start, end=end)
            global_trail = pool.read(
                cloudtrail.SOURCE, "cloudtrail", get_global, region=cloudtrail.GLOBAL_REGION
            )
        security = pool.start(
            functools.partial(findings.collect, start=start, end=end, region=region, account_id=account_id)
        )
        return cls(trail, global_trail, security)

    def merge(self, bundle: EvidenceBundle, *, near: list[str]) -> None:
        """Changes in the window; findings about the resources `near` the alarm."""
        start, end = bundle.window_start, bundle.window_end
        raw_trail = self.trail.join()
        if self.global_trail is not None:
            raw_trail = [*(raw_trail or []), *(self.global_trail.join() or [])]
        bundle.changes += [c for c in cloudtrail.transform(raw_trail or []) if start <= c.time <= end]
        report = self.security.join()
        bundle.findings = findings.relevant(report.findings, near, start, end)
        bundle.finding_sources = report.sources


def ecs_scope(alarm: AlarmInfo, raw_elb: dict[str, Any] | None) -> ecs.Scope:
    """Where the alarm leads into ECS: its cluster and service, or the target groups it watches
    (a load balancer's: those of its target groups, from the load balancer read)."""
    dims = alarm.dimensions
    groups = {dims["TargetGroup"]} if dims.get("TargetGroup") else set()
    balancer = dims.get("LoadBalancer")
    if balancer and not groups and raw_elb is not None:
        groups = {
            dimension_value(g["TargetGroupArn"])
            for g in raw_elb["target_groups"]
            if any(dimension_value(lb) == balancer for lb in g.get("LoadBalancerArns", []))
        }
    return ecs.Scope(
        cluster=dims.get("ClusterName") or None,
        service=dims.get("ServiceName") or None,
        target_groups=frozenset(groups),
    )


def discover(pool: BranchPool, bundle: EvidenceBundle, *, region: str) -> list[Resource]:
    """What the alarm's neighbourhood runs (ECS around the alarm; RDS, Lambda, EC2, ELB), with
    deployments and service events.

    ECS is read outward from the alarm (collectors/ecs.py): an alarm on a load balancer as a whole
    first needs the load balancer read, to know which target groups lead to its services.
    """
    alarm = bundle.alarm
    rds_get = functools.partial(rds.get, start=bundle.window_start, end=bundle.window_end)
    elb_read = pool.read(elbv2.SOURCE, "elbv2", elbv2.get)
    raw_elb_first: Any = None
    if alarm.dimensions.get("LoadBalancer") and not alarm.dimensions.get("TargetGroup"):
        raw_elb_first = elb_read.join()
    ecs_get = functools.partial(ecs.get, scope=ecs_scope(alarm, raw_elb_first), since=bundle.window_start)
    ecs_read = pool.read(ecs.SOURCE, "ecs", ecs_get)
    rds_read = pool.read(rds.SOURCE, "rds", rds_get)
    lambda_read = pool.read(lambda_functions.SOURCE, "lambda", lambda_functions.get)
    ec2_read = pool.read(ec2.SOURCE, "ec2", ec2.get)

    resources: list[Resource] = []
    raw_ecs: Any = ecs_read.join()
    if raw_ecs is not None:
        ecs_resources, deployments, ecs_events = ecs.transform(raw_ecs)
        resources += ecs_resources
        bundle.changes += deployments
        bundle.events += [e for e in ecs_events if bundle.window_start <= e.time <= bundle.window_end]
    raw_rds: Any = rds_read.join()
    if raw_rds is not None:
        rds_resources, rds_events = rds.transform(raw_rds)
        resources += rds_resources
        bundle.events += rds_events
    raw_lambda: Any = lambda_read.join()
    if raw_lambda is not None:
        fn_resources, fn_edges = lambda_functions.transform(raw_lambda)
        resources += fn_resources
        bundle.edges += fn_edges
    raw_ec2: Any = ec2_read.join()
    if raw_ec2 is not None:
        resources += ec2.transform(raw_ec2, region=region)
    raw_elb: Any = elb_read.join()
    if raw_elb is not None:
        resources += elbv2.transform(raw_elb)
    return resources


def with_attributes(bundle: EvidenceBundle, extra: dict[str, dict[str, Any]]) -> None:
    bundle.resources = [
        r.model_copy(update={"attributes": {**r.attributes, **extra[r.key]}}) if r.key in extra else r
        for r in bundle.resources
    ]


@dataclass
class ScopedReads:
    """Reads only the candidates need: ECS scaling bounds, EC2 status checks."""

    services: list[Resource]
    scaling: Branch[Any] | None
    status: Branch[Any] | None

    @classmethod
    def start(cls, pool: BranchPool, scoped: list[Resource]) -> ScopedReads:
        services = [r for r in scoped if r.kind == "ecs_service"]
        instances = [r.key for r in scoped if r.kind == "ec2_instance"]
        ids = [i for s in services if (i := autoscaling.resource_id(s)) is not None]
        scaling_get = functools.partial(autoscaling.get, resource_ids=ids)
        scaling = pool.read(autoscaling.SOURCE, "application-autoscaling", scaling_get) if ids else None
        status_get = functools.partial(ec2.get_status, instance_ids=instances)
        status = pool.read(ec2.SOURCE, "ec2", status_get) if instances else None
        return cls(services, scaling, status)

    def merge(self, bundle: EvidenceBundle) -> None:
        raw = self.scaling.join() if self.scaling is not None else None
        if raw is not None:
            targets = autoscaling.transform(raw)
            bounds = {
                s.key: b for s in self.services if (b := autoscaling.capacity_for(s, targets)) is not None
            }
            with_attributes(bundle, bounds)
        raw_status = self.status.join() if self.status is not None else None
        if raw_status is not None:
            status, events = ec2.transform_status(
                raw_status, start=bundle.window_start, end=bundle.window_end
            )
            with_attributes(bundle, status)
            bundle.events += events


def read_logs(pool: BranchPool, bundle: EvidenceBundle) -> None:
    """Each of `bundle.log_groups` (one read each, at once), into `bundle.logs` in their order."""
    start, end = bundle.window_start, bundle.window_end
    log_reads = [
        pool.read(logs.SOURCE, "logs", functools.partial(logs.get, group=group, start=start, end=end))
        for group in bundle.log_groups
    ]
    for group, log_read in zip(bundle.log_groups, log_reads, strict=True):
        bundle.logs += logs.transform(group, log_read.join() or [])


@dataclass(frozen=True)
class MetricReads:
    """What the metrics branch returns: the series, and reserved concurrency where throttled."""

    series: list[MetricSeries]
    concurrency: dict[str, dict[str, Any]]


def read_metrics(
    ctx: CollectContext,
    queries: list[metrics.MetricQuery],
    scoped: list[Resource],
    *,
    start: datetime,
    end: datetime,
) -> MetricReads:
    """The candidates' metrics, then the concurrency of the functions they show throttling."""
    raw = ctx.guarded(
        metrics.SOURCE,
        "cloudwatch",
        lambda: metrics.get(ctx.client("cloudwatch"), queries, start=start, end=end),
    )
    series = metrics.transform(queries, raw or {})
    return MetricReads(series, _concurrency_where_throttled(ctx, series, scoped, end))


def _concurrency_where_throttled(
    ctx: CollectContext, series: list[MetricSeries], scoped: list[Resource], end: datetime
) -> dict[str, dict[str, Any]]:
    """Reserved concurrency of the candidate functions that throttled lately (one call each)."""
    since = end - THROTTLE_LOOKBACK
    throttled = {
        s.resource
        for s in series
        if s.metric == "Throttles" and any(v > 0 for t, v in s.points if t >= since)
    }
    names = {
        str(r.attributes.get("function_name")): r.key
        for r in scoped
        if r.kind == "lambda_function" and r.key in throttled
    }
    if not names:
        return {}
    chosen = sorted(names)[:MAX_CONCURRENCY_LOOKUPS]
    raw: Any = ctx.guarded(
        lambda_functions.SOURCE,
        "lambda",
        lambda: lambda_functions.get_concurrency(ctx.client("lambda"), chosen),
    )
    if raw is None:
        return {}
    return {names[n]: {"reserved_concurrency": v} for n, v in raw.items()}
