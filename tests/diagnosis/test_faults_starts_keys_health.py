"""Deploys whose tasks never start, unusable KMS keys and target group health checks, on
hand-built evidence: what makes each one a cause, and what leaves it context."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cloudwarden.diagnosis.engine import diagnose
from cloudwarden.diagnosis.model import Diagnosis
from cloudwarden.diagnosis.topology import derive_edges, referenced_resources
from cloudwarden.evidence.model import (
    AlarmInfo,
    Change,
    EvidenceBundle,
    LogLine,
    MetricSeries,
    Resource,
    ServiceEvent,
)

ALARM_AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ONSET = ALARM_AT - timedelta(minutes=10)
START = ALARM_AT - timedelta(hours=3)
WEB = "arn:aws:ecs:us-east-1:1:service/c/web"
TG = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web-8080/1"
LB = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/public/9"
KEY = "arn:aws:kms:us-east-1:1:key/0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6"


def _series(key: str, metric: str, before: float, after: float) -> MetricSeries:
    points = [
        (START + timedelta(minutes=m), (after if START + timedelta(minutes=m) >= ONSET else before) + m % 3)
        for m in range(181)
    ]
    return MetricSeries(
        resource=key, namespace="AWS/ApplicationELB", metric=metric, stat="Sum", dimensions={}, points=points
    )


def _alarm(metric: str, dimensions: dict[str, str]) -> AlarmInfo:
    return AlarmInfo(
        name="alarm",
        arn="arn:aws:cloudwatch:us-east-1:1:alarm:alarm",
        state="ALARM",
        state_reason="",
        state_changed_at=ALARM_AT,
        namespace="AWS/ApplicationELB",
        metric=metric,
        statistic="Sum",
        dimensions=dimensions,
        threshold=50,
        comparison="GreaterThanThreshold",
        period=60,
    )


def _resources(**web: Any) -> list[Resource]:
    resources = [
        Resource(
            key=WEB,
            kind="ecs_service",
            name="web",
            attributes={
                "cluster_name": "c",
                "target_groups": [TG],
                "log_groups": ["/ecs/web"],
                "environment": {"TOKEN_KEY_ARN": KEY},
                **web,
            },
        ),
        Resource(
            key=TG,
            kind="target_group",
            name="web-8080",
            attributes={"dimension": "targetgroup/web-8080/1", "load_balancers": [LB]},
        ),
        Resource(key=LB, kind="load_balancer", name="public", attributes={"dimension": "app/public/9"}),
    ]
    return resources + referenced_resources(resources)


def _bundle(
    alarm: AlarmInfo,
    *,
    changes: list[Change],
    events: list[ServiceEvent] = (),  # type: ignore[assignment]
    logs: list[LogLine] = (),  # type: ignore[assignment]
    metrics: list[MetricSeries] = (),  # type: ignore[assignment]
    **web: Any,
) -> EvidenceBundle:
    resources = _resources(**web)
    return EvidenceBundle(
        account_id="1",
        region="us-east-1",
        alarm=alarm,
        window_start=START,
        window_end=ALARM_AT + timedelta(minutes=1),
        resources=resources,
        edges=derive_edges(resources, []),
        log_groups={"/ecs/web": WEB},
        changes=changes,
        events=list(events),
        logs=[
            *(
                LogLine(
                    group="/ecs/web", stream="s", time=START + timedelta(minutes=m), message=f"INFO ok {m}"
                )
                for m in range(180)
            ),
            *logs,
        ],
        metrics=list(metrics),
    )


def _deploy(at: datetime) -> Change:
    return Change(
        source="ecs-deployment",
        time=at,
        name="Deployment",
        actor="ecs",
        resources=[WEB],
        parameters={
            "task_definition": "web:9",
            "previous_task_definition": "web:8",
            "images": ["1.dkr.ecr.us-east-1.amazonaws.com/web:v9"],
            "previous_images": ["1.dkr.ecr.us-east-1.amazonaws.com/web:v8"],
            "rollout_state": "IN_PROGRESS",
        },
    )


def _failed_start(at: datetime) -> ServiceEvent:
    return ServiceEvent(
        source="ecs",
        resource=WEB,
        time=at,
        kind="task-stopped",
        message="CannotPullContainerError: pull image manifest has been retried 5 time(s): "
        "failed to resolve ref 1.dkr.ecr.us-east-1.amazonaws.com/web:v9: not found",
        data={"stop_code": "TaskFailedToStart", "exit_codes": []},
    )


def _top(diagnosis: Diagnosis) -> tuple[str, str, float]:
    top = diagnosis.hypotheses[0]
    return top.resource, top.fault, top.score


def _score(diagnosis: Diagnosis, key: str, fault: str) -> float:
    return next((h.score for h in diagnosis.hypotheses if h.resource == key and h.fault == fault), 0.0)


FIVE_XX = _alarm("HTTPCode_Target_5XX_Count", {"TargetGroup": "targetgroup/web-8080/1"})


def test_a_deploy_whose_tasks_never_start_is_a_bad_deploy_without_a_log_line() -> None:
    deploy = _deploy(ONSET - timedelta(minutes=2))
    failed = [_failed_start(ONSET + timedelta(minutes=m)) for m in range(0, 10, 2)]
    diagnosis = diagnose(
        _bundle(
            FIVE_XX,
            changes=[deploy],
            events=failed,
            metrics=[_series(TG, "HTTPCode_Target_5XX_Count", 2, 90)],
            desired=4,
            running=2,
        )
    )
    resource, fault, score = _top(diagnosis)
    assert (resource, fault) == (WEB, "bad_deploy") and score >= 5
    assert "running 2 of 4 desired" in diagnosis.hypotheses[0].evidence[0].summary


def test_failed_starts_before_the_deploy_leave_it_context() -> None:
    deploy = _deploy(ONSET - timedelta(minutes=2))
    earlier = [_failed_start(ONSET - timedelta(minutes=m)) for m in (30, 25, 20)]
    diagnosis = diagnose(_bundle(FIVE_XX, changes=[deploy], events=earlier))
    assert _score(diagnosis, WEB, "bad_deploy") < 1


def _key_change(name: str) -> Change:
    key_id = KEY.rsplit("/", 1)[-1]
    return Change(
        source="cloudtrail",
        time=ONSET - timedelta(minutes=1),
        name=name,
        actor="arn:aws:sts::1:assumed-role/cleanup/sweeper",
        resources=[key_id],
        parameters={"keyId": key_id, "pendingWindowInDays": 7},
    )


def _key_errors() -> list[LogLine]:
    return [
        LogLine(
            group="/ecs/web",
            stream="s",
            time=ONSET + timedelta(seconds=20 * i),
            message="ERROR tokenize failed: An error occurred (KMSInvalidStateException) when calling the "
            f"Encrypt operation: {KEY} is pending deletion. ({i})",
        )
        for i in range(25)
    ]


def test_a_key_scheduled_for_deletion_that_its_callers_fail_on_is_unusable() -> None:
    diagnosis = diagnose(_bundle(FIVE_XX, changes=[_key_change("ScheduleKeyDeletion")], logs=_key_errors()))
    resource, fault, score = _top(diagnosis)
    assert (resource, fault) == (KEY, "key_unusable") and score >= 5
    assert _score(diagnosis, WEB, "bad_deploy") == 0.0


def test_a_disabled_key_nothing_fails_on_is_context_and_failures_alone_still_name_it() -> None:
    quiet = diagnose(_bundle(FIVE_XX, changes=[_key_change("DisableKey")]))
    assert 0 < _score(quiet, KEY, "key_unusable") < 1
    loud = diagnose(_bundle(FIVE_XX, changes=[], logs=_key_errors()))
    assert _top(loud)[:2] == (KEY, "key_unusable")


def _health_check_change() -> Change:
    return Change(
        source="cloudtrail",
        time=ONSET - timedelta(minutes=2),
        name="ModifyTargetGroup",
        actor="arn:aws:iam::1:user/admin",
        resources=[TG],
        parameters={"targetGroupArn": TG, "healthCheckPath": "/healthz/ready"},
    )


def _unhealthy(at: datetime, group: str = "web-8080") -> ServiceEvent:
    return ServiceEvent(
        source="ecs",
        resource=WEB,
        time=at,
        kind="service-event",
        message=f"(service web) (port 8080) is unhealthy in target-group {group} due to "
        "(reason Health checks failed with these codes: [404]).",
    )


ELB_5XX = _alarm("HTTPCode_ELB_5XX_Count", {"LoadBalancer": "app/public/9"})


def test_a_health_check_change_its_targets_then_fail_is_the_target_group_s_config_change() -> None:
    diagnosis = diagnose(
        _bundle(
            ELB_5XX,
            changes=[_health_check_change(), _deploy(ONSET - timedelta(minutes=30))],
            events=[_unhealthy(ONSET + timedelta(minutes=m)) for m in range(0, 10, 3)],
            metrics=[_series(LB, "HTTPCode_ELB_5XX_Count", 0, 900)],
        )
    )
    resource, fault, score = _top(diagnosis)
    assert (resource, fault) == (TG, "config_change") and score >= 5
    assert _score(diagnosis, WEB, "bad_deploy") < 1


def test_a_target_group_change_without_health_check_failures_naming_it_is_context() -> None:
    diagnosis = diagnose(
        _bundle(
            ELB_5XX,
            changes=[_health_check_change()],
            events=[_unhealthy(ONSET + timedelta(minutes=1), group="another-group")],
        )
    )
    assert _score(diagnosis, TG, "config_change") < 1
