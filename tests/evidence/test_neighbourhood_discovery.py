"""Discovery walks outward from the alarm: an account full of other teams' resources costs no more.

The account holds the storefront and, created before it (so ListClusters names their clusters
first), a few dozen unrelated resources: ECS services on clusters of their own, functions, queues,
hosts, target groups. An investigation of the storefront's alarms stays within the call budget,
still finds the root cause, and never describes an unrelated service's task definition.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cloudwarden.aws.session import AssumedSession, SessionBroker
from cloudwarden.config import Settings
from cloudwarden.diagnosis import engine
from cloudwarden.evidence import collect as collect_module
from cloudwarden.evidence.collectors import ecs
from cloudwarden.evidence.context import CollectContext
from cloudwarden.simulator import alarms, inject, scenario, unrelated_fleet, workload
from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.server import SimulatorServer

EXTERNAL_ID = "Qm4vT8xK2pL9wR3yN7bC5dF1gH6jZ0sA8eU2iO4uY3"
UNRELATED = 40


@dataclass(frozen=True)
class Account:
    session: AssumedSession
    workload: workload.Workload
    fleet: unrelated_fleet.DeployedFleet
    injection: inject.Injection
    now: datetime


@pytest.fixture(scope="module")
def account(simulator_server: SimulatorServer) -> Account:
    sim = SimulatorClient(simulator_server.endpoint)
    sim.reset()
    now = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=20)
    chosen = scenario.get("bad_deploy")
    onset = now - timedelta(minutes=chosen.onset_minutes_ago)
    plan = unrelated_fleet.plan(UNRELATED, random.Random(7))
    fleet = unrelated_fleet.deploy(sim, plan, now=now, onset=onset)
    w = workload.deploy_workload(sim, now=now)
    alarms.create_alarms(sim, w, topic_arns=[], at=now - timedelta(days=1))
    injection = inject.inject(sim, w, chosen, now=now)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}},
            }
        ],
    }
    sim.client("iam").create_role(RoleName="CloudWardenReadOnly", AssumeRolePolicyDocument=json.dumps(trust))
    session = SessionBroker(Settings(simulator_url=sim.endpoint)).session(
        role_arn=f"arn:aws:iam::{w.account_id}:role/CloudWardenReadOnly",
        external_id=EXTERNAL_ID,
        region=sim.region,
    )
    return Account(session, w, fleet, injection, now)


def _family(task_definition: str) -> str:
    return task_definition.rsplit("/", 1)[-1].split(":")[0]


def _investigate(
    account: Account, alarm_name: str, at: datetime | None = None
) -> tuple[Any, CollectContext, list[str]]:
    """Collect for the alarm, recording every task definition described."""
    ctx = CollectContext(session=account.session)
    described: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        described.append(str(params.get("taskDefinition")))

    ctx.client("ecs").meta.events.register("provide-client-params.ecs.DescribeTaskDefinition", record)
    bundle = collect_module.collect(ctx, alarm_name=alarm_name, lookback_minutes=60, at=at)
    return bundle, ctx, described


def test_the_fleet_is_listed_before_the_storefront(account: Account) -> None:
    clusters = account.session.client("ecs").list_clusters()["clusterArns"]
    assert len(clusters) >= 2 and not clusters[0].endswith(f"/{workload.CLUSTER}")


def _only_the_neighbourhood(account: Account, bundle: Any, ctx: CollectContext, described: list[str]) -> None:
    assert bundle.aws_calls <= collect_module.CALL_BUDGET
    assert bundle.gaps == []
    storefront = {_family(v) for k, v in account.workload.ids.items() if k.startswith("task_definition:")}
    unrelated = {_family(arn) for arn in account.fleet.task_definitions.values()}
    assert described, "the alarm's services' task definitions are read"
    assert {_family(td) for td in described} <= storefront
    assert not {_family(td) for td in described} & unrelated
    # At most a bounded scan of the clusters listed before the alarm's; stopped tasks only there.
    by_action = ctx.call_log.by_action()
    assert by_action.get("ecs:ListServices", 0) <= ecs.MAX_CLUSTERS
    assert by_action.get("ecs:ListTasks", 0) <= 1
    fleet_services = {u.name for u in account.fleet.plan.units if u.kind == "ecs_service"}
    assert not any(r.kind == "ecs_service" and r.name in fleet_services for r in bundle.resources)


def test_the_root_cause_is_found_from_the_alarms_neighbourhood(account: Account) -> None:
    bundle, ctx, described = _investigate(account, account.injection.alarm_name)  # a target group's
    _only_the_neighbourhood(account, bundle, ctx, described)
    top = engine.diagnose(bundle).hypotheses[0]
    assert (top.resource, top.fault) == (account.injection.truth_resource, account.injection.truth_fault)
    assert bundle.logs, "the budget still leaves room for the logs"


@pytest.mark.parametrize("logical", ["alb_5xx", "worker_memory"])  # a load balancer's; a service's
def test_other_alarms_read_only_their_neighbourhood(account: Account, logical: str) -> None:
    bundle, ctx, described = _investigate(account, alarms.alarm_name(logical), at=account.injection.now)
    _only_the_neighbourhood(account, bundle, ctx, described)
