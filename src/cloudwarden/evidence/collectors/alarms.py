"""CloudWatch alarms: the alarm that fired, with its metric, dimensions and state change.

An investigation reads one alarm by name (never the account's whole list) and, only when the
alarm is not in ALARM now, its state history: to find the transition into ALARM it should
explain, or to say that there is none to explain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cloudwarden.aws.permissions import declare
from cloudwarden.evidence.collector import Probe
from cloudwarden.evidence.model import AlarmInfo

SOURCE = "alarms"
PERMISSIONS = declare(
    "evidence.alarms",
    ("cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory"),
    purpose="Read the alarm that fired (its metric, dimensions, threshold and state change) and, when "
    "it is no longer in ALARM, when it last went into ALARM",
)
PROBES: tuple[Probe, ...] = (
    Probe("alarms", "cloudwatch", "cloudwatch:DescribeAlarms", lambda c: c.describe_alarms(MaxRecords=1)),
    Probe(
        "alarm-history",
        "cloudwatch",
        "cloudwatch:DescribeAlarmHistory",
        lambda c: c.describe_alarm_history(HistoryItemType="StateUpdate", MaxRecords=1),
    ),
)


@dataclass(frozen=True)
class Transition:
    at: datetime
    old: str
    new: str


def get(client: Any, names: list[str] | None = None) -> list[dict[str, Any]]:
    """Metric alarms, by name when `names` are given (one call), else all of them (paginated)."""
    alarms: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"AlarmTypes": ["MetricAlarm"]}
    if names:
        kwargs["AlarmNames"] = names
    for page in client.get_paginator("describe_alarms").paginate(**kwargs):
        alarms.extend(page.get("MetricAlarms", []))
    return alarms


def get_transitions(client: Any, name: str) -> list[dict[str, Any]]:
    """The alarm's newest state changes (CloudWatch keeps 14 days), newest first; one call."""
    response = client.describe_alarm_history(
        AlarmName=name,
        AlarmTypes=["MetricAlarm"],
        HistoryItemType="StateUpdate",
        ScanBy="TimestampDescending",
        MaxRecords=100,
    )
    return list(response.get("AlarmHistoryItems", []))


def transform_transitions(items: list[dict[str, Any]]) -> list[Transition]:
    """State changes from history items, newest first; items without readable data are skipped."""
    transitions: list[Transition] = []
    for item in items:
        try:
            data = json.loads(item.get("HistoryData") or "{}")
            old, new = data["oldState"]["stateValue"], data["newState"]["stateValue"]
        except (ValueError, KeyError, TypeError):
            continue
        transitions.append(Transition(at=item["Timestamp"], old=str(old), new=str(new)))
    return sorted(transitions, key=lambda t: t.at, reverse=True)


def transform(raw: dict[str, Any]) -> AlarmInfo:
    return AlarmInfo(
        name=raw["AlarmName"],
        arn=raw["AlarmArn"],
        state=raw["StateValue"],
        state_reason=raw.get("StateReason", ""),
        state_changed_at=raw.get("StateTransitionedTimestamp") or raw["StateUpdatedTimestamp"],
        namespace=raw.get("Namespace"),
        metric=raw.get("MetricName"),
        statistic=raw.get("Statistic") or raw.get("ExtendedStatistic"),
        dimensions={d["Name"]: d["Value"] for d in raw.get("Dimensions", [])},
        threshold=raw.get("Threshold"),
        comparison=raw.get("ComparisonOperator"),
        period=raw.get("Period"),
        actions=list(raw.get("AlarmActions", [])),
    )
