"""A realistic diagnosis (shaped like the engine's output for a security-group change) and the
local LLM server the narrator tests run the real SDKs against."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from cloudwarden.diagnosis.faults import FAULTS
from cloudwarden.diagnosis.model import AlarmSummary, Diagnosis, EvidenceRef, Hypothesis
from tests.diagnosis.narrate.fake_llm import FakeLLM, fake_llm_server

ACCOUNT = "123456789012"
SG_WEB_DB = f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/sg-81f09b629170145fb"
SG_API = f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/sg-54379cfe3f0ebdccb"
SERVICE = f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/prod-main/storefront-api"
TARGET_GROUP = (
    f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/storefront-api-8080/8e61bceedde2ab68"
)
DB = f"arn:aws:rds:us-east-1:{ACCOUNT}:db:orders-db"
ALARM_ARN = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:storefront-5xx-high"
ACTOR = f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_PowerUser_5f2a9c/jane.doe@example.com"
EMAIL = "oncall-lead@example.com"
DB_IP = "10.20.2.41"
IPV6_CIDR = "2600:1f18:4a3:6b00::"
# Every value that must never reach a model.
SENSITIVE = [ACCOUNT, SG_WEB_DB, SG_API, SERVICE, TARGET_GROUP, DB, ALARM_ARN, ACTOR, EMAIL, DB_IP, IPV6_CIDR]


def at(minute: int, second: int = 0) -> datetime:
    return datetime(2026, 11, 23, 13, minute, second, tzinfo=UTC)


def build_diagnosis() -> Diagnosis:
    revoke = (
        f"CloudTrail RevokeSecurityGroupIngress by {ACTOR} (groupId=sg-81f09b629170145fb, "
        "ipPermissions=[{'ipProtocol': 'tcp', 'fromPort': 5432, 'toPort': 5432, "
        f"'ipv6Ranges': [{{'cidrIpv6': '{IPV6_CIDR}/56'}}], "
        "'userIdGroupPairs': [{'groupId': 'sg-54379cfe3f0ebdccb'}]}])"
    )
    return Diagnosis(
        account_id=ACCOUNT,
        region="us-east-1",
        alarm=AlarmSummary(
            name="storefront-5xx-high",
            arn=ALARM_ARN,
            state_changed_at=at(4),
            reason=(
                "Threshold Crossed: 3 out of the last 3 datapoints [156.0 (23/11/26 13:03:00), 157.0 "
                "(23/11/26 13:02:00), 155.0 (23/11/26 13:01:00)] were greater than the threshold (50.0)."
            ),
            resources=[TARGET_GROUP, SERVICE],
        ),
        onset=at(0, 4),
        window_start=datetime(2026, 11, 23, 10, 15, 4, tzinfo=UTC),
        window_end=datetime(2026, 11, 23, 13, 15, 4, tzinfo=UTC),
        candidates=10,
        hypotheses=[
            Hypothesis(
                rank=1,
                resource=SG_WEB_DB,
                resource_name="sg-81f09b629170145fb",
                resource_kind="security_group",
                fault="network_block",
                confidence=0.62,
                score=6.1,
                evidence=[
                    EvidenceRef(
                        source="cloudtrail", time=at(0), resource=SG_WEB_DB, summary=revoke, weight=3.0
                    ),
                    EvidenceRef(
                        source="logs",
                        time=at(1, 1),
                        resource=SERVICE,
                        summary=(
                            "/ecs/storefront-api: 118x (new) psycopg2.OperationalError: connection to server at "
                            f'"orders-db.c9akciq32.us-east-1.rds.amazonaws.com" ({DB_IP}), port 5432 failed: '
                            "timeout expired"
                        ),
                        weight=2.0,
                    ),
                    EvidenceRef(
                        source="metrics",
                        time=at(1, 4),
                        resource=DB,
                        summary="AWS/RDS DatabaseConnections (Maximum) fell from 13:01: 47 -> 20 (z=-9.1)",
                        weight=1.0,
                    ),
                ],
                next_steps=list(FAULTS["network_block"].next_steps),
            ),
            Hypothesis(
                rank=2,
                resource=SERVICE,
                resource_name="storefront-api",
                resource_kind="ecs_service",
                fault="bad_deploy",
                confidence=0.21,
                score=2.1,
                evidence=[
                    EvidenceRef(
                        source="ecs-deployment",
                        time=datetime(2026, 11, 23, 12, 21, tzinfo=UTC),
                        resource=SERVICE,
                        summary=(
                            f"deployment ecs-svc/4098288358748346696 (COMPLETED) started by {EMAIL}: "
                            f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/storefront-api:v2.13.4 -> "
                            f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/storefront-api:v2.14.0"
                        ),
                        weight=2.0,
                    )
                ],
                next_steps=list(FAULTS["bad_deploy"].next_steps),
            ),
            Hypothesis(
                rank=3,
                resource=SG_API,
                resource_name="sg-54379cfe3f0ebdccb",
                resource_kind="security_group",
                fault="network_block",
                confidence=0.11,
                score=1.2,
                evidence=[
                    EvidenceRef(source="cloudtrail", time=at(0), resource=SG_API, summary=revoke, weight=1.0)
                ],
                next_steps=list(FAULTS["network_block"].next_steps),
            ),
        ],
        evidence_unavailable=[
            "evidence unavailable: logs:FilterLogEvents accessdenied (User: "
            f"arn:aws:sts::{ACCOUNT}:assumed-role/CloudWardenReadOnly/cloudwarden is not authorized to perform: "
            f"logs:FilterLogEvents on resource: arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/ecs/orders-worker)"
        ],
        aws_calls=31,
        summary="storefront-5xx-high: most likely network block on security group sg-81f09b629170145fb.",
    )


def faithful_answer(payload: dict) -> str:
    """What a well-behaved model writes: only the evidence it was shown, placeholders verbatim."""
    top, runner_up = payload["hypotheses"][0], payload["hypotheses"][1]
    revoke = top["evidence"][0]
    actor = revoke["summary"].split(" by ", 1)[1].split(" ", 1)[0]
    return (
        f"The {payload['alarm']['name']} alarm in account {payload['account_id']} fired because the most likely "
        f"cause is a network block on security group {top['resource_name']} ({top['resource']}): at "
        f"{revoke['time'][11:16]} UTC {actor} revoked its PostgreSQL ingress rule, after which "
        f"storefront-api timed out connecting to the database. A bad deploy of {runner_up['resource']} is "
        "less likely. Logs of one log group could not be read (access denied). "
        "First, restore the revoked security group rule."
    )


@pytest.fixture
def diagnosis() -> Diagnosis:
    return build_diagnosis()


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    with fake_llm_server() as fake:
        yield fake
