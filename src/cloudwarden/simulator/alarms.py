"""The workload's CloudWatch alarms: the usual signals a team alarms on, routed to SNS."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.telemetry import GIB, dimensions
from cloudwarden.simulator.workload import ADMIN_ACTOR, Workload

# logical name -> (alarm name, resource ref, namespace, metric, statistic, comparison, threshold, periods, datapoints)
ALARMS: dict[str, tuple[str, str, str, str, str, str, float, int, int]] = {
    "web_5xx": (
        "storefront-5xx-high",
        "target_group:web",
        "AWS/ApplicationELB",
        "HTTPCode_Target_5XX_Count",
        "Sum",
        "GreaterThanThreshold",
        50,
        3,
        3,
    ),
    "alb_5xx": (
        "public-alb-5xx-high",
        "load_balancer:public",
        "AWS/ApplicationELB",
        "HTTPCode_Target_5XX_Count",
        "Sum",
        "GreaterThanThreshold",
        60,
        3,
        3,
    ),
    # The load balancer's own 5xx (502/503 it answers itself when no target is healthy).
    "alb_elb_5xx": (
        "public-alb-elb-5xx-high",
        "load_balancer:public",
        "AWS/ApplicationELB",
        "HTTPCode_ELB_5XX_Count",
        "Sum",
        "GreaterThanThreshold",
        25,
        3,
        3,
    ),
    "web_latency": (
        "storefront-latency-high",
        "target_group:web",
        "AWS/ApplicationELB",
        "TargetResponseTime",
        "Average",
        "GreaterThanThreshold",
        1.0,
        3,
        3,
    ),
    "web_memory": (
        "storefront-api-memory-high",
        "ecs_service:web",
        "AWS/ECS",
        "MemoryUtilization",
        "Average",
        "GreaterThanThreshold",
        85,
        3,
        3,
    ),
    "worker_memory": (
        "order-worker-memory-high",
        "ecs_service:worker",
        "AWS/ECS",
        "MemoryUtilization",
        "Average",
        "GreaterThanThreshold",
        85,
        3,
        3,
    ),
    "db_cpu": (
        "orders-db-cpu-high",
        "rds_instance:orders",
        "AWS/RDS",
        "CPUUtilization",
        "Average",
        "GreaterThanThreshold",
        85,
        3,
        3,
    ),
    "db_connections": (
        "orders-db-connections-high",
        "rds_instance:orders",
        "AWS/RDS",
        "DatabaseConnections",
        "Maximum",
        "GreaterThanThreshold",
        180,
        3,
        3,
    ),
    "db_storage": (
        "orders-db-free-storage-low",
        "rds_instance:orders",
        "AWS/RDS",
        "FreeStorageSpace",
        "Minimum",
        "LessThanThreshold",
        5 * GIB,
        2,
        2,
    ),
    "fn_throttles": (
        "image-resizer-throttled",
        "lambda_function:resizer",
        "AWS/Lambda",
        "Throttles",
        "Sum",
        "GreaterThanThreshold",
        20,
        3,
        3,
    ),
    "fn_errors": (
        "image-resizer-errors",
        "lambda_function:resizer",
        "AWS/Lambda",
        "Errors",
        "Sum",
        "GreaterThanThreshold",
        10,
        3,
        3,
    ),
    "reports_status": (
        "reports-renderer-status-check-failed",
        "ec2_instance:reports",
        "AWS/EC2",
        "StatusCheckFailed",
        "Maximum",
        "GreaterThanOrEqualToThreshold",
        1,
        2,
        2,
    ),
    "queue_backlog": (
        "order-events-backlog",
        "sqs_queue:orders",
        "AWS/SQS",
        "ApproximateAgeOfOldestMessage",
        "Maximum",
        "GreaterThanThreshold",
        300,
        3,
        3,
    ),
}


def alarm_name(logical: str) -> str:
    if logical not in ALARMS:
        raise ValueError(f"unknown alarm {logical!r}; known: {', '.join(sorted(ALARMS))}")
    return ALARMS[logical][0]


def create_alarms(sim: SimulatorClient, w: Workload, *, topic_arns: list[str], at: datetime) -> None:
    cloudwatch = sim.acting_client("cloudwatch", at=at, actor=ADMIN_ACTOR.format(account=w.account_id))
    for logical, (
        name,
        ref,
        namespace,
        metric,
        stat,
        comparison,
        threshold,
        periods,
        datapoints,
    ) in ALARMS.items():
        kwargs: dict[str, Any] = {
            "AlarmName": name,
            "AlarmDescription": f"{metric} {comparison} {threshold:g}",
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": dimensions(w, ref),
            "Statistic": stat,
            "Period": 60,
            "EvaluationPeriods": periods,
            "DatapointsToAlarm": datapoints,
            "Threshold": float(threshold),
            "ComparisonOperator": comparison,
            "TreatMissingData": "notBreaching",
            "AlarmActions": topic_arns,
            "OKActions": topic_arns,
        }
        cloudwatch.put_metric_alarm(**kwargs)
        w.alarms[logical] = kwargs
