"""Contract: simulated EC2 DescribeInstanceStatus shows failing checks and scheduled events as AWS does."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cloudwarden.simulator.client import SimulatorClient, SimulatorError

ACCOUNT = "123456789012"
AMI = "ami-0c55b159cbfafe1f0"
OK_CHECK = {"Status": "ok", "Details": [{"Name": "reachability", "Status": "passed"}]}
NOT_APPLICABLE = {"Status": "not-applicable"}


@functools.cache
def _client(endpoint: str, service: str) -> Any:
    """Clients are slow to build and the server outlives each test's reset, so build each once."""
    return SimulatorClient(endpoint).client(service)


def _ec2(sim: SimulatorClient) -> Any:
    return _client(sim.endpoint, "ec2")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _run(sim: SimulatorClient, count: int) -> list[str]:
    reservation = _ec2(sim).run_instances(ImageId=AMI, MinCount=count, MaxCount=count)
    return [i["InstanceId"] for i in reservation["Instances"]]


def _inject(sim: SimulatorClient, instance_id: str, **payload: Any) -> Any:
    body = {"instance_id": instance_id, **payload}
    return sim.inject("ec2_instance_status", account_id=ACCOUNT, payload=body)


def _statuses(sim: SimulatorClient, **kwargs: Any) -> dict[str, dict[str, Any]]:
    return {s["InstanceId"]: s for s in _ec2(sim).describe_instance_status(**kwargs)["InstanceStatuses"]}


def test_without_injection_every_running_instance_is_ok_with_no_events(sim: SimulatorClient) -> None:
    ids = _run(sim, 2)
    statuses = _statuses(sim)
    assert set(statuses) == set(ids)
    for status in statuses.values():
        assert status["InstanceState"] == {"Code": 16, "Name": "running"}
        assert status["SystemStatus"] == OK_CHECK and status["InstanceStatus"] == OK_CHECK
        assert status["Events"] == []
        assert status["AvailabilityZone"] == "us-east-1a"


def test_impaired_checks_and_scheduled_events_in_aws_shape(sim: SimulatorClient) -> None:
    broken, healthy = _run(sim, 2)
    since = _now() - timedelta(minutes=14)
    not_before = _now() + timedelta(days=2)
    recorded = _inject(
        sim,
        broken,
        system_status="impaired",
        instance_status="impaired",
        since=since.isoformat(),
        events=[
            {
                "code": "instance-retirement",
                "description": "The instance is running on degraded hardware",
                "not_before": not_before.isoformat(),
            },
            {
                "code": "system-maintenance",
                "description": "Scheduled host maintenance",
                "not_before": (since - timedelta(hours=1)).isoformat(),
                "not_after": (since + timedelta(hours=1)).isoformat(),
            },
        ],
    )
    assert recorded["recorded"]["SystemStatus"]["Status"] == "impaired"

    status = _statuses(sim, InstanceIds=[broken])[broken]
    failed = {
        "Status": "impaired",
        "Details": [{"Name": "reachability", "Status": "failed", "ImpairedSince": since}],
    }
    assert status["SystemStatus"] == failed and status["InstanceStatus"] == failed
    retirement, maintenance = status["Events"]
    assert re.fullmatch(r"instance-event-[0-9a-f]{17}", retirement.pop("InstanceEventId"))
    assert retirement == {
        "Code": "instance-retirement",
        "Description": "The instance is running on degraded hardware",
        "NotBefore": not_before,
    }
    assert maintenance["NotAfter"] == since + timedelta(hours=1)
    # Event ids are stable across calls, as in AWS.
    assert _statuses(sim, InstanceIds=[broken])[broken]["Events"][1] == maintenance
    assert _statuses(sim, InstanceIds=[healthy])[healthy]["SystemStatus"] == OK_CHECK


def test_one_check_failing_leaves_the_other_passing(sim: SimulatorClient) -> None:
    (instance,) = _run(sim, 1)
    _inject(sim, instance, instance_status="impaired", since=_now().isoformat())
    status = _statuses(sim)[instance]
    assert status["SystemStatus"] == OK_CHECK
    assert status["InstanceStatus"]["Status"] == "impaired"
    _inject(sim, instance, system_status="insufficient-data", instance_status="initializing")
    status = _statuses(sim)[instance]
    assert status["SystemStatus"] == {
        "Status": "insufficient-data",
        "Details": [{"Name": "reachability", "Status": "insufficient-data"}],
    }
    assert status["InstanceStatus"]["Details"] == [{"Name": "reachability", "Status": "initializing"}]


def test_a_new_injection_replaces_the_previous_one(sim: SimulatorClient) -> None:
    (instance,) = _run(sim, 1)
    event = {"code": "system-reboot", "description": "reboot", "not_before": _now().isoformat()}
    _inject(sim, instance, system_status="impaired", events=[event])
    _inject(sim, instance)
    status = _statuses(sim)[instance]
    assert status["SystemStatus"] == OK_CHECK and status["Events"] == []


def test_include_all_instances_shows_stopped_instances_as_not_applicable(sim: SimulatorClient) -> None:
    running, stopped = _run(sim, 2)
    event = {"code": "instance-stop", "description": "stop for retirement", "not_before": _now().isoformat()}
    _inject(sim, stopped, system_status="impaired", events=[event])
    _ec2(sim).stop_instances(InstanceIds=[stopped])

    assert set(_statuses(sim)) == {running}
    assert set(_statuses(sim, InstanceIds=[running, stopped])) == {running}
    everything = _statuses(sim, IncludeAllInstances=True)
    assert set(everything) == {running, stopped}
    shown = everything[stopped]
    assert shown["InstanceState"] == {"Code": 80, "Name": "stopped"}
    # Checks only run on a running instance; its scheduled events are still shown.
    assert shown["SystemStatus"] == NOT_APPLICABLE and shown["InstanceStatus"] == NOT_APPLICABLE
    assert [e["Code"] for e in shown["Events"]] == ["instance-stop"]
    assert set(_statuses(sim, InstanceIds=[stopped], IncludeAllInstances=True)) == {stopped}


def test_status_filters(sim: SimulatorClient) -> None:
    broken, degraded, healthy = _run(sim, 3)
    retire = {"code": "instance-retirement", "description": "retire", "not_before": _now().isoformat()}
    _inject(sim, broken, system_status="impaired", since=_now().isoformat())
    _inject(sim, degraded, instance_status="impaired", events=[retire])

    def matching(*filters: tuple[str, list[str]], **kwargs: Any) -> set[str]:
        return set(_statuses(sim, Filters=[{"Name": n, "Values": v} for n, v in filters], **kwargs))

    assert matching(("system-status.status", ["impaired"])) == {broken}
    assert matching(("instance-status.status", ["impaired"])) == {degraded}
    assert matching(("instance-status.status", ["ok"])) == {broken, healthy}
    assert matching(("system-status.status", ["ok"]), ("instance-status.status", ["ok"])) == {healthy}
    assert matching(("system-status.status", ["impaired", "insufficient-data"])) == {broken}
    assert matching(("system-status.reachability", ["failed"])) == {broken}
    assert matching(("event.code", ["instance-retirement"])) == {degraded}
    assert matching(("event.code", ["instance-*"])) == {degraded}
    assert matching(("instance-state-name", ["running"]), ("availability-zone", ["us-east-1a"])) == {
        broken,
        degraded,
        healthy,
    }
    assert matching(("system-status.status", ["impaired"]), InstanceIds=[degraded, healthy]) == set()
    _ec2(sim).stop_instances(InstanceIds=[healthy])
    assert matching(("instance-status.status", ["not-applicable"]), IncludeAllInstances=True) == {healthy}
    assert matching(("instance-state-name", ["stopped"])) == set()  # running only, unless IncludeAll

    with pytest.raises(ClientError) as raised:
        matching(("not-a-filter", ["x"]))
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "not-a-filter" in raised.value.response["Error"]["Message"]


def test_unknown_instance_ids_are_not_found(sim: SimulatorClient) -> None:
    (instance,) = _run(sim, 1)
    with pytest.raises(ClientError) as raised:
        _statuses(sim, InstanceIds=[instance, "i-0123456789abcdef0"])
    assert raised.value.response["Error"]["Code"] == "InvalidInstanceID.NotFound"


def test_max_results_pages_and_cannot_be_combined_with_instance_ids(sim: SimulatorClient) -> None:
    ids = _run(sim, 7)
    first = _ec2(sim).describe_instance_status(MaxResults=5)
    second = _ec2(sim).describe_instance_status(MaxResults=5, NextToken=first["NextToken"])
    assert len(first["InstanceStatuses"]) == 5 and "NextToken" not in second
    assert {s["InstanceId"] for s in first["InstanceStatuses"] + second["InstanceStatuses"]} == set(ids)
    paginator = _ec2(sim).get_paginator("describe_instance_status")
    paged = [
        s["InstanceId"]
        for p in paginator.paginate(PaginationConfig={"PageSize": 5})
        for s in p["InstanceStatuses"]
    ]
    assert sorted(paged) == sorted(ids)
    for kwargs in ({"MaxResults": 4}, {"MaxResults": 5, "InstanceIds": ids[:1]}):
        with pytest.raises(ClientError) as raised:
            _ec2(sim).describe_instance_status(**kwargs)
        assert raised.value.response["Error"]["Code"] in {
            "InvalidParameterValue",
            "InvalidParameterCombination",
        }


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"instance_id": "i-0123456789abcdef0"}, "no EC2 instance 'i-0123456789abcdef0'"),
        ({"system_status": "broken"}, "system_status"),
        ({"colour": "red"}, "colour"),
        (
            {
                "events": [
                    {
                        "code": "instance-reboot",
                        "description": "x",
                        "not_before": "2024-05-02T00:00:00Z",
                        "not_after": "2024-05-01T00:00:00Z",
                    }
                ]
            },
            "not_after is before not_before",
        ),
        ({"events": [{"code": "explode", "description": "x", "not_before": "2024-05-02T00:00:00Z"}]}, "code"),
    ],
)
def test_bad_injections_are_refused_with_the_reason(
    sim: SimulatorClient, payload: dict[str, Any], message: str
) -> None:
    (instance,) = _run(sim, 1)
    with pytest.raises(SimulatorError, match="400") as raised:
        sim.inject("ec2_instance_status", account_id=ACCOUNT, payload={"instance_id": instance, **payload})
    assert message in str(raised.value)
