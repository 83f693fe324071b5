"""CloudWatch metrics through batched GetMetricData (up to 500 queries a call)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cloudwarden.aws.permissions import declare
from cloudwarden.evidence.collector import Probe
from cloudwarden.evidence.model import MetricSeries

SOURCE = "metrics"
PERMISSIONS = declare(
    "evidence.metrics",
    ("cloudwatch:GetMetricData",),
    purpose="Read 1-minute metric series of the candidate resources",
)


def _probe(client: Any) -> object:
    """One 5-minute CPU datapoint query over the last 10 minutes (the window is taken when called)."""
    now = datetime.now(UTC)
    return client.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "probe",
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/EC2", "MetricName": "CPUUtilization"},
                    "Period": 300,
                    "Stat": "Average",
                },
            }
        ],
        StartTime=now - timedelta(minutes=10),
        EndTime=now,
    )


PROBES: tuple[Probe, ...] = (Probe("metrics", "cloudwatch", "cloudwatch:GetMetricData", _probe),)

MAX_QUERIES_PER_CALL = 500


@dataclass(frozen=True)
class MetricQuery:
    resource: str
    namespace: str
    metric: str
    stat: str
    dimensions: tuple[tuple[str, str], ...]


def get(
    client: Any, queries: list[MetricQuery], *, start: datetime, end: datetime, period: int = 60
) -> dict[str, list[tuple[datetime, float]]]:
    """Return points keyed by query id ("q<index>")."""
    results: dict[str, list[tuple[datetime, float]]] = {}
    for offset in range(0, len(queries), MAX_QUERIES_PER_CALL):
        batch = queries[offset : offset + MAX_QUERIES_PER_CALL]
        data_queries = [
            {
                "Id": f"q{offset + i}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": q.namespace,
                        "MetricName": q.metric,
                        "Dimensions": [{"Name": n, "Value": v} for n, v in q.dimensions],
                    },
                    "Period": period,
                    "Stat": q.stat,
                },
                "ReturnData": True,
            }
            for i, q in enumerate(batch)
        ]
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"MetricDataQueries": data_queries, "StartTime": start, "EndTime": end}
            if token:
                kwargs["NextToken"] = token
            response = client.get_metric_data(**kwargs)
            for result in response.get("MetricDataResults", []):
                points = results.setdefault(result["Id"], [])
                points.extend(zip(result.get("Timestamps", []), result.get("Values", []), strict=False))
            token = response.get("NextToken")
            if not token:
                break
    return results


def transform(queries: list[MetricQuery], raw: dict[str, list[tuple[datetime, float]]]) -> list[MetricSeries]:
    series = []
    for index, query in enumerate(queries):
        points = sorted(raw.get(f"q{index}", []), key=lambda p: p[0])
        if not points:
            continue
        series.append(
            MetricSeries(
                resource=query.resource,
                namespace=query.namespace,
                metric=query.metric,
                stat=query.stat,
                dimensions=dict(query.dimensions),
                points=points,
            )
        )
    return series
