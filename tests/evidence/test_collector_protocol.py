"""Every registered collector satisfies the protocol, and its probes read what it declares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from cloudwarden.aws.permissions import iam_action
from cloudwarden.evidence import registry
from cloudwarden.evidence.collector import Collector, Probe

# The boto3 service of an IAM prefix, where the two differ.
BOTO3_SERVICE = {"elasticloadbalancing": "elbv2"}
# The probes as aws/probe.py listed them before collectors declared them: the connection test's
# results (their order, sources and actions) are stored per account and shown to customers.
EXPECTED_PROBES = [
    ("alarms", "cloudwatch", "cloudwatch:DescribeAlarms"),
    ("alarm-history", "cloudwatch", "cloudwatch:DescribeAlarmHistory"),
    ("metrics", "cloudwatch", "cloudwatch:GetMetricData"),
    ("logs", "logs", "logs:FilterLogEvents"),
    ("cloudtrail", "cloudtrail", "cloudtrail:LookupEvents"),
    ("ecs", "ecs", "ecs:ListClusters"),
    ("rds", "rds", "rds:DescribeDBInstances"),
    ("ec2", "ec2", "ec2:DescribeSecurityGroups"),
    ("ec2-status", "ec2", "ec2:DescribeInstanceStatus"),
    ("elbv2", "elbv2", "elasticloadbalancing:DescribeTargetGroups"),
    ("lambda", "lambda", "lambda:ListFunctions"),
    ("findings", "guardduty", "guardduty:ListDetectors"),
    ("autoscaling", "application-autoscaling", "application-autoscaling:DescribeScalableTargets"),
]


def _id(collector: Collector) -> str:
    return collector.SOURCE


def test_sources_are_unique() -> None:
    sources = [c.SOURCE for c in registry.COLLECTORS]
    assert len(sources) == len(set(sources)), sources
    assert tuple(sources) == registry.SOURCES


@pytest.mark.parametrize("collector", registry.COLLECTORS, ids=_id)
def test_each_collector_has_the_protocol_members(collector: Collector) -> None:
    assert isinstance(collector.SOURCE, str) and collector.SOURCE
    assert collector.PERMISSIONS.owner == f"evidence.{collector.SOURCE}"
    assert collector.PERMISSIONS.kind == "read" and not collector.PERMISSIONS.optional
    assert callable(collector.get) and callable(collector.transform)
    assert collector.PROBES, f"{collector.SOURCE} declares no probe"
    assert all(isinstance(p, Probe) for p in collector.PROBES)


@pytest.mark.parametrize("collector", registry.COLLECTORS, ids=_id)
def test_each_probe_reads_through_its_collectors_permissions(collector: Collector) -> None:
    for probe in collector.PROBES:
        assert probe.action in collector.PERMISSIONS.actions, (collector.SOURCE, probe.action)
        prefix = probe.action.partition(":")[0]
        assert probe.service == BOTO3_SERVICE.get(prefix, prefix), (probe.source, probe.service, probe.action)


def test_probe_sources_are_unique_and_in_registry_order() -> None:
    sources = [p.source for p in registry.PROBES]
    assert len(sources) == len(set(sources)), sources
    assert tuple(p for c in registry.COLLECTORS for p in c.PROBES) == registry.PROBES
    assert [(p.source, p.service, p.action) for p in registry.PROBES] == EXPECTED_PROBES


@pytest.mark.parametrize("probe", registry.PROBES, ids=lambda p: p.source)
def test_each_probe_makes_exactly_the_call_its_action_names(probe: Probe) -> None:
    """Made on a client of its service (answered locally), the call is valid and is its action."""
    client = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    ).client(probe.service)
    prefix = client.meta.service_model.endpoint_prefix
    called: list[str] = []

    def answer(model: Any, **_: Any) -> tuple[Any, dict[str, Any]]:
        called.append(iam_action(prefix, model.name))
        return SimpleNamespace(status_code=200, headers={}), {}

    client.meta.events.register("before-call", answer)
    probe.call(client)
    assert called == [probe.action]


def test_the_metric_probe_takes_its_window_when_called() -> None:
    """The window ends at the call, not at import (a long-running process probes all day)."""
    (probe,) = [p for p in registry.PROBES if p.source == "metrics"]
    seen: list[dict[str, Any]] = []

    class Client:
        def get_metric_data(self, **kwargs: Any) -> dict[str, Any]:
            seen.append(kwargs)
            return {}

    before = datetime.now(UTC)
    probe.call(Client())
    (kwargs,) = seen
    assert before <= kwargs["EndTime"] <= datetime.now(UTC)
    assert kwargs["EndTime"] - kwargs["StartTime"] == timedelta(minutes=10)
