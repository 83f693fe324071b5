"""GetMetricData for metric-stat queries in linear time, matched as CloudWatch matches them.

moto answers each query by scanning every stored datapoint once per period: a three-hour window
of 1-minute periods over a few dozen series costs seconds per call, which no real CloudWatch
call does, and would put the simulator's slowness into the time-to-diagnosis figures. Here the
window's datapoints are indexed once by (namespace, metric name, dimension set) and each query
reads its own series, bucketed by period. Matching is CloudWatch's: the namespace, the name and
the exact set of dimensions (moto drops the namespace when dimensions are given). A request with
metric-math or Metrics Insights expressions goes to moto's own implementation unchanged.

The `service_metrics` injector writes the datapoints AWS services emit themselves (AWS/ECS,
AWS/RDS, ...), which no one can write through PutMetricData (AWS refuses "AWS/" namespaces),
straight into moto's store: a scenario's three hours of history in one request instead of a
dozen 1,000-datum PutMetricData calls that cost seconds to validate, serialise and parse.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from cloudwarden.simulator.patches import Injector, InjectRequest
from cloudwarden.simulator.patches._support import StrictPayload, as_utc, install, parse_payload

_originals: dict[str, Callable[..., Any]] = {}
SeriesKey = tuple[str, str, tuple[tuple[str, str], ...]]


def _series_key(namespace: str, name: str, dimensions: list[Any]) -> SeriesKey:
    return namespace, name, tuple(sorted((str(d.name), str(d.value)) for d in dimensions))


def _get_metric_data(
    self: Any,
    queries: list[dict[str, Any]],
    start_time: datetime,
    end_time: datetime,
    scan_by: str = "TimestampAscending",
) -> list[dict[str, Any]]:
    from moto.cloudwatch.models import Dimension, Statistics

    if not queries or any("MetricStat" not in q for q in queries):
        answer: list[dict[str, Any]] = _originals["get_metric_data"](
            self, queries, start_time, end_time, scan_by
        )
        return answer
    # moto validates the window; an empty query list lets it do so without the slow scan.
    _originals["get_metric_data"](self, [], start_time, end_time, scan_by)
    start_time, end_time = start_time.replace(microsecond=0), end_time.replace(microsecond=0)
    index: dict[SeriesKey, list[Any]] = {}
    for datum in self.get_all_metrics():
        if start_time <= datum.timestamp < end_time:
            index.setdefault(_series_key(datum.namespace, datum.name, datum.dimensions), []).append(datum)
    results = []
    for query in queries:
        stat_spec = query["MetricStat"]
        metric = stat_spec["Metric"]
        dimensions = [Dimension(name=d["Name"], value=d["Value"]) for d in metric.get("Dimensions", [])]
        data = index.get(_series_key(metric["Namespace"], metric["MetricName"], dimensions), [])
        unit = stat_spec.get("Unit")
        if unit:
            data = [d for d in data if d.unit == unit]
        period = int(stat_spec["Period"])
        buckets: dict[int, list[Any]] = {}
        for datum in data:
            buckets.setdefault(int((datum.timestamp - start_time).total_seconds()) // period, []).append(
                datum
            )
        values, timestamps = [], []
        for slot in sorted(buckets):
            stats = Statistics([stat_spec["Stat"]], start_time + timedelta(seconds=slot * period))
            stats.metric_data = buckets[slot]
            values.append(stats.get_statistics_for_type(stat_spec["Stat"]))
            timestamps.append(stats.timestamp)
        if scan_by == "TimestampDescending":
            values.reverse()
            timestamps.reverse()
        if query.get("ReturnData", True):
            results.append(
                {
                    "id": query["Id"],
                    "label": query.get("Label") or f"{metric['MetricName']} {stat_spec['Stat']}",
                    "values": values,
                    "timestamps": timestamps,
                    "status_code": "Complete",
                }
            )
    return results


def apply() -> None:
    from moto.cloudwatch.models import CloudWatchBackend

    if "get_metric_data" not in _originals:
        _originals["get_metric_data"] = CloudWatchBackend.get_metric_data
        install(CloudWatchBackend, "get_metric_data", _get_metric_data)


def reset() -> None:
    return None


class MetricDimension(StrictPayload):
    Name: str
    Value: str


class ServiceDatum(StrictPayload):
    MetricName: str
    Dimensions: list[MetricDimension] = Field(default_factory=list, max_length=30)
    Timestamp: datetime
    Value: float
    Unit: str | None = None


class ServiceMetricsPayload(StrictPayload):
    namespace: str = Field(pattern=r"^AWS/")
    data: list[ServiceDatum]


def _inject_service_metrics(request: InjectRequest) -> dict[str, Any]:
    from moto.cloudwatch.models import cloudwatch_backends

    payload = parse_payload(ServiceMetricsPayload, request.payload, "service_metrics")
    backend = cloudwatch_backends[request.account_id][request.region]
    backend.put_metric_data(
        payload.namespace,
        [
            {
                "MetricName": d.MetricName,
                "Dimensions": [{"Name": x.Name, "Value": x.Value} for x in d.Dimensions],
                "Timestamp": as_utc(d.Timestamp).replace(tzinfo=None),  # moto keeps naive UTC
                "Value": d.Value,
                "Unit": d.Unit,
            }
            for d in payload.data
        ],
    )
    return {"written": len(payload.data)}


INJECTORS: dict[str, Injector] = {"service_metrics": _inject_service_metrics}
