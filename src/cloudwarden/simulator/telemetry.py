"""Metric series and log lines of the workload: a diurnal baseline with noise, plus effects."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cloudwarden.aws.arns import dimension_value
from cloudwarden.simulator import extra_fleet
from cloudwarden.simulator.scenario import LogEffect, MetricEffect
from cloudwarden.simulator.workload import DB, FUNCTION, QUEUE, Workload

GIB = 1024**3


@dataclass(frozen=True)
class MetricSpec:
    ref: str
    namespace: str
    metric: str
    base: float
    diurnal: float  # relative amplitude of the daily cycle
    noise: float  # relative standard deviation
    unit: str = "None"
    ceiling: float | None = None
    integer: bool = False


def dimensions(w: Workload, ref: str) -> list[dict[str, str]]:
    kind = ref.split(":", 1)[0]
    if kind == "ecs_service":
        return [
            {"Name": "ClusterName", "Value": w.ids["cluster"].rsplit("/", 1)[-1]},
            {"Name": "ServiceName", "Value": w.ids[f"service:{ref.split(':')[1]}"]},
        ]
    if kind == "rds_instance":
        return [{"Name": "DBInstanceIdentifier", "Value": DB}]
    if kind == "lambda_function":
        return [{"Name": "FunctionName", "Value": w.ref(ref).rsplit(":", 1)[-1]}]
    if kind == "ec2_instance":
        return [{"Name": "InstanceId", "Value": w.ref(ref)}]
    if kind == "sqs_queue":
        return [{"Name": "QueueName", "Value": QUEUE}]
    if kind == "target_group":
        return [
            {"Name": "TargetGroup", "Value": dimension_value(w.refs["target_group:web"])},
            {"Name": "LoadBalancer", "Value": dimension_value(w.refs["load_balancer:public"])},
        ]
    if kind == "load_balancer":
        return [{"Name": "LoadBalancer", "Value": dimension_value(w.refs["load_balancer:public"])}]
    raise ValueError(f"no metrics for {ref!r}")


def metric_specs(extra_functions: int = 0) -> list[MetricSpec]:
    """The metrics of the workload, with the extra functions' after the storefront's own."""
    tg, web, worker = "target_group:web", "ecs_service:web", "ecs_service:worker"
    db, fn, q = "rds_instance:orders", "lambda_function:resizer", "sqs_queue:orders"
    vm, lb = "ec2_instance:reports", "load_balancer:public"
    extras = [
        spec
        for i in range(extra_functions)
        for spec in (
            MetricSpec(
                extra_fleet.ref(i), "AWS/Lambda", "Invocations", 40 + 13 * i, 0.35, 0.1, "Count", integer=True
            ),
            MetricSpec(extra_fleet.ref(i), "AWS/Lambda", "Errors", 0.2, 0.2, 1.0, "Count", integer=True),
            MetricSpec(extra_fleet.ref(i), "AWS/Lambda", "Duration", 90 + 37 * i, 0.1, 0.12, "Milliseconds"),
        )
    ]
    return [
        MetricSpec(tg, "AWS/ApplicationELB", "RequestCount", 1400, 0.35, 0.06, "Count", integer=True),
        MetricSpec(
            tg, "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", 1.5, 0.3, 0.8, "Count", integer=True
        ),
        MetricSpec(tg, "AWS/ApplicationELB", "TargetResponseTime", 0.14, 0.2, 0.12, "Seconds"),
        # The load balancer as a whole (every target group's targets): what a team alarms on first.
        MetricSpec(lb, "AWS/ApplicationELB", "RequestCount", 1450, 0.35, 0.06, "Count", integer=True),
        MetricSpec(
            lb, "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", 1.6, 0.3, 0.8, "Count", integer=True
        ),
        MetricSpec(web, "AWS/ECS", "CPUUtilization", 34, 0.3, 0.08, "Percent", ceiling=100),
        MetricSpec(web, "AWS/ECS", "MemoryUtilization", 46, 0.05, 0.03, "Percent", ceiling=100),
        MetricSpec(worker, "AWS/ECS", "CPUUtilization", 22, 0.25, 0.1, "Percent", ceiling=100),
        MetricSpec(worker, "AWS/ECS", "MemoryUtilization", 38, 0.05, 0.03, "Percent", ceiling=100),
        MetricSpec(db, "AWS/RDS", "CPUUtilization", 24, 0.35, 0.08, "Percent", ceiling=100),
        MetricSpec(db, "AWS/RDS", "DatabaseConnections", 42, 0.2, 0.06, "Count", integer=True),
        MetricSpec(db, "AWS/RDS", "FreeStorageSpace", 61 * GIB, 0.0, 0.001, "Bytes"),
        MetricSpec(db, "AWS/RDS", "ReadLatency", 0.0021, 0.2, 0.15, "Seconds"),
        MetricSpec(db, "AWS/RDS", "WriteLatency", 0.0034, 0.2, 0.15, "Seconds"),
        MetricSpec(fn, "AWS/Lambda", "Invocations", 320, 0.35, 0.07, "Count", integer=True),
        MetricSpec(fn, "AWS/Lambda", "Errors", 0.6, 0.2, 1.0, "Count", integer=True),
        MetricSpec(fn, "AWS/Lambda", "Throttles", 0.05, 0.0, 1.0, "Count", integer=True),
        MetricSpec(fn, "AWS/Lambda", "Duration", 182, 0.1, 0.1, "Milliseconds"),
        MetricSpec(fn, "AWS/Lambda", "ConcurrentExecutions", 9, 0.35, 0.15, "Count", integer=True),
        MetricSpec(q, "AWS/SQS", "ApproximateNumberOfMessagesVisible", 35, 0.3, 0.25, "Count", integer=True),
        MetricSpec(q, "AWS/SQS", "ApproximateAgeOfOldestMessage", 8, 0.2, 0.3, "Seconds"),
        MetricSpec(q, "AWS/SQS", "NumberOfMessagesDeleted", 240, 0.35, 0.07, "Count", integer=True),
        MetricSpec(vm, "AWS/EC2", "CPUUtilization", 18, 0.3, 0.1, "Percent", ceiling=100),
        MetricSpec(vm, "AWS/EC2", "NetworkIn", 2.4e6, 0.3, 0.1, "Bytes"),
        MetricSpec(vm, "AWS/EC2", "StatusCheckFailed", 0, 0.0, 0.0, "Count", ceiling=1, integer=True),
        MetricSpec(vm, "AWS/EC2", "StatusCheckFailed_System", 0, 0.0, 0.0, "Count", ceiling=1, integer=True),
        *extras,
    ]


def late_specs() -> list[MetricSpec]:
    """Series added after the first scenarios were written: each draws its noise from its own
    generator, so the shared one (and every older scenario's telemetry and logs) is unchanged."""
    tg, lb = "target_group:web", "load_balancer:public"
    return [
        MetricSpec(tg, "AWS/ApplicationELB", "HealthyHostCount", 4, 0.0, 0.0, "Count", integer=True),
        MetricSpec(tg, "AWS/ApplicationELB", "UnHealthyHostCount", 0, 0.0, 0.0, "Count", integer=True),
        MetricSpec(lb, "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", 0.4, 0.3, 1.0, "Count", integer=True),
    ]


def _baseline(spec: MetricSpec, moment: datetime, rng: random.Random) -> float:
    hours = moment.hour + moment.minute / 60
    cycle = 1 + spec.diurnal * math.sin(2 * math.pi * (hours - 9) / 24)
    return spec.base * cycle * (1 + rng.gauss(0, spec.noise))


def _apply(
    effect: MetricEffect, value: float, baseline: float, minutes_after_onset: float, rng: random.Random
) -> float:
    elapsed = minutes_after_onset - effect.start
    if elapsed < 0 or (effect.duration is not None and elapsed >= effect.duration):
        return value
    target = effect.to if effect.to is not None else baseline * (effect.factor or 1.0)
    target *= 1 + rng.gauss(0, effect.noise)
    if effect.shape == "ramp":
        share = min(1.0, (elapsed + 1) / effect.ramp_minutes)
        return value + (target - value) * share
    return target


def metric_data(
    w: Workload,
    effects: list[MetricEffect],
    *,
    start: datetime,
    onset: datetime,
    end: datetime,
    rng: random.Random,
) -> dict[str, list[dict[str, Any]]]:
    """PutMetricData batches by namespace: 1-minute points from `start` to `end`."""
    specs = metric_specs(len(w.extras))
    late = late_specs()
    known = {(s.ref, s.metric) for s in [*specs, *late]}
    for effect in effects:
        if (effect.resource, effect.metric) not in known:
            raise ValueError(f"effect on unknown metric {effect.resource} {effect.metric}")
    by_namespace: dict[str, list[dict[str, Any]]] = {}
    minutes = int((end - start).total_seconds() // 60)
    for spec in [*specs, *late]:
        dims = dimensions(w, spec.ref)
        mine = [e for e in effects if e.resource == spec.ref and e.metric == spec.metric]
        draw = random.Random(f"{spec.ref}/{spec.metric}") if spec in late else rng
        for i in range(minutes + 1):
            moment = start + timedelta(minutes=i)
            baseline = _baseline(spec, moment, draw)
            value = baseline
            after = (moment - onset).total_seconds() / 60
            for effect in mine:
                value = _apply(effect, value, baseline, after, draw)
            value = max(0.0, value if spec.ceiling is None else min(spec.ceiling, value))
            if spec.integer:
                value = float(round(value))
            by_namespace.setdefault(spec.namespace, []).append(
                {
                    "MetricName": spec.metric,
                    "Dimensions": dims,
                    "Timestamp": moment,
                    "Value": value,
                    "Unit": spec.unit,
                }
            )
    return by_namespace


def render_line(template: str, w: Workload, rng: random.Random, moment: datetime) -> str:
    values = {
        "account": w.account_id,
        "region": w.region,
        "db_endpoint": w.ids["db_endpoint"],
        "queue_url": w.ids["queue_url"],
        "payment_key": w.refs.get("kms_key:payments", ""),
        "target_group": w.refs.get("target_group:web", ""),
        "function": FUNCTION,
        "reports_ip": w.ids.get("reports_ip", ""),
        "rid": "%08x-%04x-4%03x-a%03x-%012x" % tuple(rng.getrandbits(b) for b in (32, 16, 12, 12, 48)),  # noqa: UP031
        "id": rng.randint(1000, 99999),
        "ms": rng.randint(8, 240),
        "slow_ms": rng.randint(2500, 9000),
        "ip": f"10.20.{rng.randint(1, 2)}.{rng.randint(10, 250)}",
        "bytes": rng.randint(300, 9000),
        "pid": rng.randint(1000, 30000),
        "ts": moment.strftime("%Y-%m-%d %H:%M:%S"),
        "clf_ts": moment.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "iso": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
        "n": rng.randint(2, 9),
    }
    return template.format(**values)


def log_events(
    w: Workload, effects: list[LogEffect], *, onset: datetime, end: datetime, rng: random.Random
) -> dict[str, list[tuple[datetime, str]]]:
    """Events per log group (unsorted) for effects, from onset+start to end."""
    out: dict[str, list[tuple[datetime, str]]] = {}
    for effect in effects:
        group = w.log_groups.get(effect.resource)
        if group is None:
            raise ValueError(f"log effect on {effect.resource!r}, which has no log group")
        first = onset + timedelta(minutes=effect.start)
        last = end if effect.end is None else min(end, onset + timedelta(minutes=effect.end))
        step = 60.0 / effect.per_minute
        moment, index = first, 0
        while moment < last:
            jitter = timedelta(seconds=rng.uniform(0, step * 0.5))
            line = effect.lines[index % len(effect.lines)]
            out.setdefault(group, []).append((moment + jitter, render_line(line, w, rng, moment + jitter)))
            moment += timedelta(seconds=step)
            index += 1
    return out
