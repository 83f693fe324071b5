"""How the engine reads evidence written by someone else: log lines with their own identifiers,
services that call each other by name, mappings named only by their UUID, changes that land
between two faults, and alarms on a busy resource that nothing depends on being hurt."""

from __future__ import annotations

from datetime import timedelta

from cloudwarden.diagnosis.context import build
from cloudwarden.diagnosis.engine import HARMLESS_NOTE, candidates, diagnose
from cloudwarden.diagnosis.signals import is_error, template_of
from cloudwarden.diagnosis.topology import derive_edges, mentions
from cloudwarden.evidence.collectors import ecs, lambda_functions
from cloudwarden.evidence.model import Change, EvidenceBundle, LogLine, MetricSeries, Resource
from tests.diagnosis.builders import (
    ALARM_AT,
    FIVE_XX,
    ONSET,
    START,
    TG,
    WEB,
    make_alarm,
    make_bundle,
    make_deploy,
    make_series,
    score_of,
)

DB = "arn:aws:rds:us-east-1:1:db:orders"


def test_identifiers_with_a_prefix_do_not_split_one_message_into_many_templates() -> None:
    a = 'ts=2026-12-04T10:00:01Z level=error msg="order failed" order=ord_4d20f9512352 user=usr_be89ca56'
    b = 'ts=2026-12-04T10:00:02Z level=error msg="order failed" order=ord_ffb1afb9 user=usr_0a1b2c3d4e'
    assert template_of(a) == template_of(b)
    # Words and plain numbers keep their own placeholders.
    assert "order failed" in template_of(a)
    assert template_of("Rows_examined: 1234567") == template_of("Rows_examined: 12")


def test_a_name_is_mentioned_only_as_a_whole() -> None:
    assert mentions("http://payments.internal:8080/v1", "payments")
    assert not mentions("postgres://payments-db:5432/app", "payments")
    assert not mentions("see payments_archive", "payments")
    assert mentions("host=10.0.1.4 port=5000", "10.0.1.4")
    assert not mentions("host=10.0.1.45", "10.0.1.4")


def _service(name: str, **environment: str) -> Resource:
    return Resource(
        key=f"arn:aws:ecs:us-east-1:1:service/c/{name}",
        kind="ecs_service",
        name=name,
        attributes={"cluster_name": "c", "environment": environment, "log_groups": [f"/ecs/{name}"]},
    )


def test_a_service_named_in_another_service_s_environment_is_its_dependency() -> None:
    checkout = _service("checkout", INVENTORY_URL="http://inventory.shop.local:9090")
    inventory = _service("inventory")
    unrelated = _service("inventory-v2")  # a longer name that contains it is not a reference to it
    edges = derive_edges([checkout, inventory, unrelated], [])
    assert [(e.source, e.target, e.relation) for e in edges] == [
        (checkout.key, inventory.key, "env-reference")
    ]


def test_a_change_to_an_event_source_mapping_is_a_change_to_its_function() -> None:
    fn = "arn:aws:lambda:us-east-1:1:function:settlements"
    queue = "arn:aws:sqs:us-east-1:1:settlement-requests"
    uuid = "52693bd4-d6c6-497d-b781-2b850f6f3020"
    resources, edges = lambda_functions.transform(
        {
            "functions": [{"FunctionArn": fn, "FunctionName": "settlements"}],
            "mappings": [{"UUID": uuid, "FunctionArn": fn, "EventSourceArn": queue, "State": "Disabled"}],
        }
    )
    disabled = Change(
        source="cloudtrail",
        time=ONSET,
        name="UpdateEventSourceMapping",
        actor="arn:aws:iam::1:user/oncall",
        resources=[uuid],
        parameters={"uUID": uuid, "enabled": False},
    )
    age = make_alarm(
        "ApproximateAgeOfOldestMessage",
        {"QueueName": "settlement-requests"},
        namespace="AWS/SQS",
        statistic="Maximum",
        threshold=600,
    )
    queue_resource = Resource(
        key=queue, kind="sqs_queue", name="settlement-requests", attributes={"name": "settlement-requests"}
    )
    bundle = EvidenceBundle(
        account_id="1",
        region="us-east-1",
        alarm=age,
        window_start=START,
        window_end=ALARM_AT + timedelta(minutes=1),
        resources=[*resources, queue_resource],
        edges=derive_edges([*resources, queue_resource], edges),
        changes=[disabled],
        metrics=[
            _metric(fn, "AWS/Lambda", "Invocations", 40, 0),
            _metric(queue, "AWS/SQS", "NumberOfMessagesDeleted", 40, 0),
            _metric(queue, "AWS/SQS", "ApproximateAgeOfOldestMessage", 30, 1800),
        ],
    )
    graph, roots = candidates(bundle)
    assert [c.name for c in build(bundle, graph, roots).changes[fn]] == ["UpdateEventSourceMapping"]
    top = diagnose(bundle).hypotheses[0]
    assert (top.resource, top.fault) == (fn, "queue_backlog")
    assert "UpdateEventSourceMapping" in top.evidence[0].summary


def _metric(key: str, namespace: str, name: str, before: float, after: float) -> MetricSeries:
    series = make_series(key, name, before, after)
    return series.model_copy(update={"namespace": namespace})


def _errors(
    first_minute: int, text: str = "ERROR NullPointerException in PricingService.quote"
) -> list[LogLine]:
    return [
        LogLine(
            group="/ecs/web",
            stream="s",
            time=ONSET + timedelta(minutes=first_minute, seconds=20 * i),
            message=text,
        )
        for i in range(12)
    ]


def test_errors_that_begin_long_after_a_deploy_do_not_make_it_the_cause() -> None:
    long_before = make_bundle(
        FIVE_XX,
        changes=[make_deploy(ONSET - timedelta(minutes=40))],
        logs=_errors(0),
        metrics=[make_series(TG, "HTTPCode_Target_5XX_Count", 2, 90)],
    )
    just_before = make_bundle(
        FIVE_XX,
        changes=[make_deploy(ONSET - timedelta(minutes=2))],
        logs=_errors(0),
        metrics=[make_series(TG, "HTTPCode_Target_5XX_Count", 2, 90)],
    )
    assert score_of(diagnose(long_before), WEB, "bad_deploy") < 1
    assert score_of(diagnose(just_before), WEB, "bad_deploy") >= 5


def test_a_deploy_between_the_first_fault_s_onset_and_the_alarm_is_still_a_suspect() -> None:
    # The onset is the first fault's (5xx from ONSET); the deploy lands 6 minutes later and its
    # own new errors follow it: a second fault, which the first one's onset must not hide.
    second = make_bundle(
        FIVE_XX,
        changes=[make_deploy(ONSET + timedelta(minutes=6))],
        logs=_errors(7),
        metrics=[make_series(TG, "HTTPCode_Target_5XX_Count", 2, 90)],
    )
    assert score_of(diagnose(second), WEB, "bad_deploy") >= 5


def _database_cpu_bundle(*, harmed: bool) -> EvidenceBundle:
    db = Resource(key=DB, kind="rds_instance", name="orders", attributes={"identifier": "orders"})
    cpu = make_alarm(
        "CPUUtilization",
        {"DBInstanceIdentifier": "orders"},
        namespace="AWS/RDS",
        statistic="Average",
        threshold=80,
    )
    metrics = [_metric(DB, "AWS/RDS", "CPUUtilization", 25, 90)]
    group = "/aws/rds/instance/orders/postgresql"
    # Harm: the database cancels its callers' statements (a new error, in its own log).
    cancelled = [
        LogLine(
            group=group,
            stream="s",
            time=ONSET + timedelta(seconds=30 * i),
            message="2026-11-23 11:55:00 UTC::app@orders:[4242]:ERROR:  canceling statement due to statement timeout",
        )
        for i in range(12)
    ]
    return EvidenceBundle(
        account_id="1",
        region="us-east-1",
        alarm=cpu,
        window_start=START,
        window_end=ALARM_AT + timedelta(minutes=1),
        resources=[db],
        metrics=metrics,
        log_groups={group: DB},
        logs=cancelled if harmed else [],
    )


def test_a_busy_database_nothing_is_hurt_by_is_said_to_be_busy_not_broken() -> None:
    busy = diagnose(_database_cpu_bundle(harmed=False))
    hurt = diagnose(_database_cpu_bundle(harmed=True))
    assert (busy.hypotheses[0].resource, busy.hypotheses[0].fault) == (DB, "cpu_saturation")
    assert busy.hypotheses[0].confidence < 0.4 and HARMLESS_NOTE in busy.notes
    assert "Nothing near the alarm shows errors" in busy.summary
    assert hurt.hypotheses[0].confidence >= 0.6 and HARMLESS_NOTE not in hurt.notes


def test_a_line_that_states_an_informational_level_is_not_an_error() -> None:
    assert not is_error("2026-12-04T10:20:00Z [info     ] worker booted  [gunicorn.error] pid=12772")
    assert not is_error(
        "ts=x level=info caller=server.go:31 method=POST path=/v1/orders status=201 took=80ms"
    )
    # ... unless it reports a failed response or carries a traceback.
    assert is_error("ts=x level=info caller=server.go:31 method=POST path=/v1/orders status=504 took=8003ms")
    assert is_error('{"message":"Completed 500 INTERNAL_SERVER_ERROR in 301 ms","level":"INFO"}')
    assert is_error('{"level":50,"msg":"upstream failed"}') and is_error("ERROR NullPointerException")


def test_the_onset_is_the_first_new_error_when_the_metrics_move_later() -> None:
    # The deploy's exceptions begin 8 minutes before the 5xx metric moves enough to count: the
    # onset is theirs, so they are new after it and corroborate the deploy.
    early = [
        LogLine(
            group="/ecs/web",
            stream="s",
            time=ONSET - timedelta(minutes=8, seconds=-20 * i),
            message="ERROR AttributeError: 'NoneType' object has no attribute 'discount'",
        )
        for i in range(40)
    ]
    bundle = make_bundle(
        FIVE_XX,
        changes=[make_deploy(ONSET - timedelta(minutes=9))],
        logs=early,
        metrics=[make_series(TG, "HTTPCode_Target_5XX_Count", 2, 90)],
    )
    graph, roots = candidates(bundle)
    assert build(bundle, graph, roots).onset <= ONSET - timedelta(minutes=7)
    assert score_of(diagnose(bundle), WEB, "bad_deploy") >= 5


def test_a_recent_deployment_s_previous_revision_says_what_it_changed() -> None:
    assert ecs.previous_revision("arn:aws:ecs:us-east-1:1:task-definition/web:9") == (
        "arn:aws:ecs:us-east-1:1:task-definition/web:8"
    )
    assert ecs.previous_revision("arn:aws:ecs:us-east-1:1:task-definition/web:1") is None
    new, old = (
        "arn:aws:ecs:us-east-1:1:task-definition/web:9",
        "arn:aws:ecs:us-east-1:1:task-definition/web:8",
    )
    image = "1.dkr.ecr.us-east-1.amazonaws.com/web:v9"

    def definition(arn: str, url: str) -> dict[str, object]:
        return {
            "taskDefinitionArn": arn,
            "containerDefinitions": [
                {"name": "web", "image": image, "environment": [{"name": "UPSTREAM_URL", "value": url}]}
            ],
        }

    raw = {
        "services": [
            {
                "serviceArn": WEB,
                "serviceName": "web",
                "clusterArn": "arn:aws:ecs:us-east-1:1:cluster/c",
                "taskDefinition": new,
                "deployments": [
                    {"id": "ecs-svc/1", "taskDefinition": new, "createdAt": ONSET, "status": "PRIMARY"}
                ],
            }
        ],
        "task_definitions": {
            new: definition(new, "http://b.internal"),
            old: definition(old, "http://a.internal"),
        },
        "previous": {WEB: old},
        "stopped_tasks": [],
    }
    _, changes, _ = ecs.transform(raw)
    deployment = changes[0].parameters
    assert deployment["previous_task_definition"] == old
    assert deployment["images"] == deployment["previous_images"] == [image]  # only the environment changed


def test_a_deploy_s_lead_evidence_is_the_exception_not_the_access_line_reporting_it() -> None:
    def lines(message: str) -> list[LogLine]:
        return [
            LogLine(group="/ecs/web", stream="s", time=ONSET + timedelta(seconds=20 * i), message=message)
            for i in range(12)
        ]

    access = lines("INFO [2026-11-23 11:51:00] method=POST path=/api/checkout status=500 duration_ms=212")
    exception = lines(
        'ERROR unhandled exception\nTraceback (most recent call last):\n  File "pricing.py", line 41\n'
        "AttributeError: 'NoneType' object has no attribute 'discount'"
    )
    bundle = make_bundle(
        FIVE_XX,
        changes=[make_deploy(ONSET - timedelta(minutes=2))],
        logs=access + exception,  # the access line first in time order
        metrics=[make_series(TG, "HTTPCode_Target_5XX_Count", 2, 90)],
    )
    top = diagnose(bundle).hypotheses[0]
    assert top.fault == "bad_deploy"
    assert "AttributeError" in top.evidence[0].summary
