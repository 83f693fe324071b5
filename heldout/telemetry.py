"""Velocab's metrics (a daily cycle with noise, plus incident effects), alarms and log rendering."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cloudwarden.aws.arns import dimension_value
from heldout.model import LogEffect, MetricEffect
from heldout.topology import DATABASES, FUNCTIONS, GIB, QUEUES, Topology


@dataclass(frozen=True)
class Spec:
    ref: str
    namespace: str
    metric: str
    base: float
    diurnal: float
    noise: float
    unit: str = "None"
    ceiling: float | None = None
    integer: bool = False


def dimensions(t: Topology, ref: str) -> list[dict[str, str]]:
    kind, logical = ref.split(":", 1)
    if kind == "ecs_service":
        return [
            {"Name": "ClusterName", "Value": t.ids["cluster"].rsplit("/", 1)[-1]},
            {"Name": "ServiceName", "Value": t.ids[f"service:{logical}"]},
        ]
    if kind == "rds_instance":
        return [{"Name": "DBInstanceIdentifier", "Value": DATABASES[logical]}]
    if kind == "lambda_function":
        return [{"Name": "FunctionName", "Value": FUNCTIONS[logical][0]}]
    if kind == "ec2_instance":
        return [{"Name": "InstanceId", "Value": t.ref(ref)}]
    if kind == "sqs_queue":
        return [{"Name": "QueueName", "Value": QUEUES[logical]}]
    if kind == "target_group":
        return [
            {"Name": "TargetGroup", "Value": dimension_value(t.ref(ref))},
            {"Name": "LoadBalancer", "Value": dimension_value(t.ref("load_balancer:edge"))},
        ]
    raise ValueError(f"no metrics for {ref!r}")


def _tg(logical: str, requests: float, errors: float, latency: float) -> list[Spec]:
    ref = f"target_group:{logical}"
    return [
        Spec(ref, "AWS/ApplicationELB", "RequestCount", requests, 0.4, 0.05, "Count", integer=True),
        Spec(ref, "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", errors, 0.3, 0.9, "Count", integer=True),
        Spec(
            ref, "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", errors / 4, 0.0, 1.0, "Count", integer=True
        ),
        Spec(ref, "AWS/ApplicationELB", "TargetResponseTime", latency, 0.25, 0.1, "Seconds"),
        Spec(ref, "AWS/ApplicationELB", "HealthyHostCount", 0, 0.0, 0.0, "Count", integer=True),
    ]


def _svc(logical: str, cpu: float, memory: float) -> list[Spec]:
    ref = f"ecs_service:{logical}"
    return [
        Spec(ref, "AWS/ECS", "CPUUtilization", cpu, 0.35, 0.07, "Percent", ceiling=100),
        Spec(ref, "AWS/ECS", "MemoryUtilization", memory, 0.04, 0.025, "Percent", ceiling=100),
    ]


def _db(
    logical: str, cpu: float, connections: float, free_gib: float, read: float, write: float
) -> list[Spec]:
    ref = f"rds_instance:{logical}"
    return [
        Spec(ref, "AWS/RDS", "CPUUtilization", cpu, 0.4, 0.07, "Percent", ceiling=100),
        Spec(ref, "AWS/RDS", "DatabaseConnections", connections, 0.25, 0.05, "Count", integer=True),
        Spec(ref, "AWS/RDS", "FreeStorageSpace", free_gib * GIB, 0.0, 0.0008, "Bytes"),
        Spec(ref, "AWS/RDS", "ReadLatency", read, 0.2, 0.15, "Seconds"),
        Spec(ref, "AWS/RDS", "WriteLatency", write, 0.2, 0.15, "Seconds"),
        Spec(ref, "AWS/RDS", "FreeableMemory", 9.5 * GIB, 0.05, 0.01, "Bytes"),
    ]


def _fn(logical: str, invocations: float, errors: float, duration: float, concurrency: float) -> list[Spec]:
    ref = f"lambda_function:{logical}"
    return [
        Spec(ref, "AWS/Lambda", "Invocations", invocations, 0.4, 0.07, "Count", integer=True),
        Spec(ref, "AWS/Lambda", "Errors", errors, 0.2, 1.0, "Count", integer=True),
        Spec(ref, "AWS/Lambda", "Throttles", 0.0, 0.0, 0.0, "Count", integer=True),
        Spec(ref, "AWS/Lambda", "Duration", duration, 0.1, 0.12, "Milliseconds"),
        Spec(ref, "AWS/Lambda", "ConcurrentExecutions", concurrency, 0.4, 0.15, "Count", integer=True),
    ]


def _queue(logical: str, visible: float, age: float, deleted: float) -> list[Spec]:
    ref = f"sqs_queue:{logical}"
    return [
        Spec(
            ref, "AWS/SQS", "ApproximateNumberOfMessagesVisible", visible, 0.35, 0.25, "Count", integer=True
        ),
        Spec(ref, "AWS/SQS", "ApproximateAgeOfOldestMessage", age, 0.2, 0.3, "Seconds"),
        Spec(ref, "AWS/SQS", "NumberOfMessagesSent", deleted, 0.4, 0.08, "Count", integer=True),
        Spec(ref, "AWS/SQS", "NumberOfMessagesDeleted", deleted, 0.4, 0.08, "Count", integer=True),
    ]


def _vm(logical: str, cpu: float, network: float) -> list[Spec]:
    ref = f"ec2_instance:{logical}"
    return [
        Spec(ref, "AWS/EC2", "CPUUtilization", cpu, 0.35, 0.08, "Percent", ceiling=100),
        Spec(ref, "AWS/EC2", "NetworkIn", network, 0.35, 0.1, "Bytes"),
        Spec(ref, "AWS/EC2", "StatusCheckFailed", 0, 0.0, 0.0, "Count", ceiling=1, integer=True),
        Spec(ref, "AWS/EC2", "StatusCheckFailed_System", 0, 0.0, 0.0, "Count", ceiling=1, integer=True),
        Spec(ref, "AWS/EC2", "StatusCheckFailed_Instance", 0, 0.0, 0.0, "Count", ceiling=1, integer=True),
    ]


SPECS: list[Spec] = [
    *_tg("gateway", 2600, 2.0, 0.085),
    *_tg("quoter", 900, 0.8, 0.12),
    *_tg("matcher", 620, 0.6, 0.21),
    *_svc("gateway", 41, 52),
    *_svc("quoter", 37, 61),
    *_svc("matcher", 46, 57),
    *_svc("locator", 29, 44),
    *_db("mysql", 31, 118, 172, 0.0015, 0.0026),
    *_db("pg", 19, 64, 38, 0.0019, 0.0031),
    *_fn("mailer", 140, 0.3, 420, 6),
    *_fn("batcher", 45, 0.1, 1800, 3),
    *_fn("pricer", 900, 0.5, 38, 11),
    *_fn("promo", 70, 0.4, 95, 3),
    *_queue("receipts", 20, 6, 140),
    *_queue("payouts", 55, 35, 45),
    *_vm("router", 34, 3.1e6),
    *_vm("tiles", 22, 8.4e6),
]
HEALTHY_HOSTS = {"gateway": 6, "quoter": 4, "matcher": 4}
# Added for batch4. Drawn from their own random stream, so the series above (and every earlier
# incident's noise and log lines) are exactly what they were before these were added.
EXTRA_SPECS: list[Spec] = [
    *(
        Spec(
            f"target_group:{k}",
            "AWS/ApplicationELB",
            "UnHealthyHostCount",
            0,
            0.0,
            0.0,
            "Count",
            integer=True,
        )
        for k in ("gateway", "quoter", "matcher")
    ),
    Spec("sqs_queue:receipts", "AWS/SQS", "NumberOfMessagesReceived", 150, 0.4, 0.08, "Count", integer=True),
    Spec("sqs_queue:payouts", "AWS/SQS", "NumberOfMessagesReceived", 47, 0.4, 0.08, "Count", integer=True),
]
EXTRA_SEED = "heldout-extra-series"


# logical alarm -> (name, resource, namespace, metric, statistic, comparison, threshold, periods, to alarm)
ALARMS: dict[str, tuple[str, str, str, str, str, str, float, int, int]] = {
    "gw_5xx": ("vc-rider-gateway-5xx", "target_group:gateway", "AWS/ApplicationELB",
               "HTTPCode_Target_5XX_Count", "Sum", "GreaterThanThreshold", 60, 3, 3),
    "gw_latency": ("vc-rider-gateway-latency", "target_group:gateway", "AWS/ApplicationELB",
                   "TargetResponseTime", "Average", "GreaterThanThreshold", 0.6, 3, 3),
    "quoter_5xx": ("vc-fare-quoter-5xx", "target_group:quoter", "AWS/ApplicationELB",
                   "HTTPCode_Target_5XX_Count", "Sum", "GreaterThanThreshold", 30, 3, 3),
    "quoter_latency": ("vc-fare-quoter-latency", "target_group:quoter", "AWS/ApplicationELB",
                       "TargetResponseTime", "Average", "GreaterThanThreshold", 0.9, 3, 3),
    "matcher_5xx": ("vc-trip-matcher-5xx", "target_group:matcher", "AWS/ApplicationELB",
                    "HTTPCode_Target_5XX_Count", "Sum", "GreaterThanThreshold", 25, 3, 3),
    "matcher_latency": ("vc-trip-matcher-latency", "target_group:matcher", "AWS/ApplicationELB",
                        "TargetResponseTime", "Average", "GreaterThanThreshold", 1.2, 3, 3),
    "gw_memory": ("vc-rider-gateway-memory", "ecs_service:gateway", "AWS/ECS",
                  "MemoryUtilization", "Average", "GreaterThanThreshold", 88, 3, 3),
    "gw_cpu": ("vc-rider-gateway-cpu", "ecs_service:gateway", "AWS/ECS",
               "CPUUtilization", "Average", "GreaterThanThreshold", 85, 5, 4),
    "quoter_memory": ("vc-fare-quoter-memory", "ecs_service:quoter", "AWS/ECS",
                      "MemoryUtilization", "Average", "GreaterThanThreshold", 90, 3, 3),
    "matcher_cpu": ("vc-trip-matcher-cpu", "ecs_service:matcher", "AWS/ECS",
                    "CPUUtilization", "Average", "GreaterThanThreshold", 85, 5, 4),
    "locator_memory": ("vc-driver-locator-memory", "ecs_service:locator", "AWS/ECS",
                       "MemoryUtilization", "Average", "GreaterThanThreshold", 90, 3, 3),
    "mysql_cpu": ("vc-trips-mysql-cpu", "rds_instance:mysql", "AWS/RDS",
                  "CPUUtilization", "Average", "GreaterThanThreshold", 80, 5, 4),
    "mysql_connections": ("vc-trips-mysql-connections", "rds_instance:mysql", "AWS/RDS",
                          "DatabaseConnections", "Maximum", "GreaterThanThreshold", 400, 3, 3),
    "mysql_storage": ("vc-trips-mysql-storage", "rds_instance:mysql", "AWS/RDS",
                      "FreeStorageSpace", "Minimum", "LessThanThreshold", 10 * GIB, 2, 2),
    "pg_connections": ("vc-ledger-pg-connections", "rds_instance:pg", "AWS/RDS",
                       "DatabaseConnections", "Maximum", "GreaterThanThreshold", 170, 3, 3),
    "pg_storage": ("vc-ledger-pg-storage", "rds_instance:pg", "AWS/RDS",
                   "FreeStorageSpace", "Minimum", "LessThanThreshold", 4 * GIB, 2, 2),
    "mailer_errors": ("vc-receipt-mailer-errors", "lambda_function:mailer", "AWS/Lambda",
                      "Errors", "Sum", "GreaterThanThreshold", 15, 3, 3),
    "mailer_throttles": ("vc-receipt-mailer-throttles", "lambda_function:mailer", "AWS/Lambda",
                         "Throttles", "Sum", "GreaterThanThreshold", 10, 3, 3),
    "batcher_errors": ("vc-payout-batcher-errors", "lambda_function:batcher", "AWS/Lambda",
                       "Errors", "Sum", "GreaterThanThreshold", 5, 3, 3),
    "pricer_errors": ("vc-surge-pricer-errors", "lambda_function:pricer", "AWS/Lambda",
                      "Errors", "Sum", "GreaterThanThreshold", 20, 3, 3),
    "pricer_throttles": ("vc-surge-pricer-throttles", "lambda_function:pricer", "AWS/Lambda",
                         "Throttles", "Sum", "GreaterThanThreshold", 25, 3, 3),
    "pricer_duration": ("vc-surge-pricer-duration", "lambda_function:pricer", "AWS/Lambda",
                        "Duration", "Average", "GreaterThanThreshold", 1000, 3, 3),
    "promo_errors": ("vc-promo-redeemer-errors", "lambda_function:promo", "AWS/Lambda",
                     "Errors", "Sum", "GreaterThanThreshold", 10, 3, 3),
    "receipts_age": ("vc-receipt-jobs-age", "sqs_queue:receipts", "AWS/SQS",
                     "ApproximateAgeOfOldestMessage", "Maximum", "GreaterThanThreshold", 600, 3, 3),
    "payouts_age": ("vc-payout-requests-age", "sqs_queue:payouts", "AWS/SQS",
                    "ApproximateAgeOfOldestMessage", "Maximum", "GreaterThanThreshold", 900, 3, 3),
    "router_status": ("vc-osrm-router-status", "ec2_instance:router", "AWS/EC2",
                      "StatusCheckFailed", "Maximum", "GreaterThanOrEqualToThreshold", 1, 2, 2),
    "router_cpu": ("vc-osrm-router-cpu", "ec2_instance:router", "AWS/EC2",
                   "CPUUtilization", "Average", "GreaterThanThreshold", 90, 5, 4),
    "tiles_status": ("vc-tileserver-status", "ec2_instance:tiles", "AWS/EC2",
                     "StatusCheckFailed", "Maximum", "GreaterThanOrEqualToThreshold", 1, 2, 2),
}  # fmt: skip


def alarm_name(logical: str) -> str:
    if logical not in ALARMS:
        raise ValueError(f"unknown held-out alarm {logical!r}; known: {', '.join(sorted(ALARMS))}")
    return ALARMS[logical][0]


def alarm_requests(t: Topology, topic_arns: list[str]) -> list[dict[str, Any]]:
    out = []
    for name, ref, namespace, metric, stat, comparison, threshold, periods, to_alarm in ALARMS.values():
        out.append(
            {
                "AlarmName": name,
                "AlarmDescription": f"{metric} {comparison} {threshold:g} (Velocab on-call)",
                "Namespace": namespace,
                "MetricName": metric,
                "Dimensions": dimensions(t, ref),
                "Statistic": stat,
                "Period": 60,
                "EvaluationPeriods": periods,
                "DatapointsToAlarm": to_alarm,
                "Threshold": float(threshold),
                "ComparisonOperator": comparison,
                "TreatMissingData": "notBreaching",
                "AlarmActions": topic_arns,
                "OKActions": topic_arns,
            }
        )
    return out


def _baseline(spec: Spec, moment: datetime, rng: random.Random) -> float:
    if spec.metric == "HealthyHostCount":
        return float(HEALTHY_HOSTS[spec.ref.split(":", 1)[1]])
    hours = moment.hour + moment.minute / 60
    cycle = 1 + spec.diurnal * math.sin(2 * math.pi * (hours - 10) / 24)
    return spec.base * cycle * (1 + rng.gauss(0, spec.noise))


def _apply(effect: MetricEffect, value: float, baseline: float, after: float, rng: random.Random) -> float:
    elapsed = after - effect.start
    if elapsed < 0 or (effect.duration is not None and elapsed >= effect.duration):
        return value
    target = effect.to if effect.to is not None else baseline * (effect.factor or 1.0)
    target *= 1 + rng.gauss(0, effect.noise)
    if effect.shape == "ramp":
        share = min(1.0, (elapsed + 1) / effect.ramp_minutes)
        return value + (target - value) * share
    if effect.shape == "spike":  # rises fast, decays back over its duration
        length = effect.duration or effect.ramp_minutes
        share = max(0.0, 1.0 - elapsed / length) if elapsed > 2 else 1.0
        return value + (target - value) * share
    return target


def known_metrics() -> set[tuple[str, str]]:
    return {(s.ref, s.metric) for s in [*SPECS, *EXTRA_SPECS]}


def metric_data(
    t: Topology,
    effects: list[MetricEffect],
    *,
    start: datetime,
    onset: datetime,
    end: datetime,
    rng: random.Random,
) -> dict[str, list[dict[str, Any]]]:
    known = known_metrics()
    for effect in effects:
        if (effect.resource, effect.metric) not in known:
            raise ValueError(f"effect on unknown metric {effect.resource} {effect.metric}")
    out: dict[str, list[dict[str, Any]]] = {}
    minutes = int((end - start).total_seconds() // 60)
    extra_rng = random.Random(EXTRA_SEED)
    for specs, draw in ((SPECS, rng), (EXTRA_SPECS, extra_rng)):
        for spec in specs:
            dims = dimensions(t, spec.ref)
            mine = [e for e in effects if e.resource == spec.ref and e.metric == spec.metric]
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
                out.setdefault(spec.namespace, []).append(
                    {
                        "MetricName": spec.metric,
                        "Dimensions": dims,
                        "Timestamp": moment,
                        "Value": value,
                        "Unit": spec.unit,
                    }
                )
    return out


_PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def render(template: str, t: Topology, rng: random.Random, moment: datetime) -> str:
    values = {
        "account": t.account_id,
        "region": t.region,
        "mysql_host": t.ids["endpoint:mysql"],
        "pg_host": t.ids["endpoint:pg"],
        "router_ip": t.ids["ip:router"],
        "tiles_ip": t.ids["ip:tiles"],
        "receipts_url": t.ids["queue_url:receipts"],
        "payout_key_arn": t.refs.get("kms_key:payouts", ""),
        "payout_key_id": t.ids.get("key_id:payouts", ""),
        "payouts_url": t.ids["queue_url:payouts"],
        "rid": "%08x-%04x-4%03x-b%03x-%012x" % tuple(rng.getrandbits(b) for b in (32, 16, 12, 12, 48)),  # noqa: UP031
        "trace": _hex(rng, 32),
        "span": _hex(rng, 16),
        "task": _hex(rng, 32),
        "id": rng.randint(10000, 999999),
        "rider": f"rdr_{_hex(rng, 10)}",
        "driver": f"drv_{_hex(rng, 10)}",
        "trip": f"trp_{_hex(rng, 12)}",
        "ms": rng.randint(6, 180),
        "slow_ms": rng.randint(2200, 9500),
        "ip": f"10.64.{rng.choice([1, 2, 5, 6, 9, 10])}.{rng.randint(10, 250)}",
        "pub_ip": f"{rng.choice([81, 86, 92, 109, 176, 212])}.{rng.randint(1, 254)}.{rng.randint(1, 254)}.{rng.randint(1, 254)}",
        "bytes": rng.randint(180, 12000),
        "pid": rng.randint(100, 32000),
        "conn": rng.randint(1000, 990000),
        "n": rng.randint(2, 9),
        "lat": f"{51.45 + rng.random() * 0.12:.5f}",
        "lon": f"{-0.21 + rng.random() * 0.2:.5f}",
        "epoch_ms": int(moment.timestamp() * 1000),
        "epoch": f"{moment.timestamp():.3f}",
        "ts": moment.strftime("%Y-%m-%d %H:%M:%S"),
        "iso": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
        "iso6": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "java_ts": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+00:00",
        "clf_ts": moment.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        # added for batch5 (no random draws, so earlier incidents render exactly as before)
        "mysql_secret_arn": t.refs.get("secret:mysql", ""),
        "pg_secret_arn": t.refs.get("secret:pg", ""),
        "receipts_arn": t.refs.get("sqs_queue:receipts", ""),
        "payouts_arn": t.refs.get("sqs_queue:payouts", ""),
    }
    return _PLACEHOLDER.sub(
        lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), template
    )


def log_events(
    t: Topology, effects: list[LogEffect], *, onset: datetime, end: datetime, rng: random.Random
) -> dict[str, list[tuple[datetime, str]]]:
    out: dict[str, list[tuple[datetime, str]]] = {}
    for effect in effects:
        group = t.log_group(effect.resource, effect.group)
        first = onset + timedelta(minutes=effect.start)
        last = end if effect.end is None else min(end, onset + timedelta(minutes=effect.end))
        step = 60.0 / effect.per_minute
        moment, index = first, 0
        while moment < last:
            at = moment + timedelta(seconds=rng.uniform(0, step * 0.6))
            line = effect.lines[index % len(effect.lines)]
            out.setdefault(group, []).append((at, render(line, t, rng, at)))
            moment += timedelta(seconds=step)
            index += 1
    return out
