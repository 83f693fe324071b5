"""The unrelated fleet: N resources of the stated kinds, none of them connected to the storefront."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cloudwarden.simulator import unrelated_fleet, workload
from cloudwarden.simulator.client import SimulatorClient

N = 40


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page[key]]


def test_plan_is_exact_reproducible_and_mixed() -> None:
    a = unrelated_fleet.plan(500, random.Random(3))
    assert a == unrelated_fleet.plan(500, random.Random(3))
    assert a.resources == 500
    made = unrelated_fleet.VPC_RESOURCES + 2 * len(a.clusters) + sum(u.resources for u in a.units)
    assert made == 500
    assert set(a.kinds()) == set(unrelated_fleet.UNIT_RESOURCES)  # every kind at this size
    assert a.kinds()["rds_instance"] <= unrelated_fleet.MAX_RDS
    assert len({u.name for u in a.units}) == len(a.units)
    assert unrelated_fleet.DECOYS[0] <= len(a.decoys) <= unrelated_fleet.DECOYS[1]
    for decoy in a.decoys:
        assert unrelated_fleet.DECOY_WINDOW[0] <= decoy.at <= unrelated_fleet.DECOY_WINDOW[1]
    assert unrelated_fleet.plan(0, random.Random(3)).units == ()
    with pytest.raises(ValueError, match="at least"):
        unrelated_fleet.plan(5, random.Random(3))


def test_fleet_deploys_n_resources_unconnected_to_the_storefront(sim: SimulatorClient) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    w = workload.deploy_workload(sim, now=now, extra_functions=2)
    before = unrelated_fleet.inventory(sim)
    plan = unrelated_fleet.plan(N, random.Random(7))
    fleet = unrelated_fleet.deploy(sim, plan, now=now, onset=now - timedelta(minutes=20))
    after = unrelated_fleet.inventory(sim)

    # N resources, of the stated kinds, as the account's own listings count them.
    assert fleet.resources == N
    grown = {kind: after[kind] - before.get(kind, 0) for kind in after}
    for kind, count in fleet.created.items():
        expected = count + (
            sum(d.kind == "ecs_deploy" for d in plan.decoys) if kind == "ecs_task_definition" else 0
        )
        assert grown[kind] == expected, kind
    assert sum(grown.values()) == N + sum(d.kind == "ecs_deploy" for d in plan.decoys)
    assert grown["ecs_service"] >= 1 and grown["lambda_function"] >= 1

    # Nothing shared with the storefront: network, security groups, roles, queues, clusters.
    ec2, ecs, lam = sim.client("ec2"), sim.client("ecs"), sim.client("lambda")
    storefront_groups = {v for k, v in w.ids.items() if k.startswith("sg:")}
    storefront_roles = {v for k, v in w.refs.items() if k.startswith("iam_role:")}
    storefront_vpc = ec2.describe_security_groups(GroupIds=sorted(storefront_groups))["SecurityGroups"][0][
        "VpcId"
    ]
    assert fleet.vpc_id != storefront_vpc
    assert not set(fleet.security_groups) & storefront_groups
    assert not set(fleet.roles) & storefront_roles
    assert all(w.ids["queue_url"].rsplit("/", 1)[-1] != url.rsplit("/", 1)[-1] for url in fleet.queue_urls)
    assert not set(fleet.log_groups) & set(w.log_groups.values())
    fleet_groups = ec2.describe_security_groups(GroupIds=fleet.security_groups)["SecurityGroups"]
    for group in fleet_groups:
        assert group["VpcId"] == fleet.vpc_id
        referenced = {
            p["GroupId"] for rule in group["IpPermissions"] for p in rule.get("UserIdGroupPairs", [])
        }
        assert not referenced & storefront_groups
    for group in ec2.describe_security_groups(GroupIds=sorted(storefront_groups))["SecurityGroups"]:
        referenced = {
            p["GroupId"] for rule in group["IpPermissions"] for p in rule.get("UserIdGroupPairs", [])
        }
        assert not referenced & set(fleet.security_groups)

    storefront_names = {w.ids["db_endpoint"], w.ids["queue_url"], workload.FUNCTION, workload.SECRET_NAME}
    storefront_names |= {w.ref(ref).rsplit(":", 1)[-1] for ref in w.extras}
    for cluster in plan.clusters:
        assert cluster != workload.CLUSTER
        arns = _pages(ecs, "list_services", "serviceArns", cluster=cluster)
        for service in ecs.describe_services(cluster=cluster, services=arns)["services"] if arns else []:
            groups = service["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"]
            assert set(groups) <= set(fleet.security_groups)
            definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])[
                "taskDefinition"
            ]
            assert {definition["taskRoleArn"], definition["executionRoleArn"]} <= set(fleet.roles)
            text = str(definition["containerDefinitions"])
            assert not any(name in text for name in storefront_names), service["serviceName"]
    storefront_functions = {workload.FUNCTION} | {w.ref(ref).rsplit(":", 1)[-1] for ref in w.extras}
    for function in _pages(lam, "list_functions", "Functions"):
        if function["FunctionName"] in storefront_functions:
            continue
        assert function["Role"] in fleet.roles
        assert not any(name in str(function.get("Environment")) for name in storefront_names)
    # The storefront names none of the fleet in what it runs.
    web = ecs.describe_task_definition(taskDefinition=w.ids["task_definition:web"])["taskDefinition"]
    assert not any(unit.name in str(web["containerDefinitions"]) for unit in plan.units)

    # Its routine: the planned deploys and scalings, near the onset, by its own pipelines.
    trail = sim.client("cloudtrail").lookup_events(
        StartTime=now - timedelta(minutes=30), EndTime=now, MaxResults=50
    )["Events"]
    touched = {r.get("ResourceName", "") for e in trail for r in e.get("Resources", [])} | {
        e.get("EventName", "") + ":" + str(e.get("CloudTrailEvent", "")) for e in trail
    }
    for decoy in plan.decoys:
        assert any(decoy.unit in item for item in touched), decoy


def test_no_name_of_the_storefront_is_ever_drawn() -> None:
    names = {u.name for seed in range(40) for u in unrelated_fleet.plan(500, random.Random(seed)).units}
    assert not names & unrelated_fleet.RESERVED
    assert "search-indexer" in unrelated_fleet.RESERVED  # an extra function's name, also team + word
