"""Hand-built evidence for the diagnosis tests: one small service behind a target group and a
load balancer, its logs, metrics, changes and events around a fixed alarm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

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


def make_series(key: str, metric: str, before: float, after: float) -> MetricSeries:
    points = [
        (START + timedelta(minutes=m), (after if START + timedelta(minutes=m) >= ONSET else before) + m % 3)
        for m in range(181)
    ]
    return MetricSeries(
        resource=key, namespace="AWS/ApplicationELB", metric=metric, stat="Sum", dimensions={}, points=points
    )


def make_alarm(
    metric: str,
    dimensions: dict[str, str],
    *,
    namespace: str = "AWS/ApplicationELB",
    statistic: str = "Sum",
    threshold: float = 50,
) -> AlarmInfo:
    return AlarmInfo(
        name="alarm",
        arn="arn:aws:cloudwatch:us-east-1:1:alarm:alarm",
        state="ALARM",
        state_reason="",
        state_changed_at=ALARM_AT,
        namespace=namespace,
        metric=metric,
        statistic=statistic,
        dimensions=dimensions,
        threshold=threshold,
        comparison="GreaterThanThreshold",
        period=60,
    )


def service_resources(**web: Any) -> list[Resource]:
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


def make_bundle(
    alarm: AlarmInfo,
    *,
    changes: list[Change],
    events: list[ServiceEvent] = (),  # type: ignore[assignment]
    logs: list[LogLine] = (),  # type: ignore[assignment]
    metrics: list[MetricSeries] = (),  # type: ignore[assignment]
    **web: Any,
) -> EvidenceBundle:
    resources = service_resources(**web)
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


def make_deploy(at: datetime) -> Change:
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


def failed_start_event(at: datetime) -> ServiceEvent:
    return ServiceEvent(
        source="ecs",
        resource=WEB,
        time=at,
        kind="task-stopped",
        message="CannotPullContainerError: pull image manifest has been retried 5 time(s): "
        "failed to resolve ref 1.dkr.ecr.us-east-1.amazonaws.com/web:v9: not found",
        data={"stop_code": "TaskFailedToStart", "exit_codes": []},
    )


def top_of(diagnosis: Diagnosis) -> tuple[str, str, float]:
    top = diagnosis.hypotheses[0]
    return top.resource, top.fault, top.score


def score_of(diagnosis: Diagnosis, key: str, fault: str) -> float:
    return next((h.score for h in diagnosis.hypotheses if h.resource == key and h.fault == fault), 0.0)


FIVE_XX = make_alarm("HTTPCode_Target_5XX_Count", {"TargetGroup": "targetgroup/web-8080/1"})
