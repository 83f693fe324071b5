"""The rest of a large account: other teams' resources the storefront has nothing to do with.

Other teams' ECS services on clusters of their own (each with a task definition, a task role, a
security group and a log group), Lambda functions with their roles and log groups, SQS queues, EC2
hosts, target groups and a few RDS instances, all in a VPC of their own. None of them is named in,
reachable from, or shares a security group, role, queue, secret or cluster with the storefront:
for an alarm on the storefront every one of them is noise a diagnosis has to ignore.

What they do, as in any account: they were created days or weeks ago (CloudTrail files each write
then, by the platform's admin), their services run steadily and report ordinary CPU and memory,
their functions ordinary invocations and durations (the cheap metrics: a handful per resource), and
a few of them are deployed or scaled by their own pipelines minutes around the incident, the
commonest decoy in a real account's CloudTrail.

`plan` draws the fleet from a seeded RNG (what the case generator records); `deploy` builds it
into a running simulator in a few bulk calls per kind; `inventory` counts what an account holds.
"""

from __future__ import annotations

import io
import json
import math
import random
import time
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from cloudwarden.simulator import extra_fleet, workload
from cloudwarden.simulator.client import SIM_ACTOR_HEADER, SIM_SOURCE_IP_HEADER, SIM_TIME_HEADER

if TYPE_CHECKING:
    from cloudwarden.simulator.client import SimulatorClient

UnitKind = Literal[
    "ecs_service", "lambda_function", "sqs_queue", "ec2_instance", "target_group", "rds_instance"
]
DecoyKind = Literal["ecs_deploy", "ecs_scale", "lambda_deploy"]

# AWS resources each unit creates (its role, security group and log group count).
UNIT_RESOURCES: dict[UnitKind, int] = {
    "ecs_service": 5,  # task role, security group, log group, task definition, service
    "lambda_function": 3,  # execution role, log group, function
    "sqs_queue": 1,
    "ec2_instance": 2,  # security group, instance
    "target_group": 1,
    "rds_instance": 2,  # security group, DB instance
}
WEIGHTS: dict[UnitKind, float] = {
    "ecs_service": 0.3,
    "lambda_function": 0.3,
    "sqs_queue": 0.16,
    "ec2_instance": 0.1,
    "target_group": 0.1,
    "rds_instance": 0.04,
}
MAX_RDS = 3  # moto creates them quickly, but a real account has few next to its services
VPC_RESOURCES = 3  # the fleet's VPC and its two subnets
RESOURCES_PER_CLUSTER = 120  # one ECS cluster (and one execution role) per this many resources
MIN_RESOURCES = 12
SIZES = {"small": 0, "large": 500}  # the bench's --account-size: unrelated resources
DECOYS = (2, 5)  # routine changes of the fleet per case
DECOY_WINDOW = (-20, 5)  # minutes relative to the onset
CREATED_DAYS_AGO = (3, 60)
METRIC_STEP_MINUTES = 5  # baseline metrics every 5 minutes: cheap, and enough to look ordinary
HISTORY_MINUTES = 215  # as the injector's history
ADMIN_ACTOR = "arn:aws:iam::{account}:user/platform-admin"
CI_ACTOR = "arn:aws:sts::{account}:assumed-role/{team}-deploy/pipeline-{run}"
AUTOSCALING_ACTOR = (
    "arn:aws:sts::{account}:assumed-role/AWSServiceRoleForApplicationAutoScaling_ECSService/AutoScaling"
)
VPC_CIDR = "10.90.0.0/16"

TEAMS = ("payments", "search", "analytics", "growth", "identity", "logistics", "support", "catalog")
WORDS = (
    "ledger", "indexer", "exporter", "gateway", "scheduler", "ingest", "notifier", "reconciler",
    "profile", "tokens", "router", "reports", "sync", "crawler", "rollup", "billing",
    "refunds", "shipments", "tickets", "feeds", "ranker", "audit", "sessions", "archiver",
)  # fmt: skip

# The storefront's own names (and its extra functions'): never drawn, so nothing collides with it.
RESERVED = frozenset(extra_fleet.NAMES) | {
    workload.WEB,
    workload.WORKER,
    workload.DB,
    workload.FUNCTION,
    workload.QUEUE,
    workload.REPORTS,
}


@dataclass(frozen=True)
class Unit:
    kind: UnitKind
    name: str
    team: str
    resources: int


@dataclass(frozen=True)
class Decoy:
    kind: DecoyKind
    unit: str  # the unit's name
    at: int  # minutes relative to the onset
    detail: str  # the new image tag, code version or desired count


@dataclass(frozen=True)
class FleetPlan:
    resources: int  # AWS resources the fleet creates, exactly
    clusters: tuple[str, ...]
    units: tuple[Unit, ...]
    decoys: tuple[Decoy, ...]
    created_days_ago: tuple[int, ...]  # per unit

    def kinds(self) -> dict[str, int]:
        return dict(sorted(Counter(u.kind for u in self.units).items()))

    def knobs(self) -> dict[str, Any]:
        """What the generator records: the size, the mix, and the routine changes near the onset."""
        return {
            "resources": self.resources,
            "clusters": len(self.clusters),
            "units": self.kinds(),
            "decoys": [asdict(d) for d in self.decoys],
        }


@dataclass
class DeployedFleet:
    plan: FleetPlan
    account_id: str
    vpc_id: str = ""
    image: str = ""
    arns: dict[str, str] = field(default_factory=dict)  # unit name -> its main resource's ARN / id
    roles: list[str] = field(default_factory=list)
    security_groups: list[str] = field(default_factory=list)
    queue_urls: list[str] = field(default_factory=list)
    log_groups: list[str] = field(default_factory=list)
    task_definitions: dict[str, str] = field(default_factory=dict)  # service unit -> current revision
    created: Counter[str] = field(default_factory=Counter)  # AWS resources made, by type
    seconds: dict[str, float] = field(default_factory=dict)  # where the deployment time went

    @property
    def resources(self) -> int:
        return sum(self.created.values())


def _cluster_count(count: int) -> int:
    return max(1, math.ceil(count / RESOURCES_PER_CLUSTER))


def plan(count: int, rng: random.Random) -> FleetPlan:
    """`count` unrelated AWS resources (0, or MIN_RESOURCES and more), drawn from `rng`."""
    if count == 0:
        return FleetPlan(resources=0, clusters=(), units=(), decoys=(), created_days_ago=())
    if count < MIN_RESOURCES:
        raise ValueError(f"an unrelated fleet has 0 or at least {MIN_RESOURCES} resources, got {count}")
    clusters = tuple(f"{team}-services" for team in TEAMS[: _cluster_count(count)])
    # The VPC, its subnets, each cluster and its execution role.
    remaining = count - VPC_RESOURCES - 2 * len(clusters)
    units: list[Unit] = []
    used = set(RESERVED)
    kinds = list(WEIGHTS)
    while remaining > 0:
        fits = [
            k
            for k in kinds
            if UNIT_RESOURCES[k] <= remaining
            and not (k == "rds_instance" and sum(u.kind == k for u in units) >= MAX_RDS)
        ]
        kind = rng.choices(fits, weights=[WEIGHTS[k] for k in fits])[0]
        team = rng.choice(TEAMS[: len(clusters)] if kind == "ecs_service" else TEAMS)
        name = f"{team}-{rng.choice(WORDS)}"
        suffix = 2
        base = name
        while name in used:
            name, suffix = f"{base}-{suffix}", suffix + 1
        used.add(name)
        units.append(Unit(kind=kind, name=name, team=team, resources=UNIT_RESOURCES[kind]))
        remaining -= UNIT_RESOURCES[kind]
    decoys: list[Decoy] = []
    changeable = [u for u in units if u.kind in ("ecs_service", "lambda_function")]
    for unit in rng.sample(changeable, min(len(changeable), rng.randint(*DECOYS))):
        at = rng.randint(*DECOY_WINDOW)
        if unit.kind == "lambda_function":
            decoys.append(Decoy("lambda_deploy", unit.name, at, f"build-{rng.randint(1000, 9999)}"))
        elif rng.random() < 0.7:
            tag = f"v{rng.randint(1, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 9)}"
            decoys.append(Decoy("ecs_deploy", unit.name, at, tag))
        else:
            decoys.append(Decoy("ecs_scale", unit.name, at, str(rng.randint(2, 6))))
    decoys.sort(key=lambda d: d.at)
    return FleetPlan(
        resources=count,
        clusters=clusters,
        units=tuple(units),
        decoys=tuple(decoys),
        created_days_ago=tuple(rng.randint(*CREATED_DAYS_AGO) for _ in units),
    )


class _Actor:
    """One client per service whose writes CloudTrail files at `at`, by `actor` (both settable).

    `SimulatorClient.acting_client` builds a new boto3 client per call; at hundreds of resources
    building clients would cost more than the calls, so the fleet reuses these.
    """

    def __init__(self, sim: SimulatorClient, *, at: datetime, actor: str) -> None:
        self.sim, self.at, self.actor = sim, at, actor
        self._clients: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            client = self.sim.client(service)

            def add_headers(request: Any, **_: Any) -> None:
                request.headers[SIM_TIME_HEADER] = self.at.isoformat()
                request.headers[SIM_ACTOR_HEADER] = self.actor
                request.headers[SIM_SOURCE_IP_HEADER] = "203.0.113.10"

            client.meta.events.register_first("before-sign", add_headers)
            self._clients[service] = client
        return self._clients[service]


def _zip(version: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "handler.py", f"VERSION = {version!r}\n\ndef handler(event, context):\n    return 1\n"
        )
    return buffer.getvalue()


def _trust(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )


def _timed(fleet: DeployedFleet, step: str, started: float) -> None:
    fleet.seconds[step] = round(fleet.seconds.get(step, 0.0) + time.perf_counter() - started, 3)


def deploy(sim: SimulatorClient, fleet_plan: FleetPlan, *, now: datetime, onset: datetime) -> DeployedFleet:
    """Build the planned fleet into the simulated account, its telemetry up to `now` and its decoys.

    The decoys (deploys and scaling of the fleet's own services) land around `onset`.
    """
    account_id = sim.client("sts").get_caller_identity()["Account"]
    fleet = DeployedFleet(plan=fleet_plan, account_id=account_id)
    if not fleet_plan.units:
        return fleet
    act = _Actor(sim, at=now - timedelta(days=max(fleet_plan.created_days_ago)), actor="")
    act.actor = ADMIN_ACTOR.format(account=account_id)
    started = time.perf_counter()
    subnets = _network(act, fleet)
    executions = _clusters(act, fleet)
    _timed(fleet, "network_and_clusters", started)
    units = sorted(zip(fleet_plan.units, fleet_plan.created_days_ago, strict=True), key=lambda x: -x[1])
    builders: dict[UnitKind, Callable[[_Actor, DeployedFleet, Unit], None]] = {
        "ecs_service": lambda a, f, u: _service(a, f, u, subnets=subnets, executions=executions),
        "lambda_function": _function,
        "sqs_queue": _queue,
        "ec2_instance": lambda a, f, u: _instance(a, f, u, subnet=subnets[len(f.arns) % 2]),
        "target_group": _target_group,
        "rds_instance": _database,
    }
    for unit, days_ago in units:
        started = time.perf_counter()
        act.at = now - timedelta(days=days_ago, minutes=len(fleet.arns) % 600)
        builders[unit.kind](act, fleet, unit)
        _timed(fleet, unit.kind, started)
    started = time.perf_counter()
    _steady(sim, fleet, now=now)
    _timed(fleet, "ecs_steady", started)
    started = time.perf_counter()
    _metrics(sim, fleet, now=now)
    _timed(fleet, "metrics", started)
    started = time.perf_counter()
    _decoys(sim, fleet, onset=onset)
    _timed(fleet, "decoys", started)
    if fleet.resources != fleet_plan.resources:  # the plan's count is what the bench reports
        raise RuntimeError(
            f"unrelated fleet: planned {fleet_plan.resources} resources, made {fleet.resources}"
        )
    return fleet


def _network(act: _Actor, fleet: DeployedFleet) -> list[str]:
    ec2 = act("ec2")
    fleet.vpc_id = ec2.create_vpc(CidrBlock=VPC_CIDR)["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(
            VpcId=fleet.vpc_id, CidrBlock=f"10.90.{i}.0/20", AvailabilityZone=f"{act.sim.region}{z}"
        )["Subnet"]["SubnetId"]
        for i, z in ((0, "a"), (16, "b"))
    ]
    fleet.created.update({"vpc": 1, "subnet": 2})
    return subnets


def _clusters(act: _Actor, fleet: DeployedFleet) -> dict[str, str]:
    """Each team's cluster and its own task execution role, shared by that team's services only."""
    executions: dict[str, str] = {}
    for cluster in fleet.plan.clusters:
        team = cluster.removesuffix("-services")
        act("ecs").create_cluster(clusterName=cluster)
        role = act("iam").create_role(
            RoleName=f"{team}-ecs-execution", AssumeRolePolicyDocument=_trust("ecs-tasks.amazonaws.com")
        )["Role"]["Arn"]
        executions[team] = role
        fleet.roles.append(role)
        fleet.created.update({"ecs_cluster": 1, "iam_role": 1})
    return executions


def _security_group(act: _Actor, fleet: DeployedFleet, name: str, port: int) -> str:
    ec2 = act("ec2")
    group: str = ec2.create_security_group(GroupName=name, Description=f"{name} hosts", VpcId=fleet.vpc_id)[
        "GroupId"
    ]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": VPC_CIDR}]}
        ],
    )
    fleet.security_groups.append(group)
    fleet.created["security_group"] += 1
    return group


def _role(act: _Actor, fleet: DeployedFleet, name: str, service: str) -> str:
    arn: str = act("iam").create_role(RoleName=name, AssumeRolePolicyDocument=_trust(service))["Role"]["Arn"]
    fleet.roles.append(arn)
    fleet.created["iam_role"] += 1
    return arn


def _log_group(act: _Actor, fleet: DeployedFleet, name: str) -> None:
    act("logs").create_log_group(logGroupName=name)
    fleet.log_groups.append(name)
    fleet.created["log_group"] += 1


def _task_definition(
    act: _Actor, fleet: DeployedFleet, unit: Unit, *, tag: str, task_role: str, execution_role: str
) -> str:
    region = act.sim.region
    arn: str = act("ecs").register_task_definition(
        family=unit.name,
        taskRoleArn=task_role,
        executionRoleArn=execution_role,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="512",
        memory="1024",
        containerDefinitions=[
            {
                "name": unit.name,
                "image": f"{fleet.account_id}.dkr.ecr.{region}.amazonaws.com/{unit.name}:{tag}",
                "essential": True,
                "memory": 1024,
                "environment": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "TEAM", "value": unit.team}],
                "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": f"/ecs/{unit.name}",
                        "awslogs-region": region,
                        "awslogs-stream-prefix": "app",
                    },
                },
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    fleet.task_definitions[unit.name] = arn
    return arn


def _service(
    act: _Actor, fleet: DeployedFleet, unit: Unit, *, subnets: list[str], executions: dict[str, str]
) -> None:
    role = _role(act, fleet, f"{unit.name}-task", "ecs-tasks.amazonaws.com")
    group = _security_group(act, fleet, f"{unit.name}-tasks", 8080)
    _log_group(act, fleet, f"/ecs/{unit.name}")
    definition = _task_definition(
        act, fleet, unit, tag="v1.0.0", task_role=role, execution_role=executions[unit.team]
    )
    service = act("ecs").create_service(
        cluster=f"{unit.team}-services",
        serviceName=unit.name,
        taskDefinition=definition,
        desiredCount=2,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group]}},
    )["service"]
    fleet.arns[unit.name] = service["serviceArn"]
    fleet.created.update({"ecs_task_definition": 1, "ecs_service": 1})


def _function(act: _Actor, fleet: DeployedFleet, unit: Unit) -> None:
    role = _role(act, fleet, f"{unit.name}-exec", "lambda.amazonaws.com")
    _log_group(act, fleet, f"/aws/lambda/{unit.name}")
    function = act("lambda").create_function(
        FunctionName=unit.name,
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": _zip("1")},
        MemorySize=256,
        Timeout=10,
        Environment={"Variables": {"TEAM": unit.team}},
    )
    fleet.arns[unit.name] = function["FunctionArn"]
    fleet.created["lambda_function"] += 1


def _queue(act: _Actor, fleet: DeployedFleet, unit: Unit) -> None:
    url: str = act("sqs").create_queue(QueueName=unit.name)["QueueUrl"]
    fleet.queue_urls.append(url)
    fleet.arns[unit.name] = f"arn:aws:sqs:{act.sim.region}:{fleet.account_id}:{unit.name}"
    fleet.created["sqs_queue"] += 1


def _instance(act: _Actor, fleet: DeployedFleet, unit: Unit, *, subnet: str) -> None:
    group = _security_group(act, fleet, f"{unit.name}-hosts", 443)
    ec2 = act("ec2")
    if not fleet.image:
        fleet.image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=fleet.image,
        InstanceType="t3.medium",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet,
        SecurityGroupIds=[group],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": unit.name}]}],
    )["Instances"][0]
    fleet.arns[unit.name] = instance["InstanceId"]
    fleet.created["ec2_instance"] += 1


def _target_group(act: _Actor, fleet: DeployedFleet, unit: Unit) -> None:
    group = act("elbv2").create_target_group(
        Name=unit.name[:32], Protocol="HTTP", Port=8080, VpcId=fleet.vpc_id, TargetType="ip"
    )["TargetGroups"][0]
    fleet.arns[unit.name] = group["TargetGroupArn"]
    fleet.created["target_group"] += 1


def _database(act: _Actor, fleet: DeployedFleet, unit: Unit) -> None:
    group = _security_group(act, fleet, f"{unit.name}-db", 5432)
    db = act("rds").create_db_instance(
        DBInstanceIdentifier=unit.name,
        DBInstanceClass="db.t4g.medium",
        Engine="postgres",
        EngineVersion="16.3",
        AllocatedStorage=50,
        MasterUsername="app",
        MasterUserPassword="not-a-real-password-2",
        VpcSecurityGroupIds=[group],
    )["DBInstance"]
    fleet.arns[unit.name] = db["DBInstanceArn"]
    fleet.created["rds_instance"] += 1


def _steady(sim: SimulatorClient, fleet: DeployedFleet, *, now: datetime) -> None:
    """moto never starts a service's tasks; the simulator runs them, steady since a day ago."""
    for unit in fleet.plan.units:
        if unit.kind == "ecs_service":
            sim.inject(
                "ecs_service_steady",
                account_id=fleet.account_id,
                payload={
                    "cluster": f"{unit.team}-services",
                    "service": unit.name,
                    "at": (now - timedelta(days=1)).isoformat(),
                    "count": 2,
                },
            )


def _metrics(sim: SimulatorClient, fleet: DeployedFleet, *, now: datetime) -> None:
    """Ordinary CPU and memory of the services, invocations and durations of the functions."""
    rng = random.Random(f"unrelated-metrics:{fleet.plan.resources}:{len(fleet.plan.units)}")
    data: dict[str, list[dict[str, Any]]] = {"AWS/ECS": [], "AWS/Lambda": []}
    moments = [now - timedelta(minutes=m) for m in range(HISTORY_MINUTES, 0, -METRIC_STEP_MINUTES)]
    for unit in fleet.plan.units:
        if unit.kind == "ecs_service":
            dims = [
                {"Name": "ClusterName", "Value": f"{unit.team}-services"},
                {"Name": "ServiceName", "Value": unit.name},
            ]
            series = (
                ("CPUUtilization", rng.uniform(10, 50), "Percent"),
                ("MemoryUtilization", rng.uniform(20, 60), "Percent"),
            )
            namespace = "AWS/ECS"
        elif unit.kind == "lambda_function":
            dims = [{"Name": "FunctionName", "Value": unit.name}]
            series = (
                ("Invocations", rng.uniform(5, 200), "Count"),
                ("Duration", rng.uniform(20, 400), "Milliseconds"),
            )
            namespace = "AWS/Lambda"
        else:
            continue
        for metric, base, metric_unit in series:
            data[namespace] += [
                {
                    "MetricName": metric,
                    "Dimensions": dims,
                    "Timestamp": moment,
                    "Value": round(max(0.0, base * rng.gauss(1.0, 0.06)), 3),
                    "Unit": metric_unit,
                }
                for moment in moments
            ]
    for namespace, items in data.items():
        sim.service_metrics(account_id=fleet.account_id, namespace=namespace, data=items)


def _decoys(sim: SimulatorClient, fleet: DeployedFleet, *, onset: datetime) -> None:
    """The fleet's own pipelines deploy and scale some of its services around the onset."""
    units = {u.name: u for u in fleet.plan.units}
    act = _Actor(sim, at=onset, actor="")
    for decoy in fleet.plan.decoys:
        unit, at = units[decoy.unit], onset + timedelta(minutes=decoy.at)
        act.at = at
        if decoy.kind == "ecs_scale":
            act.actor = AUTOSCALING_ACTOR.format(account=fleet.account_id)
        else:
            run = zlib.crc32(f"{unit.name}:{decoy.detail}".encode()) % 90000 + 10000
            act.actor = CI_ACTOR.format(account=fleet.account_id, team=unit.team, run=run)
        cluster = f"{unit.team}-services"
        if decoy.kind == "lambda_deploy":
            act("lambda").update_function_code(FunctionName=unit.name, ZipFile=_zip(decoy.detail))
        elif decoy.kind == "ecs_scale":
            act("ecs").update_service(cluster=cluster, service=unit.name, desiredCount=int(decoy.detail))
        else:
            current = act("ecs").describe_task_definition(taskDefinition=fleet.task_definitions[unit.name])[
                "taskDefinition"
            ]
            definition = _task_definition(
                act,
                fleet,
                unit,
                tag=decoy.detail,
                task_role=current["taskRoleArn"],
                execution_role=current["executionRoleArn"],
            )
            act("ecs").update_service(cluster=cluster, service=unit.name, taskDefinition=definition)
            sim.inject(
                "ecs_deployment",
                account_id=fleet.account_id,
                payload={
                    "cluster": cluster,
                    "service": unit.name,
                    "task_definition": definition,
                    "created_at": at.isoformat(),
                    "rollout_state": "COMPLETED",
                    "desired_count": 2,
                    "running_count": 2,
                },
            )


def inventory(sim: SimulatorClient) -> dict[str, int]:
    """The account's resources by type, counted through the AWS APIs (region of `sim`)."""
    counts: dict[str, int] = {}
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:  # building a boto3 client costs more than a call here
            clients[service] = sim.client(service)
        return clients[service]

    def pages(service: str, operation: str, key: str, **kwargs: Any) -> list[Any]:
        paginator = client(service).get_paginator(operation)
        return [item for page in paginator.paginate(**kwargs) for item in page[key]]

    ecs = client("ecs")
    clusters = ecs.list_clusters()["clusterArns"]
    counts["ecs_cluster"] = len(clusters)
    counts["ecs_service"] = sum(
        len(pages("ecs", "list_services", "serviceArns", cluster=c)) for c in clusters
    )
    counts["ecs_task_definition"] = len(pages("ecs", "list_task_definitions", "taskDefinitionArns"))
    counts["lambda_function"] = len(pages("lambda", "list_functions", "Functions"))
    counts["iam_role"] = len(pages("iam", "list_roles", "Roles"))
    counts["sqs_queue"] = len(client("sqs").list_queues(MaxResults=1000).get("QueueUrls", []))
    counts["security_group"] = sum(
        1 for g in pages("ec2", "describe_security_groups", "SecurityGroups") if g["GroupName"] != "default"
    )
    counts["vpc"] = sum(1 for v in pages("ec2", "describe_vpcs", "Vpcs") if not v.get("IsDefault"))
    counts["subnet"] = sum(
        1 for s in pages("ec2", "describe_subnets", "Subnets") if not s.get("DefaultForAz")
    )
    counts["ec2_instance"] = sum(
        len(r["Instances"]) for r in pages("ec2", "describe_instances", "Reservations")
    )
    counts["rds_instance"] = len(pages("rds", "describe_db_instances", "DBInstances"))
    counts["load_balancer"] = len(pages("elbv2", "describe_load_balancers", "LoadBalancers"))
    counts["target_group"] = len(pages("elbv2", "describe_target_groups", "TargetGroups"))
    counts["log_group"] = len(pages("logs", "describe_log_groups", "logGroups"))
    counts["cloudwatch_alarm"] = len(pages("cloudwatch", "describe_alarms", "MetricAlarms"))
    counts["secret"] = len(pages("secretsmanager", "list_secrets", "SecretList"))
    counts["sns_topic"] = len(pages("sns", "list_topics", "Topics"))
    return counts
