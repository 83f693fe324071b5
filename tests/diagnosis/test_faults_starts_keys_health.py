"""Deploys whose tasks never start, unusable KMS keys and target group health checks, on
hand-built evidence: what makes each one a cause, and what leaves it context."""

from __future__ import annotations

from datetime import datetime, timedelta

from cloudwarden.diagnosis.engine import diagnose
from cloudwarden.evidence.model import Change, LogLine, ServiceEvent
from tests.diagnosis.builders import (
    FIVE_XX,
    KEY,
    LB,
    ONSET,
    TG,
    WEB,
    failed_start_event,
    make_alarm,
    make_bundle,
    make_deploy,
    make_series,
    score_of,
    top_of,
)


def test_a_deploy_whose_tasks_never_start_is_a_bad_deploy_without_a_log_line() -> None:
    deploy = make_deploy(ONSET - timedelta(minutes=2))
    failed = [failed_start_event(ONSET + timedelta(minutes=m)) for m in range(0, 10, 2)]
    diagnosis = diagnose(
        make_bundle(
            FIVE_XX,
            changes=[deploy],
            events=failed,
            metrics=[make_series(TG, "HTTPCode_Target_5XX_Count", 2, 90)],
            desired=4,
            running=2,
        )
    )
    resource, fault, score = top_of(diagnosis)
    assert (resource, fault) == (WEB, "bad_deploy") and score >= 5
    assert "running 2 of 4 desired" in diagnosis.hypotheses[0].evidence[0].summary


def test_failed_starts_before_the_deploy_leave_it_context() -> None:
    deploy = make_deploy(ONSET - timedelta(minutes=2))
    earlier = [failed_start_event(ONSET - timedelta(minutes=m)) for m in (30, 25, 20)]
    diagnosis = diagnose(make_bundle(FIVE_XX, changes=[deploy], events=earlier))
    assert score_of(diagnosis, WEB, "bad_deploy") < 1


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
    diagnosis = diagnose(
        make_bundle(FIVE_XX, changes=[_key_change("ScheduleKeyDeletion")], logs=_key_errors())
    )
    resource, fault, score = top_of(diagnosis)
    assert (resource, fault) == (KEY, "key_unusable") and score >= 5
    assert score_of(diagnosis, WEB, "bad_deploy") == 0.0


def test_a_disabled_key_nothing_fails_on_is_context_and_failures_alone_still_name_it() -> None:
    quiet = diagnose(make_bundle(FIVE_XX, changes=[_key_change("DisableKey")]))
    assert 0 < score_of(quiet, KEY, "key_unusable") < 1
    loud = diagnose(make_bundle(FIVE_XX, changes=[], logs=_key_errors()))
    assert top_of(loud)[:2] == (KEY, "key_unusable")


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


ELB_5XX = make_alarm("HTTPCode_ELB_5XX_Count", {"LoadBalancer": "app/public/9"})


def test_a_health_check_change_its_targets_then_fail_is_the_target_group_s_config_change() -> None:
    diagnosis = diagnose(
        make_bundle(
            ELB_5XX,
            changes=[_health_check_change(), make_deploy(ONSET - timedelta(minutes=30))],
            events=[_unhealthy(ONSET + timedelta(minutes=m)) for m in range(0, 10, 3)],
            metrics=[make_series(LB, "HTTPCode_ELB_5XX_Count", 0, 900)],
        )
    )
    resource, fault, score = top_of(diagnosis)
    assert (resource, fault) == (TG, "config_change") and score >= 5
    assert score_of(diagnosis, WEB, "bad_deploy") < 1


def test_a_target_group_change_without_health_check_failures_naming_it_is_context() -> None:
    diagnosis = diagnose(
        make_bundle(
            ELB_5XX,
            changes=[_health_check_change()],
            events=[_unhealthy(ONSET + timedelta(minutes=1), group="another-group")],
        )
    )
    assert score_of(diagnosis, TG, "config_change") < 1
