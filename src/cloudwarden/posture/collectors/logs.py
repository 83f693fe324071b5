"""CloudWatch Logs, read in every region: the log groups (retention, KMS key) and metric filters.

The metric filters are a detail of their own: when they cannot be read, the log group checks
still run and the CIS 4.x checks (which need them) report why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from cloudwarden.aws import permissions
from cloudwarden.posture.collectors import Clients
from cloudwarden.posture.inventory import paginate, read
from cloudwarden.posture.model import Unknown

SERVICE = "logs"
SCOPE: Literal["global", "regional"] = "regional"
PERMISSIONS = permissions.declare(
    "posture.logs",
    ("logs:DescribeLogGroups", "logs:DescribeMetricFilters"),
    purpose="posture: CloudWatch Logs log groups (retention, encryption) and metric filters",
)


@dataclass(frozen=True)
class LogGroup:
    name: str
    arn: str  # without the trailing ":*" of the API's `arn`
    retention_days: int | None  # None: never expire
    kms_key_id: str | None


@dataclass(frozen=True)
class MetricFilter:
    name: str
    log_group: str
    pattern: str
    metrics: tuple[tuple[str, str], ...]  # (namespace, metric name) it publishes


@dataclass(frozen=True)
class LogsData:
    log_groups: tuple[LogGroup, ...]
    metric_filters: tuple[MetricFilter, ...] | Unknown


def collect(clients: Clients, region: str, account_id: str) -> LogsData:
    logs = clients("logs")
    groups = tuple(_group(item) for item in paginate(logs, "describe_log_groups", "logGroups"))
    filters = read(
        logs, lambda: tuple(_filter(f) for f in paginate(logs, "describe_metric_filters", "metricFilters"))
    )
    return LogsData(log_groups=groups, metric_filters=filters)


def _group(item: dict[str, Any]) -> LogGroup:
    arn = str(item.get("logGroupArn") or item.get("arn", ""))
    if arn.endswith(":*"):
        arn = arn[:-2]
    retention = item.get("retentionInDays")
    return LogGroup(
        name=item["logGroupName"],
        arn=arn,
        retention_days=int(retention) if retention else None,
        kms_key_id=item.get("kmsKeyId") or None,
    )


def _filter(item: dict[str, Any]) -> MetricFilter:
    return MetricFilter(
        name=item.get("filterName", ""),
        log_group=item.get("logGroupName", ""),
        pattern=item.get("filterPattern", "") or "",
        metrics=tuple(
            (str(t.get("metricNamespace", "")), str(t.get("metricName", "")))
            for t in item.get("metricTransformations", [])
        ),
    )
