"""Contract: a remediation made through the API changes what the resource reports from then on.

A restarted ECS service's memory, a rebooted database's connections and a function's throttles
return to their own normal (read from their history), so the alarms recover when evaluated;
a scenario's backdated writes and changes that do not remedy change no telemetry.
"""

from __future__ import annotations

import functools
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

from cloudwarden.simulator.client import SimulatorClient
from cloudwarden.simulator.patches import ecs_activity, recovery

ACCOUNT = "123456789012"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/platform-admin"
SERVICE_DIMENSIONS = {"ClusterName": "prod", "ServiceName": "worker"}


@functools.cache
def _client(endpoint: str, service: str) -> Any:
    """Clients are slow to build and the server outlives each test's reset, so build each once."""
    return SimulatorClient(endpoint).client(service)


def _now() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


def _dimensions(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"Name": name, "Value": value} for name, value in values.items()]


def _history(
    sim: SimulatorClient,
    namespace: str,
    metric: str,
    dimensions: dict[str, str],
    *,
    normal: float,
    fault: float,
    fault_minutes: int,
    now: datetime,
    unit: str,
) -> None:
    """Three hours of 1-minute points at `normal` (+-1), the last `fault_minutes` at `fault`."""
    data = [
        {
            "MetricName": metric,
            "Dimensions": _dimensions(dimensions),
            "Timestamp": now - timedelta(minutes=minute),
            "Value": fault if minute < fault_minutes else normal + (minute % 3 - 1),
            "Unit": unit,
        }
        for minute in range(180, -1, -1)
    ]
    _client(sim.endpoint, "cloudwatch").put_metric_data(Namespace=namespace, MetricData=data)


def _values(
    sim: SimulatorClient,
    namespace: str,
    metric: str,
    dimensions: dict[str, str],
    start: datetime,
    end: datetime,
) -> list[float]:
    answer = _client(sim.endpoint, "cloudwatch").get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {
                        "Namespace": namespace,
                        "MetricName": metric,
                        "Dimensions": _dimensions(dimensions),
                    },
                    "Period": 60,
                    "Stat": "Average",
                },
            }
        ],
        StartTime=start,
        EndTime=end,
        ScanBy="TimestampAscending",
    )
    return [float(v) for v in answer["MetricDataResults"][0]["Values"]]


def _worker(sim: SimulatorClient, now: datetime) -> tuple[str, str]:
    """A steady ECS service 'worker' of two tasks, and a second revision of its task definition."""
    ecs = _client(sim.endpoint, "ecs")
    ecs.create_cluster(clusterName="prod")
    revisions = [
        ecs.register_task_definition(
            family="worker",
            containerDefinitions=[
                {"name": "worker", "image": f"registry.example/worker:{tag}", "memory": 512}
            ],
            cpu="256",
            memory="512",
        )["taskDefinition"]["taskDefinitionArn"]
        for tag in ("1.0", "1.1")
    ]
    ecs.create_service(
        cluster="prod", serviceName="worker", taskDefinition="worker:1", desiredCount=2, launchType="FARGATE"
    )
    sim.inject(
        "ecs_service_steady",
        account_id=ACCOUNT,
        payload={"cluster": "prod", "service": "worker", "at": (now - timedelta(hours=4)).isoformat()},
    )
    return revisions[0], revisions[1]


def _subscribed_queue(sim: SimulatorClient) -> tuple[str, str]:
    sns, sqs = _client(sim.endpoint, "sns"), _client(sim.endpoint, "sqs")
    topic = sns.create_topic(Name="ops-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="alert-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return topic, queue


def _notifications(sim: SimulatorClient, queue: str) -> list[dict[str, Any]]:
    received = _client(sim.endpoint, "sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
    return [json.loads(json.loads(m["Body"])["Message"]) for m in received.get("Messages", [])]


def _evaluate(sim: SimulatorClient, at: datetime) -> list[dict[str, Any]]:
    answer = sim.inject("evaluate_alarms", account_id=ACCOUNT, payload={"now": at.isoformat()})
    transitions: list[dict[str, Any]] = answer["transitions"]
    return transitions


def test_a_restart_returns_a_leaking_service_to_normal_and_its_alarm_to_ok(sim: SimulatorClient) -> None:
    now = _now()
    _worker(sim, now)
    _history(
        sim,
        "AWS/ECS",
        "MemoryUtilization",
        SERVICE_DIMENSIONS,
        normal=40,
        fault=97,
        fault_minutes=40,
        now=now,
        unit="Percent",
    )
    topic, queue = _subscribed_queue(sim)
    _client(sim.endpoint, "cloudwatch").put_metric_alarm(
        AlarmName="worker-memory-high",
        Namespace="AWS/ECS",
        MetricName="MemoryUtilization",
        Dimensions=_dimensions(SERVICE_DIMENSIONS),
        Statistic="Average",
        Period=60,
        EvaluationPeriods=3,
        DatapointsToAlarm=3,
        Threshold=85.0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic],
        OKActions=[topic],
    )
    assert [t["new_state"] for t in _evaluate(sim, now + timedelta(seconds=30))][-1] == "ALARM"
    _notifications(sim, queue)

    restarted = _client(sim.endpoint, "ecs").update_service(
        cluster="prod", service="worker", forceNewDeployment=True
    )

    # ecs_activity's rollout is untouched: a new PRIMARY deployment of the same revision.
    deployments = restarted["service"]["deployments"]
    assert [(d["status"], d["rolloutState"]) for d in deployments] == [
        ("PRIMARY", "IN_PROGRESS"),
        ("ACTIVE", "COMPLETED"),
    ]
    restart = datetime.now(UTC)
    after = _values(
        sim,
        "AWS/ECS",
        "MemoryUtilization",
        SERVICE_DIMENSIONS,
        _minute_after(restart),
        _minute_after(restart) + timedelta(minutes=30),
    )
    assert len(after) == 30
    assert all(30 <= value <= 50 for value in after), after
    assert abs(sum(after) / len(after) - 40) < 3
    ecs_activity.tick(restart + timedelta(minutes=2))

    transitions = _evaluate(sim, restart + timedelta(minutes=4))

    assert [(t["alarm_name"], t["new_state"]) for t in transitions] == [("worker-memory-high", "OK")]
    (notice,) = _notifications(sim, queue)
    assert (notice["AlarmName"], notice["OldStateValue"], notice["NewStateValue"]) == (
        "worker-memory-high",
        "ALARM",
        "OK",
    )


def _minute_after(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0) + timedelta(minutes=1)


def test_backdated_restarts_and_new_revisions_change_no_telemetry(sim: SimulatorClient) -> None:
    now = _now()
    _, v2 = _worker(sim, now)
    _history(
        sim,
        "AWS/ECS",
        "MemoryUtilization",
        SERVICE_DIMENSIONS,
        normal=40,
        fault=97,
        fault_minutes=40,
        now=now,
        unit="Percent",
    )
    # A scenario's change, dated 10 minutes ago: its telemetry is the scenario's to write.
    SimulatorClient(sim.endpoint).acting_client(
        "ecs", at=now - timedelta(minutes=10), actor=ADMIN
    ).update_service(cluster="prod", service="worker", forceNewDeployment=True)
    # A deploy of other code is not a restart: what it does to memory is not known.
    _client(sim.endpoint, "ecs").update_service(cluster="prod", service="worker", taskDefinition=v2)

    window = (now - timedelta(minutes=12), now + timedelta(minutes=30))
    values = _values(sim, "AWS/ECS", "MemoryUtilization", SERVICE_DIMENSIONS, *window)
    assert values == [97.0] * 13  # the scenario's points, up to now; nothing added


def test_the_recovered_series_stays_ahead_of_the_clock_until_a_reset(sim: SimulatorClient) -> None:
    now = _now()
    _worker(sim, now)
    _history(
        sim,
        "AWS/ECS",
        "MemoryUtilization",
        SERVICE_DIMENSIONS,
        normal=40,
        fault=97,
        fault_minutes=40,
        now=now,
        unit="Percent",
    )
    _client(sim.endpoint, "ecs").update_service(cluster="prod", service="worker", forceNewDeployment=True)
    later = now + timedelta(hours=3)
    window = (later, later + timedelta(minutes=10))
    assert _values(sim, "AWS/ECS", "MemoryUtilization", SERVICE_DIMENSIONS, *window) == []

    recovery.tick(later)

    extended = _values(sim, "AWS/ECS", "MemoryUtilization", SERVICE_DIMENSIONS, *window)
    assert len(extended) == 10 and all(30 <= value <= 50 for value in extended)
    sim.reset()
    recovery.tick(later + timedelta(hours=3))
    assert (
        _values(sim, "AWS/ECS", "MemoryUtilization", SERVICE_DIMENSIONS, later, later + timedelta(hours=5))
        == []
    )


def test_a_reboot_closes_the_connections_and_the_instance_is_rebooting_for_a_minute(
    sim: SimulatorClient,
) -> None:
    now = _now()
    rds = _client(sim.endpoint, "rds")
    rds.create_db_instance(
        DBInstanceIdentifier="orders-db",
        DBInstanceClass="db.t4g.micro",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="app",
        MasterUserPassword="not-a-real-password-1",
    )
    database = {"DBInstanceIdentifier": "orders-db"}
    _history(
        sim,
        "AWS/RDS",
        "DatabaseConnections",
        database,
        normal=42,
        fault=1650,
        fault_minutes=10,
        now=now,
        unit="Count",
    )

    answer = rds.reboot_db_instance(DBInstanceIdentifier="orders-db")["DBInstance"]

    assert answer["DBInstanceStatus"] == "rebooting"
    described = rds.describe_db_instances(DBInstanceIdentifier="orders-db")["DBInstances"][0]
    assert described["DBInstanceStatus"] == "rebooting"
    connections = _values(
        sim,
        "AWS/RDS",
        "DatabaseConnections",
        database,
        now + timedelta(minutes=1),
        now + timedelta(minutes=20),
    )
    assert len(connections) == 19 and all(_normal(c, 42) and c.is_integer() for c in connections), connections
    recovery.tick(datetime.now(UTC) + timedelta(minutes=2))
    described = rds.describe_db_instances(DBInstanceIdentifier="orders-db")["DBInstances"][0]
    assert described["DBInstanceStatus"] == "available"


def _normal(value: float, level: float) -> bool:
    """Within the recovered series' noise (at most two spreads of MAX_SPREAD, rounded): far from the fault."""
    bound = level * 2 * recovery.MAX_SPREAD + 0.5
    return level - bound <= value <= level + bound


def _function(sim: SimulatorClient) -> None:
    iam, lam = _client(sim.endpoint, "iam"), _client(sim.endpoint, "lambda")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName="resizer-exec", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    lam.create_function(
        FunctionName="resizer",
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": archive.getvalue()},
    )


def test_concurrency_covering_the_usual_peak_ends_throttling_and_a_lower_limit_does_not(
    sim: SimulatorClient,
) -> None:
    now = _now()
    _function(sim)
    function = {"FunctionName": "resizer"}
    _history(
        sim,
        "AWS/Lambda",
        "ConcurrentExecutions",
        function,
        normal=9,
        fault=2,
        fault_minutes=12,
        now=now,
        unit="Count",
    )
    _history(
        sim, "AWS/Lambda", "Throttles", function, normal=1, fault=150, fault_minutes=12, now=now, unit="Count"
    )
    lam = _client(sim.endpoint, "lambda")
    ahead = (now + timedelta(minutes=1), now + timedelta(minutes=20))

    lam.put_function_concurrency(
        FunctionName="resizer", ReservedConcurrentExecutions=5
    )  # below the peak of 10
    assert _values(sim, "AWS/Lambda", "Throttles", function, *ahead) == []

    lam.put_function_concurrency(FunctionName="resizer", ReservedConcurrentExecutions=50)

    assert set(_values(sim, "AWS/Lambda", "Throttles", function, *ahead)) <= {0.0, 1.0, 2.0}
    concurrent = _values(sim, "AWS/Lambda", "ConcurrentExecutions", function, *ahead)
    assert len(concurrent) == 19 and all(_normal(c, 9) for c in concurrent), concurrent
