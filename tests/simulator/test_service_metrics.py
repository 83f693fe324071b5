"""Contract: what AWS services emit themselves (the `service_metrics` injector) reads back through
GetMetricData as if the service had written it; namespaces outside "AWS/" are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cloudwarden.simulator.client import SimulatorClient, SimulatorError

ACCOUNT = "123456789012"
DIMENSIONS = [{"Name": "ClusterName", "Value": "prod"}, {"Name": "ServiceName", "Value": "web-api"}]


def test_service_metrics_read_back_through_get_metric_data(sim: SimulatorClient) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    data = [
        {
            "MetricName": "CPUUtilization",
            "Dimensions": DIMENSIONS,
            "Timestamp": now - timedelta(minutes=k),
            "Value": float(k),
            "Unit": "Percent",
        }
        for k in range(1, 61)
    ]
    sim.service_metrics(account_id=ACCOUNT, namespace="AWS/ECS", data=data)

    answer = sim.client("cloudwatch").get_metric_data(
        MetricDataQueries=[
            {
                "Id": "cpu",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/ECS",
                        "MetricName": "CPUUtilization",
                        "Dimensions": DIMENSIONS,
                    },
                    "Period": 60,
                    "Stat": "Maximum",
                },
            }
        ],
        StartTime=now - timedelta(minutes=10),
        EndTime=now,
        ScanBy="TimestampDescending",
    )["MetricDataResults"][0]
    assert answer["Values"] == [float(k) for k in range(1, 11)]
    assert answer["Timestamps"][0] == now - timedelta(minutes=1)


def test_a_namespace_no_aws_service_emits_is_refused(sim: SimulatorClient) -> None:
    with pytest.raises(SimulatorError, match="namespace"):
        sim.service_metrics(
            account_id=ACCOUNT,
            namespace="Storefront",
            data=[{"MetricName": "Orders", "Timestamp": datetime.now(UTC), "Value": 1.0}],
        )
