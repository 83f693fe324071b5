"""EC2 instance attributes and status checks, and ECS services' Application Auto Scaling bounds."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from cloudwarden.aws import permissions
from cloudwarden.aws.session import CallLog, _install_call_log
from cloudwarden.evidence.collectors import autoscaling, ec2, ecs
from cloudwarden.evidence.model import Resource
from cloudwarden.simulator.client import SimulatorClient

ACCOUNT = "123456789012"
REGION = "us-east-1"
AMI = "ami-0c55b159cbfafe1f0"
NOW = datetime.now(UTC).replace(microsecond=0)
START, END = NOW - timedelta(hours=3), NOW + timedelta(minutes=15)


@functools.cache
def _client(endpoint: str, service: str) -> Any:
    """Clients are slow to build and the server outlives each test's reset, so build each once."""
    return SimulatorClient(endpoint).client(service)


def _logged(sim: SimulatorClient, service: str) -> tuple[Any, CallLog]:
    """A fresh client whose calls are recorded as IAM actions, as an investigation's are."""
    client = SimulatorClient(sim.endpoint).client(service)
    log = CallLog()
    _install_call_log(client, log)
    return client, log


def _offline(service: str) -> Any:
    return boto3.Session(region_name=REGION, aws_access_key_id="a", aws_secret_access_key="b").client(service)


def _run(sim: SimulatorClient, count: int = 1, **kwargs: Any) -> list[str]:
    reservation = _client(sim.endpoint, "ec2").run_instances(
        ImageId=AMI, MinCount=count, MaxCount=count, **kwargs
    )
    return [i["InstanceId"] for i in reservation["Instances"]]


def _inject(sim: SimulatorClient, instance_id: str, **payload: Any) -> None:
    sim.inject("ec2_instance_status", account_id=ACCOUNT, payload={"instance_id": instance_id, **payload})


# --- EC2 discovery -------------------------------------------------------------------------------


def test_instances_carry_the_attributes_dependency_edges_need(sim: SimulatorClient) -> None:
    iam = _client(sim.endpoint, "iam")
    profile = iam.create_instance_profile(InstanceProfileName="batch-host")["InstanceProfile"]
    (tagged,) = _run(
        sim,
        InstanceType="t3.large",
        IamInstanceProfile={"Name": "batch-host"},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "batch-1"}]}],
    )
    (plain,) = _run(sim)
    resources = {r.key: r for r in ec2.transform(ec2.get(_client(sim.endpoint, "ec2")), region=REGION)}

    instance = resources[tagged]
    assert (instance.kind, instance.name) == ("ec2_instance", tagged)  # the name stays the id
    attributes = instance.attributes
    assert attributes["state"] == "running"
    assert attributes["instance_type"] == "t3.large"
    assert attributes["tag_name"] == "batch-1"
    assert attributes["iam_instance_profile"] == profile["Arn"]
    assert attributes["private_ip"] and attributes["private_ip"].count(".") == 3
    assert attributes["private_dns"].startswith("ip-") and attributes["private_dns"].endswith(".internal")
    assert resources[plain].attributes["tag_name"] is None
    assert resources[plain].attributes["iam_instance_profile"] is None


# --- EC2 status checks ----------------------------------------------------------------------------


def test_no_injection_means_ok_and_no_events(sim: SimulatorClient) -> None:
    ids = _run(sim, 2)
    raw = ec2.get_status(_client(sim.endpoint, "ec2"), ids)
    attributes, events = ec2.transform_status(raw, start=START, end=END)
    assert attributes == {
        i: {"system_status": "ok", "instance_status": "ok", "impaired_since": None} for i in ids
    }
    assert events == []


def test_impaired_check_and_scheduled_event_become_service_events(sim: SimulatorClient) -> None:
    broken, healthy = _run(sim, 2)
    since = NOW - timedelta(minutes=30)
    maintenance_at = NOW - timedelta(minutes=40)
    _inject(
        sim,
        broken,
        system_status="impaired",
        since=since.isoformat(),
        events=[
            {
                "code": "system-maintenance",
                "description": "Scheduled maintenance on the underlying host",
                "not_before": maintenance_at.isoformat(),
                "not_after": (maintenance_at + timedelta(hours=2)).isoformat(),
            },
            {  # next week: not evidence for this window
                "code": "instance-retirement",
                "description": "The instance is running on degraded hardware",
                "not_before": (NOW + timedelta(days=7)).isoformat(),
            },
        ],
    )
    client, log = _logged(sim, "ec2")
    raw = ec2.get_status(client, [broken, healthy, broken])
    assert log.calls == [("ec2:DescribeInstanceStatus", "ok")]  # one call, the declared action
    assert "ec2:DescribeInstanceStatus" in ec2.PERMISSIONS.actions

    attributes, events = ec2.transform_status(raw, start=START, end=END)
    assert attributes[broken] == {
        "system_status": "impaired",
        "instance_status": "ok",
        "impaired_since": since,
    }
    assert attributes[healthy]["system_status"] == "ok"
    scheduled, check = sorted(events, key=lambda e: e.kind)
    assert (check.source, check.resource, check.kind, check.time) == ("ec2", broken, "status-check", since)
    assert check.message == f"system status check failed (reachability) since {since:%H:%M} UTC"
    assert check.data == {"check": "system", "status": "impaired", "failed": ["reachability"]}
    assert (scheduled.kind, scheduled.time, scheduled.resource) == ("scheduled-event", maintenance_at, broken)
    assert scheduled.message == "system-maintenance: Scheduled maintenance on the underlying host"
    assert scheduled.data["code"] == "system-maintenance"
    assert str(scheduled.data["event_id"]).startswith("instance-event-")


def test_an_impairment_that_began_after_the_window_is_not_evidence(sim: SimulatorClient) -> None:
    (instance,) = _run(sim)
    _inject(sim, instance, instance_status="impaired", since=(END + timedelta(minutes=5)).isoformat())
    raw = ec2.get_status(_client(sim.endpoint, "ec2"), [instance])
    attributes, events = ec2.transform_status(raw, start=START, end=END)
    assert attributes[instance]["instance_status"] == "impaired"
    assert events == []


def test_stopped_instances_are_included(sim: SimulatorClient) -> None:
    running, stopped = _run(sim, 2)
    _client(sim.endpoint, "ec2").stop_instances(InstanceIds=[stopped])
    raw = ec2.get_status(_client(sim.endpoint, "ec2"), [running, stopped])
    attributes, events = ec2.transform_status(raw, start=START, end=END)
    assert attributes[stopped] == {
        "system_status": "not-applicable",
        "instance_status": "not-applicable",
        "impaired_since": None,
    }
    assert attributes[running]["system_status"] == "ok"
    assert events == []


def test_no_instance_ids_means_no_call() -> None:
    client = _offline("ec2")
    with Stubber(client):  # any call would fail: nothing is queued
        assert ec2.get_status(client, []) == []


def test_status_read_is_capped_and_follows_next_token() -> None:
    client = _offline("ec2")
    ids = [f"i-{n:017x}" for n in range(150)]
    first = ids[: ec2.MAX_STATUS_INSTANCES]
    with Stubber(client) as stub:
        stub.add_response(
            "describe_instance_status",
            {"InstanceStatuses": [{"InstanceId": ids[0]}], "NextToken": "more"},
            {"InstanceIds": first, "IncludeAllInstances": True},
        )
        stub.add_response(
            "describe_instance_status",
            {"InstanceStatuses": [{"InstanceId": ids[1]}]},
            {"InstanceIds": first, "IncludeAllInstances": True, "NextToken": "more"},
        )
        raw = ec2.get_status(client, ids)
        stub.assert_no_pending_responses()
    assert [s["InstanceId"] for s in raw] == ids[:2]


# --- Application Auto Scaling ----------------------------------------------------------------------


def _ecs_services(sim: SimulatorClient, *names: str) -> dict[str, Resource]:
    client = _client(sim.endpoint, "ecs")
    client.create_cluster(clusterName="prod")
    client.register_task_definition(
        family="web-api", containerDefinitions=[{"name": "web", "image": "web:1", "memory": 512}]
    )
    for name in names:
        client.create_service(cluster="prod", serviceName=name, taskDefinition="web-api:1", desiredCount=2)
    resources, _, _ = ecs.transform(ecs.get(client))
    return {r.name: r for r in resources}


def test_scalable_targets_give_each_service_its_bounds(sim: SimulatorClient) -> None:
    services = _ecs_services(sim, "web-api", "worker", "cron")
    admin = _client(sim.endpoint, "application-autoscaling")
    admin.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/prod/web-api",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=2,
        MaxCapacity=6,
    )
    admin.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/prod/worker",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=3,
        SuspendedState={"DynamicScalingOutSuspended": True},
    )
    client, log = _logged(sim, "application-autoscaling")
    targets = autoscaling.transform(autoscaling.get(client))
    # The recorded call is exactly the declared IAM action, so the generated policy grants it.
    assert log.calls == [("application-autoscaling:DescribeScalableTargets", "ok")]
    assert set(log.actions()) == set(autoscaling.PERMISSIONS.actions)
    assert set(autoscaling.PERMISSIONS.actions) <= set(permissions.actions("read"))

    assert targets == {
        "service/prod/web-api": {"min_capacity": 2, "max_capacity": 6, "suspended": False},
        "service/prod/worker": {"min_capacity": 1, "max_capacity": 3, "suspended": True},
    }
    assert autoscaling.capacity_for(services["web-api"], targets) == targets["service/prod/web-api"]
    assert autoscaling.capacity_for(services["worker"], targets) == targets["service/prod/worker"]
    assert autoscaling.capacity_for(services["cron"], targets) is None


def test_no_scalable_targets() -> None:
    client = _offline("application-autoscaling")
    with Stubber(client) as stub:
        stub.add_response("describe_scalable_targets", {"ScalableTargets": []}, {"ServiceNamespace": "ecs"})
        assert autoscaling.transform(autoscaling.get(client)) == {}


def test_capacity_for_other_resources_is_none() -> None:
    targets = {"service/prod/orders-db": {"min_capacity": 1, "max_capacity": 2, "suspended": False}}
    database = Resource(key="arn:aws:rds:us-east-1:1:db:orders-db", kind="rds_instance", name="orders-db")
    assert autoscaling.capacity_for(database, targets) is None


@pytest.mark.parametrize(
    ("suspended_state", "suspended"),
    [
        ({}, False),
        (
            {
                "DynamicScalingInSuspended": False,
                "DynamicScalingOutSuspended": False,
                "ScheduledScalingSuspended": True,
            },
            True,
        ),
    ],
)
def test_any_suspended_scaling_counts(suspended_state: dict[str, bool], suspended: bool) -> None:
    raw = [
        {
            "ServiceNamespace": "ecs",
            "ResourceId": "service/prod/web-api",
            "ScalableDimension": "ecs:service:DesiredCount",
            "MinCapacity": 2,
            "MaxCapacity": 4,
            "SuspendedState": suspended_state,
        }
    ]
    assert autoscaling.transform(raw)["service/prod/web-api"]["suspended"] is suspended
