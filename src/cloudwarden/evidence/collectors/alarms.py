"""CloudWatch alarms: the alarm that fired, with its metric, dimensions and state change."""

from __future__ import annotations

from typing import Any

from cloudwarden.aws.permissions import declare
from cloudwarden.evidence.model import AlarmInfo

SOURCE = "alarms"
PERMISSIONS = declare(
    "evidence.alarms",
    ("cloudwatch:DescribeAlarms",),
    purpose="Read the alarm that fired (its metric, dimensions, threshold and state change)",
)


def get_alarms(client: Any) -> list[dict[str, Any]]:
    alarms: list[dict[str, Any]] = []
    for page in client.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"]):
        alarms.extend(page.get("MetricAlarms", []))
    return alarms


def transform_alarm(raw: dict[str, Any]) -> AlarmInfo:
    return AlarmInfo(
        name=raw["AlarmName"],
        arn=raw["AlarmArn"],
        state=raw["StateValue"],
        state_reason=raw.get("StateReason", ""),
        state_changed_at=raw["StateUpdatedTimestamp"],
        namespace=raw.get("Namespace"),
        metric=raw.get("MetricName"),
        statistic=raw.get("Statistic") or raw.get("ExtendedStatistic"),
        dimensions={d["Name"]: d["Value"] for d in raw.get("Dimensions", [])},
        threshold=raw.get("Threshold"),
        comparison=raw.get("ComparisonOperator"),
        period=raw.get("Period"),
        actions=list(raw.get("AlarmActions", [])),
    )
