"""Fault signatures on hand-built evidence: what counts for a cause, and what does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cloudwarden.diagnosis.engine import diagnose
from cloudwarden.diagnosis.narrate.template import render
from cloudwarden.evidence.model import AlarmInfo, Change, EvidenceBundle, LogLine, MetricSeries, Resource

ALARM_AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ONSET = ALARM_AT - timedelta(minutes=10)
WEB = "arn:aws:ecs:us-east-1:1:service/c/web"
DB = "arn:aws:rds:us-east-1:1:db:db1"
SG = "arn:aws:ec2:us-east-1:1:security-group/sg-db"
TG = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web/1"


def _bundle(*, deploy_at: datetime, revoke_at: datetime) -> EvidenceBundle:
    start = ALARM_AT - timedelta(hours=3)
    minutes = range(0, 181)
    errors = [
        LogLine(
            group="/ecs/web",
            stream="s",
            time=ONSET + timedelta(seconds=20 * i),
            message=f'ERROR connection to server at "db1.x.rds.amazonaws.com" failed: Connection timed out ({i})',
        )
        for i in range(30)
    ]
    ok = [
        LogLine(group="/ecs/web", stream="s", time=start + timedelta(minutes=m), message=f"INFO ok {m}")
        for m in minutes
    ]
    five_xx = [
        (start + timedelta(minutes=m), 150.0 if start + timedelta(minutes=m) >= ONSET else 2.0 + m % 3)
        for m in minutes
    ]
    return EvidenceBundle(
        account_id="1",
        region="us-east-1",
        alarm=AlarmInfo(
            name="web-5xx",
            arn="arn:aws:cloudwatch:us-east-1:1:alarm:web-5xx",
            state="ALARM",
            state_reason="",
            state_changed_at=ALARM_AT,
            namespace="AWS/ApplicationELB",
            metric="HTTPCode_Target_5XX_Count",
            statistic="Sum",
            dimensions={"TargetGroup": "targetgroup/web/1"},
            threshold=50,
            comparison="GreaterThanThreshold",
            period=60,
        ),
        window_start=start,
        window_end=ALARM_AT + timedelta(minutes=1),
        resources=[
            Resource(
                key=WEB,
                kind="ecs_service",
                name="web",
                attributes={
                    "environment": {"DB_HOST": "db1.x.rds.amazonaws.com"},
                    "security_groups": [],
                    "target_groups": [TG],
                    "log_groups": ["/ecs/web"],
                },
            ),
            Resource(
                key=DB,
                kind="rds_instance",
                name="db1",
                attributes={
                    "identifier": "db1",
                    "endpoint": "db1.x.rds.amazonaws.com",
                    "security_groups": ["sg-db"],
                },
            ),
            Resource(key=SG, kind="security_group", name="sg-db", attributes={"group_id": "sg-db"}),
            Resource(key=TG, kind="target_group", name="web", attributes={"dimension": "targetgroup/web/1"}),
        ],
        log_groups={"/ecs/web": WEB},
        metrics=[
            MetricSeries(
                resource=TG,
                namespace="AWS/ApplicationELB",
                metric="HTTPCode_Target_5XX_Count",
                stat="Sum",
                dimensions={},
                points=five_xx,
            )
        ],
        logs=ok + errors,
        changes=[
            Change(
                source="ecs-deployment",
                time=deploy_at,
                name="Deployment",
                actor="ecs",
                resources=[WEB],
                parameters={
                    "task_definition": "web:8",
                    "previous_task_definition": "web:7",
                    "images": ["web:v8"],
                    "previous_images": ["web:v7"],
                },
            ),
            Change(
                source="cloudtrail",
                time=revoke_at,
                name="RevokeSecurityGroupIngress",
                actor="arn:aws:sts::1:assumed-role/tf/x",
                resources=["sg-db"],
                parameters={"groupId": "sg-db"},
            ),
        ],
    )


def test_timeouts_naming_the_database_do_not_blame_an_unrelated_deploy() -> None:
    diagnosis = diagnose(
        _bundle(revoke_at=ONSET - timedelta(minutes=9), deploy_at=ONSET - timedelta(minutes=8))
    )
    top = diagnosis.hypotheses[0]
    assert (top.resource, top.fault) == (SG, "network_block"), [
        (h.resource_name, h.fault, h.score) for h in diagnosis.hypotheses
    ]


def _deploy_only(*, errors_after_deploy: bool) -> EvidenceBundle:
    """A deploy of web 4 min before the onset; after it, web logs new errors of its own, or none."""
    bundle = _bundle(revoke_at=ONSET - timedelta(minutes=9), deploy_at=ONSET - timedelta(minutes=4))
    bundle.logs = [line for line in bundle.logs if "ERROR" not in line.message]
    bundle.changes = [c for c in bundle.changes if c.name == "Deployment"]
    if errors_after_deploy:
        bundle.logs += [
            LogLine(
                group="/ecs/web",
                stream="s",
                time=ONSET + timedelta(seconds=20 * i),
                message=f"ERROR TypeError: cannot read property 'total' of undefined in checkout ({i})",
            )
            for i in range(30)
        ]
    return bundle


def test_a_deploy_nothing_of_its_own_corroborates_is_context_not_the_cause() -> None:
    healthy = diagnose(_deploy_only(errors_after_deploy=False)).hypotheses
    broken = diagnose(_deploy_only(errors_after_deploy=True)).hypotheses
    assert [(h.resource, h.fault) for h in broken[:1]] == [(WEB, "bad_deploy")]
    assert broken[0].confidence >= 0.3
    # The same deploy, with nothing of the service's own going wrong after it: context only.
    assert all(h.confidence < 0.1 for h in healthy), [(h.fault, h.confidence) for h in healthy]
    assert healthy[0].score * 5 <= broken[0].score


def test_thin_evidence_is_said_plainly_not_dressed_as_a_cause() -> None:
    healthy = diagnose(_deploy_only(errors_after_deploy=False))
    assert not healthy.stands_out
    assert "no root cause stands out" in healthy.summary and "most likely" not in healthy.summary
    text = render(healthy)
    assert "No root cause stands out" in text and "Most likely cause" not in text
    assert "the strongest lead is a bad deploy" in text
    broken = diagnose(_deploy_only(errors_after_deploy=True))
    assert broken.stands_out and broken.summary.split(": ", 1)[1].startswith("most likely bad deploy")
