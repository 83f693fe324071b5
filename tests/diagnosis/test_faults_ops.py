"""The newer fault signatures on hand-built evidence: what makes each one, and what must not."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cloudwarden.diagnosis.engine import diagnose
from cloudwarden.diagnosis.topology import derive_edges, mentions, referenced_resources
from cloudwarden.evidence.model import AlarmInfo, Change, EvidenceBundle, LogLine, MetricSeries, Resource
from tests.diagnosis.builders import ALARM_AT, ONSET, START, make_alarm

WEB = "arn:aws:ecs:us-east-1:1:service/c/web"
WORKER = "arn:aws:ecs:us-east-1:1:service/c/worker"
QUEUE = "arn:aws:sqs:us-east-1:1:jobs"
TG = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web/1"
SECRET = "arn:aws:secretsmanager:us-east-1:1:secret:prod/db/app-AbC123"


def _series(key: str, namespace: str, metric: str, before: float, after: float) -> MetricSeries:
    points = []
    for m in range(181):
        moment = START + timedelta(minutes=m)
        points.append((moment, (after if moment >= ONSET else before) * (1 + 0.02 * (m % 3 - 1))))
    return MetricSeries(
        resource=key, namespace=namespace, metric=metric, stat="Average", dimensions={}, points=points
    )


def _alarm(namespace: str, metric: str, dimensions: dict[str, str]) -> AlarmInfo:
    return make_alarm(metric, dimensions, namespace=namespace, statistic="Average", threshold=1)


def _bundle(alarm: AlarmInfo, resources: list[Resource], **fields: Any) -> EvidenceBundle:
    return EvidenceBundle(
        account_id="1",
        region="us-east-1",
        alarm=alarm,
        window_start=START,
        window_end=ALARM_AT + timedelta(minutes=1),
        resources=resources,
        **fields,
    )


def _web(**attributes: Any) -> Resource:
    return Resource(
        key=WEB,
        kind="ecs_service",
        name="web",
        attributes={"cluster_name": "c", "target_groups": [TG], "log_groups": ["/ecs/web"], **attributes},
    )


def _tg() -> Resource:
    return Resource(key=TG, kind="target_group", name="web", attributes={"dimension": "targetgroup/web/1"})


def _errors(group: str, message: str, count: int = 30) -> list[LogLine]:
    return [
        LogLine(group=group, stream="s", time=ONSET + timedelta(seconds=15 * i), message=f"{message} ({i})")
        for i in range(count)
    ]


def _deployment(images: list[str], previous: list[str]) -> Change:
    return Change(
        source="ecs-deployment",
        time=ONSET - timedelta(minutes=2),
        name="Deployment",
        actor="ecs",
        resources=[WEB],
        parameters={
            "task_definition": "web:8",
            "previous_task_definition": "web:7",
            "images": images,
            "previous_images": previous,
        },
    )


def _five_xx_case(change: Change) -> EvidenceBundle:
    resources = [_web(), _tg()]
    return _bundle(
        _alarm("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", {"TargetGroup": "targetgroup/web/1"}),
        resources,
        edges=derive_edges(resources, []),
        log_groups={"/ecs/web": WEB},
        metrics=[_series(TG, "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", 2, 150)],
        logs=_errors("/ecs/web", "ERROR KeyError: 'PAYMENT_MODE'"),
        changes=[change],
    )


def test_a_revision_with_the_same_image_is_a_config_change_not_a_bad_deploy() -> None:
    top = diagnose(_five_xx_case(_deployment(["web:v1"], ["web:v1"]))).hypotheses[0]
    assert (top.resource, top.fault) == (WEB, "config_change")


def test_a_revision_with_a_new_image_stays_a_bad_deploy() -> None:
    top = diagnose(_five_xx_case(_deployment(["web:v2"], ["web:v1"]))).hypotheses[0]
    assert (top.resource, top.fault) == (WEB, "bad_deploy")


def _backlog_case(desired_count: int, cpu_after: float, running: int) -> EvidenceBundle:
    worker = Resource(
        key=WORKER,
        kind="ecs_service",
        name="worker",
        attributes={
            "cluster_name": "c",
            "environment": {"QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/jobs"},
            "desired": desired_count,
            "running": running,
        },
    )
    queue = Resource(key=QUEUE, kind="sqs_queue", name="jobs", attributes={"queue_name": "jobs"})
    scale = Change(
        source="cloudtrail",
        time=ONSET - timedelta(minutes=1),
        name="UpdateService",
        actor="arn:aws:sts::1:assumed-role/admin/riley",
        resources=["worker"],
        parameters={"cluster": "c", "service": "worker", "desiredCount": desired_count},
    )
    return _bundle(
        _alarm("AWS/SQS", "ApproximateAgeOfOldestMessage", {"QueueName": "jobs"}),
        [worker, queue],
        metrics=[
            _series(QUEUE, "AWS/SQS", "ApproximateAgeOfOldestMessage", 8, 900),
            _series(QUEUE, "AWS/SQS", "NumberOfMessagesDeleted", 240, 0),
            _series(WORKER, "AWS/ECS", "CPUUtilization", 22, cpu_after),
        ],
        changes=[scale],
    )


def test_a_consumer_scaled_to_zero_is_the_cause_of_its_queue_backlog() -> None:
    bundle = _backlog_case(desired_count=0, cpu_after=0.4, running=0)
    bundle.edges = derive_edges(bundle.resources, [])
    top = diagnose(bundle).hypotheses[0]
    assert (top.resource, top.fault) == (WORKER, "queue_backlog")
    assert any("UpdateService" in e.summary for e in top.evidence)


def test_a_consumer_that_scaled_out_and_keeps_working_is_not_blamed() -> None:
    bundle = _backlog_case(desired_count=3, cpu_after=24, running=3)
    bundle.edges = derive_edges(bundle.resources, [])
    assert not [h for h in diagnose(bundle).hypotheses if h.fault == "queue_backlog"]


def _latency_case(cpu_after: float, max_capacity: int) -> EvidenceBundle:
    resources = [_web(desired=8, running=8, max_capacity=max_capacity, min_capacity=2), _tg()]
    return _bundle(
        _alarm("AWS/ApplicationELB", "TargetResponseTime", {"TargetGroup": "targetgroup/web/1"}),
        resources,
        edges=derive_edges(resources, []),
        metrics=[
            _series(TG, "AWS/ApplicationELB", "TargetResponseTime", 0.14, 1.9),
            _series(WEB, "AWS/ECS", "CPUUtilization", 34, cpu_after),
        ],
    )


def test_a_saturated_service_at_its_maximum_is_a_capacity_limit() -> None:
    top = diagnose(_latency_case(cpu_after=95, max_capacity=8)).hypotheses[0]
    assert (top.resource, top.fault) == (WEB, "capacity_limit")
    assert "maximum (8)" in top.evidence[0].summary


def test_a_service_at_its_maximum_but_not_busy_is_not_a_capacity_limit() -> None:
    assert not [h for h in diagnose(_latency_case(cpu_after=34, max_capacity=8)).hypotheses]


def test_a_service_below_its_maximum_is_not_a_capacity_limit() -> None:
    hypotheses = diagnose(_latency_case(cpu_after=95, max_capacity=12)).hypotheses
    assert "capacity_limit" not in {h.fault for h in hypotheses}
    # Pinned at 95% with room to scale: saturated all the same, found from its metrics alone.
    assert (hypotheses[0].resource_kind, hypotheses[0].fault) == ("ecs_service", "cpu_saturation")


def test_a_rotated_secret_and_authentication_failures_of_its_readers() -> None:
    web = _web(secrets={"DB_PASSWORD": f"{SECRET}:password::"})
    secret = referenced_resources([web])
    resources = [web, _tg(), *secret]
    rotation = Change(
        source="cloudtrail",
        time=ONSET - timedelta(minutes=2),
        name="PutSecretValue",
        actor="arn:aws:sts::1:assumed-role/rotation/SecretsManagerRotation",
        resources=["prod/db/app"],
    )
    bundle = _bundle(
        _alarm("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", {"TargetGroup": "targetgroup/web/1"}),
        resources,
        edges=derive_edges(resources, []),
        log_groups={"/ecs/web": WEB},
        metrics=[_series(TG, "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", 2, 150)],
        logs=_errors("/ecs/web", 'ERROR FATAL:  password authentication failed for user "app"'),
        changes=[rotation],
    )
    top = diagnose(bundle).hypotheses[0]
    assert (top.resource, top.resource_name, top.fault) == (
        SECRET,
        "prod/db/app",
        "secret_rotation_failure",
    )


def test_secret_references_drop_json_keys_and_the_random_suffix() -> None:
    web = _web(secrets={"A": f"{SECRET}:password::", "B": SECRET, "C": "arn:aws:ssm:us-east-1:1:parameter/x"})
    (secret,) = referenced_resources([web])
    assert (secret.key, secret.name) == (SECRET, "prod/db/app")


def test_an_ip_address_is_mentioned_only_as_a_whole() -> None:
    assert mentions("timed out connecting to https://10.20.1.4:8443/render", "10.20.1.4")
    assert not mentions('10.20.1.45 - - "GET / HTTP/1.1" 200', "10.20.1.4")
    assert not mentions("from 110.20.1.4", "10.20.1.4")
    assert not mentions("10.20.1.4.5", "10.20.1.4")


def test_a_busy_service_that_only_waits_on_a_failing_dependency_is_not_blamed_for_its_cpu() -> None:
    bundle = _latency_case(cpu_after=95, max_capacity=12).model_copy(
        update={
            "log_groups": {"/ecs/web": WEB},
            "logs": _errors("/ecs/web", "ERROR upstream call failed: connect ETIMEDOUT 10.0.3.7:5432"),
        }
    )
    assert "cpu_saturation" not in {h.fault for h in diagnose(bundle).hypotheses}


def test_a_cpu_rise_nothing_else_shows_is_no_root_cause() -> None:
    """A host running a harmless job: its CPU rose, nothing calls it slow, nothing times out on it."""
    host = Resource(key="i-0abc", kind="ec2_instance", name="i-0abc", attributes={})
    bundle = _bundle(
        _alarm("AWS/EC2", "CPUUtilization", {"InstanceId": "i-0abc"}),
        [host],
        metrics=[_series("i-0abc", "AWS/EC2", "CPUUtilization", 20, 97)],
    )
    assert diagnose(bundle).hypotheses == []


def test_a_function_nothing_calls_is_nobody_s_slow_dependency() -> None:
    fn = Resource(
        key="arn:aws:lambda:us-east-1:1:function:batch",
        kind="lambda_function",
        name="batch",
        attributes={"function_name": "batch"},
    )
    bundle = _bundle(
        _alarm("AWS/Lambda", "Duration", {"FunctionName": "batch"}),
        [fn],
        metrics=[_series(fn.key, "AWS/Lambda", "Duration", 200, 9000)],
    )
    assert "dependency_latency" not in {h.fault for h in diagnose(bundle).hypotheses}
