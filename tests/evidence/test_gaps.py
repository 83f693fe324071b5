"""A denied or failing AWS call becomes a visible 'evidence unavailable' item, never a crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.stub import Stubber

from cloudwarden.evidence.collectors import cloudtrail, logs
from cloudwarden.evidence.context import CollectContext


def _client(service: str) -> Any:
    return boto3.Session(region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b").client(
        service
    )


def _context(**clients: Any) -> CollectContext:
    ctx = CollectContext(session=None)  # type: ignore[arg-type]
    ctx._clients.update(clients)
    return ctx


def test_access_denied_names_the_exact_action() -> None:
    client = _client("cloudtrail")
    now = datetime.now(UTC)
    with Stubber(client) as stub:
        stub.add_client_error(
            "lookup_events", service_error_code="AccessDeniedException", service_message="no"
        )
        ctx = _context(cloudtrail=client)
        result = ctx.guarded(
            "cloudtrail",
            "cloudtrail",
            lambda: cloudtrail.get(client, start=now - timedelta(hours=1), end=now),
        )
    assert result is None
    assert [g.describe() for g in ctx.gaps] == [
        "evidence unavailable: cloudtrail:LookupEvents accessdeniedexception (no)"
    ]


def test_throttling_after_retries_is_reported_not_raised() -> None:
    client = _client("logs")
    now = datetime.now(UTC)
    with Stubber(client) as stub:
        stub.add_client_error(
            "filter_log_events", service_error_code="ThrottlingException", http_status_code=400
        )
        ctx = _context(logs=client)
        result = ctx.guarded(
            "logs", "logs", lambda: logs.get(client, group="/ecs/x", start=now - timedelta(hours=1), end=now)
        )
    assert result is None
    assert ctx.gaps[0].action == "logs:FilterLogEvents" and ctx.gaps[0].code == "ThrottlingException"


def test_cloudtrail_transform_skips_failed_writes_and_reads_parameters() -> None:
    now = datetime.now(UTC)
    raw = [
        {
            "EventId": "1",
            "EventName": "RevokeSecurityGroupIngress",
            "EventTime": now,
            "Resources": [{"ResourceType": "AWS::EC2::SecurityGroup", "ResourceName": "sg-123"}],
            "CloudTrailEvent": '{"userIdentity": {"arn": "arn:aws:sts::1:assumed-role/tf/x"}, "requestParameters": {"groupId": "sg-123"}}',
        },
        {
            "EventId": "2",
            "EventName": "DeleteDBInstance",
            "EventTime": now,
            "CloudTrailEvent": '{"errorCode": "AccessDenied", "requestParameters": {"dBInstanceIdentifier": "db"}}',
        },
    ]
    changes = cloudtrail.transform(raw)
    assert [c.name for c in changes] == ["RevokeSecurityGroupIngress"]
    assert changes[0].actor == "arn:aws:sts::1:assumed-role/tf/x" and "sg-123" in changes[0].resources


def test_lambda_event_names_lose_their_api_version_suffix() -> None:
    raw = [
        {
            "EventId": "1",
            "EventName": "PutFunctionConcurrency20171031",
            "EventTime": datetime.now(UTC),
            "CloudTrailEvent": "{}",
        }
    ]
    assert cloudtrail.transform(raw)[0].name == "PutFunctionConcurrency"
