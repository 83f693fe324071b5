"""Contract: simulated ECS services show deployments, events and tasks through the ordinary APIs."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cloudwarden.simulator.client import SimulatorClient, SimulatorError
from cloudwarden.simulator.patches import ecs_activity

ACCOUNT = "123456789012"
OOM = "OutOfMemoryError: Container killed due to memory usage"


@functools.cache
def _client(endpoint: str, service: str) -> Any:
    """Clients are slow to build and the server outlives each test's reset, so build each once."""
    return SimulatorClient(endpoint).client(service)


def _now() -> datetime:
    # ECS timestamps carry milliseconds; whole seconds compare exactly.
    return datetime.now(UTC).replace(microsecond=0)


def _ecs(sim: SimulatorClient) -> Any:
    return _client(sim.endpoint, "ecs")


def _service_with_two_revisions(sim: SimulatorClient) -> tuple[str, str]:
    ecs = _ecs(sim)
    ecs.create_cluster(clusterName="prod")
    arns = []
    for image in ("registry.example/web:1.4.0", "registry.example/web:1.5.0"):
        definition = ecs.register_task_definition(
            family="web-api",
            containerDefinitions=[{"name": "web", "image": image, "memory": 512, "essential": True}],
            cpu="256",
            memory="512",
        )
        arns.append(definition["taskDefinition"]["taskDefinitionArn"])
    ecs.create_service(
        cluster="prod",
        serviceName="web-api",
        taskDefinition="web-api:1",
        desiredCount=2,
        launchType="FARGATE",
    )
    return arns[0], arns[1]


def _service(sim: SimulatorClient) -> dict[str, Any]:
    service: dict[str, Any] = _ecs(sim).describe_services(cluster="prod", services=["web-api"])["services"][0]
    return service


def _inject(sim: SimulatorClient, kind: str, **payload: Any) -> dict[str, Any]:
    body = {
        key: value.isoformat() if isinstance(value, datetime) else value for key, value in payload.items()
    }
    result: dict[str, Any] = sim.inject(
        kind, account_id=ACCOUNT, payload={"cluster": "prod", "service": "web-api"} | body
    )
    return result


def test_steady_service_has_running_tasks_a_completed_deployment_and_events(sim: SimulatorClient) -> None:
    v1, _ = _service_with_two_revisions(sim)
    at = _now() - timedelta(hours=2)

    steady = _inject(sim, "ecs_service_steady", at=at)

    service = _service(sim)
    assert (service["desiredCount"], service["runningCount"], service["pendingCount"]) == (2, 2, 0)
    (deployment,) = service["deployments"]
    assert deployment["id"] == steady["deployment"] and deployment["id"].startswith("ecs-svc/")
    assert (deployment["status"], deployment["rolloutState"], deployment["runningCount"]) == (
        "PRIMARY",
        "COMPLETED",
        2,
    )
    assert deployment["taskDefinition"] == v1
    messages = [e["message"] for e in service["events"]]
    task_ids = sorted(arn.rsplit("/", 1)[-1] for arn in steady["tasks"])
    assert messages[0] == "(service web-api) has reached a steady state."
    started = next(m for m in messages if "has started 2 tasks" in m)
    assert sorted(part.split(")")[0] for part in started.split("(task ")[1:]) == task_ids
    assert [e["createdAt"] for e in service["events"]] == sorted(
        (e["createdAt"] for e in service["events"]), reverse=True
    )
    assert service["events"][0]["createdAt"] == at

    running = _ecs(sim).list_tasks(cluster="prod", serviceName="web-api")["taskArns"]
    assert sorted(running) == sorted(steady["tasks"])
    tasks = _ecs(sim).describe_tasks(cluster="prod", tasks=running)["tasks"]
    assert {(t["lastStatus"], t["group"], t["startedBy"], t["taskDefinitionArn"]) for t in tasks} == {
        ("RUNNING", "service:web-api", steady["deployment"], v1)
    }
    assert all(t["containers"][0]["name"] == "web" and t["cpu"] == "256" for t in tasks)
    assert _ecs(sim).list_tasks(cluster="prod", serviceName="other")["taskArns"] == []


def test_failed_deployment_and_crashed_tasks_are_visible(sim: SimulatorClient) -> None:
    v1, v2 = _service_with_two_revisions(sim)
    now = _now()
    failed = _inject(
        sim,
        "ecs_deployment",
        task_definition="web-api:2",
        created_at=now - timedelta(minutes=20),
        updated_at=now - timedelta(minutes=5),
        rollout_state="FAILED",
        failed_tasks=3,
    )
    # Injected afterwards but dated before the deployment: it describes the revision then running.
    _inject(sim, "ecs_service_steady", at=now - timedelta(hours=2))
    crashed = _inject(
        sim,
        "ecs_task",
        task_definition="web-api:2",
        status="STOPPED",
        count=3,
        started_at=now - timedelta(minutes=15),
        stopped_at=now - timedelta(minutes=14),
        stopped_reason=OOM,
        containers=[{"name": "web", "exit_code": 137, "reason": OOM}],
    )
    _inject(
        sim,
        "ecs_service_event",
        created_at=now - timedelta(minutes=10),
        message="(service web-api) is unhealthy.",
    )

    service = _service(sim)
    primary, previous = service["deployments"]
    assert (primary["id"], primary["status"], primary["rolloutState"]) == (
        failed["deployment"],
        "PRIMARY",
        "FAILED",
    )
    assert (primary["taskDefinition"], primary["failedTasks"]) == (v2, 3)
    assert primary["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start."
    assert (previous["status"], previous["taskDefinition"], previous["runningCount"]) == ("ACTIVE", v1, 2)
    assert [e["message"] for e in service["events"][:2]] == [
        f"(service web-api) (deployment {failed['deployment']}) deployment failed: tasks failed to start.",
        "(service web-api) is unhealthy.",
    ]

    stopped = _ecs(sim).list_tasks(cluster="prod", serviceName="web-api", desiredStatus="STOPPED")["taskArns"]
    assert sorted(stopped) == sorted(crashed["tasks"])
    assert (
        len(_ecs(sim).list_tasks(cluster="prod", serviceName="web-api")["taskArns"]) == 2
    )  # RUNNING by default
    assert _ecs(sim).list_tasks(cluster="prod", startedBy=failed["deployment"], desiredStatus="STOPPED")[
        "taskArns"
    ]
    described = _ecs(sim).describe_tasks(cluster="prod", tasks=[*stopped, "0123456789abcdef0123456789abcdef"])
    task = described["tasks"][0]
    assert (task["lastStatus"], task["stopCode"], task["stoppedReason"]) == (
        "STOPPED",
        "EssentialContainerExited",
        OOM,
    )
    assert task["stoppedAt"] == (now - timedelta(minutes=14)).replace(
        microsecond=task["stoppedAt"].microsecond
    )
    assert task["startedBy"] == failed["deployment"]
    assert [(c["name"], c["exitCode"], c["reason"]) for c in task["containers"]] == [("web", 137, OOM)]
    assert described["failures"] == [{"arn": "0123456789abcdef0123456789abcdef", "reason": "MISSING"}]


def test_update_service_starts_a_primary_deployment_that_the_ticker_completes(sim: SimulatorClient) -> None:
    v1, v2 = _service_with_two_revisions(sim)
    steady = _inject(sim, "ecs_service_steady", at=datetime.now(UTC) - timedelta(hours=1))

    updated = _ecs(sim).update_service(cluster="prod", service="web-api", taskDefinition="web-api:2")[
        "service"
    ]

    assert updated["taskDefinition"] == v2
    assert [(d["status"], d["rolloutState"], d["taskDefinition"]) for d in updated["deployments"]] == [
        ("PRIMARY", "IN_PROGRESS", v2),
        ("ACTIVE", "COMPLETED", v1),
    ]
    new_id = updated["deployments"][0]["id"]

    ecs_activity.tick(datetime.now(UTC) + timedelta(minutes=5))

    service = _service(sim)
    assert [(d["id"], d["rolloutState"]) for d in service["deployments"]] == [(new_id, "COMPLETED")]
    assert service["runningCount"] == 2
    assert service["events"][0]["message"] == "(service web-api) has reached a steady state."
    assert any(
        e["message"] == f"(service web-api) (deployment {new_id}) deployment completed."
        for e in service["events"]
    )
    running = _ecs(sim).describe_tasks(
        cluster="prod", tasks=_ecs(sim).list_tasks(cluster="prod", serviceName="web-api")["taskArns"]
    )["tasks"]
    assert {(t["taskDefinitionArn"], t["startedBy"]) for t in running} == {(v2, new_id)}
    retired = _ecs(sim).describe_tasks(cluster="prod", tasks=steady["tasks"])["tasks"]
    assert {(t["lastStatus"], t["stopCode"]) for t in retired} == {("STOPPED", "ServiceSchedulerInitiated")}

    forced = _ecs(sim).update_service(cluster="prod", service="web-api", forceNewDeployment=True)["service"]
    assert [(d["status"], d["taskDefinition"]) for d in forced["deployments"]] == [
        ("PRIMARY", v2),
        ("ACTIVE", v2),
    ]

    # Injecting how that rollout went describes the API-made deployment instead of adding one.
    failed = _inject(
        sim, "ecs_deployment", task_definition=v2, created_at=_now(), rollout_state="FAILED", failed_tasks=2
    )
    assert failed["deployment"] == forced["deployments"][0]["id"]
    deployments = _service(sim)["deployments"]
    assert [(d["status"], d["rolloutState"]) for d in deployments] == [
        ("PRIMARY", "FAILED"),
        ("ACTIVE", "COMPLETED"),
    ]


def test_events_are_newest_first_and_capped_at_100(sim: SimulatorClient) -> None:
    _service_with_two_revisions(sim)
    start = datetime.now(UTC) - timedelta(hours=3)
    for minute in range(105):
        _inject(
            sim, "ecs_service_event", created_at=start + timedelta(minutes=minute), message=f"event {minute}"
        )

    events = _service(sim)["events"]

    assert len(events) == 100
    assert [e["message"] for e in events[:2]] == ["event 104", "event 103"]
    assert events[-1]["message"] == "event 5"


def test_list_tasks_pages_and_bad_injections_name_the_field(sim: SimulatorClient) -> None:
    _service_with_two_revisions(sim)
    _inject(sim, "ecs_service_steady", at=datetime.now(UTC), count=5)
    first = _ecs(sim).list_tasks(cluster="prod", serviceName="web-api", maxResults=3)
    rest = _ecs(sim).list_tasks(
        cluster="prod", serviceName="web-api", maxResults=3, nextToken=first["nextToken"]
    )
    assert len(first["taskArns"]) == 3 and len(rest["taskArns"]) == 2 and "nextToken" not in rest
    assert _service(sim)["runningCount"] == 5

    _ecs(sim).update_service(cluster="prod", service="web-api", desiredCount=4)
    service = _service(sim)
    assert (service["runningCount"], len(service["deployments"])) == (4, 1)
    assert service["events"][1]["message"].startswith("(service web-api) has stopped 1 running tasks: (task ")
    assert len(_ecs(sim).list_tasks(cluster="prod", serviceName="web-api")["taskArns"]) == 4

    with pytest.raises(SimulatorError, match="field 'status'"):
        _inject(sim, "ecs_task", status="DEAD", started_at=datetime.now(UTC))
    with pytest.raises(SimulatorError, match="a STOPPED task needs stopped_at"):
        _inject(sim, "ecs_task", status="STOPPED")
    with pytest.raises(SimulatorError, match="no ECS service 'nope'"):
        _inject(sim, "ecs_service_event", service="nope", created_at=datetime.now(UTC), message="x")
    with pytest.raises(SimulatorError, match="field 'containers'"):
        _inject(
            sim, "ecs_task", status="RUNNING", started_at=datetime.now(UTC), containers=[{"name": "sidecar"}]
        )
    with pytest.raises(SimulatorError, match="field 'colour'"):
        _inject(sim, "ecs_service_event", created_at=datetime.now(UTC), message="x", colour="red")
