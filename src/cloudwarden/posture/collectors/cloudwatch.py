"""CloudWatch, read in every region: the metric alarms (composite alarms are not read)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from cloudwarden.aws import permissions
from cloudwarden.posture.collectors import Clients
from cloudwarden.posture.inventory import paginate

SERVICE = "cloudwatch"
SCOPE: Literal["global", "regional"] = "regional"
PERMISSIONS = permissions.declare(
    "posture.cloudwatch",
    ("cloudwatch:DescribeAlarms",),
    purpose="posture: CloudWatch metric alarms, their metrics and actions",
)


@dataclass(frozen=True)
class MetricAlarm:
    name: str
    arn: str
    metrics: frozenset[tuple[str, str]]  # (namespace, metric name), including metric math inputs
    actions_enabled: bool
    alarm_actions: tuple[str, ...]
    ok_actions: tuple[str, ...]
    insufficient_data_actions: tuple[str, ...]
    state: str

    def sns_actions(self) -> tuple[str, ...]:
        """The SNS topics notified when the alarm fires (none while its actions are disabled)."""
        if not self.actions_enabled:
            return ()
        return tuple(a for a in self.alarm_actions if a.split(":")[2:3] == ["sns"])


@dataclass(frozen=True)
class CloudWatchData:
    alarms: tuple[MetricAlarm, ...]


def collect(clients: Clients, region: str, account_id: str) -> CloudWatchData:
    cloudwatch = clients("cloudwatch")
    items = paginate(cloudwatch, "describe_alarms", "MetricAlarms", AlarmTypes=["MetricAlarm"])
    return CloudWatchData(alarms=tuple(_alarm(item) for item in items))


def _alarm(item: dict[str, Any]) -> MetricAlarm:
    metrics: set[tuple[str, str]] = set()
    if item.get("MetricName"):
        metrics.add((str(item.get("Namespace", "")), str(item["MetricName"])))
    for query in item.get("Metrics") or []:
        metric = (query.get("MetricStat") or {}).get("Metric") or {}
        if metric.get("MetricName"):
            metrics.add((str(metric.get("Namespace", "")), str(metric["MetricName"])))
    return MetricAlarm(
        name=item["AlarmName"],
        arn=item.get("AlarmArn", ""),
        metrics=frozenset(metrics),
        actions_enabled=bool(item.get("ActionsEnabled", True)),
        alarm_actions=tuple(item.get("AlarmActions") or ()),
        ok_actions=tuple(item.get("OKActions") or ()),
        insufficient_data_actions=tuple(item.get("InsufficientDataActions") or ()),
        state=str(item.get("StateValue", "")),
    )
