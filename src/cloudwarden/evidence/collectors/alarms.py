"""CloudWatch alarms: the alarm that fired, its history, and the account's other alarms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cloudwarden.aws.permissions import declare
from cloudwarden.evidence.model import AlarmInfo, AlarmTransition

SOURCE = "alarms"
PERMISSIONS = declare(
    "evidence.alarms",
    ("cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory"),
    purpose="Read the alarm that fired, its state history and the other alarms in the account",
)


def get_alarms(client: Any) -> list[dict[str, Any]]:
    alarms: list[dict[str, Any]] = []
    for page in client.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"]):
        alarms.extend(page.get("MetricAlarms", []))
    return alarms


def get_history(client: Any, *, alarm_name: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    response = client.describe_alarm_history(
        AlarmName=alarm_name, HistoryItemType="StateUpdate", StartDate=start, EndDate=end, MaxRecords=100
    )
    items: list[dict[str, Any]] = response.get("AlarmHistoryItems", [])
    return items


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


def transform_history(raw: list[dict[str, Any]]) -> list[AlarmTransition]:
    import json

    transitions = []
    for item in raw:
        try:
            data = json.loads(item.get("HistoryData") or "{}")
        except json.JSONDecodeError:
            data = {}
        transitions.append(
            AlarmTransition(
                alarm=item["AlarmName"],
                time=item["Timestamp"],
                old_state=data.get("oldState", {}).get("stateValue", ""),
                new_state=data.get("newState", {}).get("stateValue", ""),
                reason=data.get("newState", {}).get("stateReason", item.get("HistorySummary", "")),
            )
        )
    return sorted(transitions, key=lambda t: t.time)
