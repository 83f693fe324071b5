"""Contract: the simulated account's CloudTrail records writes and answers LookupEvents like AWS."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cloudwarden.simulator.client import SimulatorClient, SimulatorError
from cloudwarden.simulator.patches.call_recorder import recorded_events

ACCOUNT = "123456789012"
REGION = "us-east-1"
DEPLOYER = f"arn:aws:sts::{ACCOUNT}:assumed-role/Deployer/alice"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/platform-admin"
TRUST_LAMBDA = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def _hours_ago(hours: float) -> datetime:
    return (datetime.now(UTC) - timedelta(hours=hours)).replace(microsecond=0)


@functools.cache
def _admin_client(endpoint: str, service: str, region: str = REGION) -> Any:
    """Clients are slow to build and the server outlives each test's reset, so build each once."""
    return SimulatorClient(endpoint).client(service, region=region)


def _lookup(sim: SimulatorClient, key: str, value: str, **kwargs: Any) -> list[dict[str, Any]]:
    attributes = [{"AttributeKey": key, "AttributeValue": value}]
    cloudtrail = _admin_client(sim.endpoint, "cloudtrail")
    events: list[dict[str, Any]] = cloudtrail.lookup_events(LookupAttributes=attributes, **kwargs)["Events"]
    return events


def _record(event: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(event["CloudTrailEvent"])
    return record


def _error_code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


def _ecs_service(sim: SimulatorClient, *, at: datetime, actor: str = ADMIN) -> Any:
    ecs = sim.acting_client("ecs", at=at, actor=actor)
    ecs.create_cluster(clusterName="prod")
    ecs.register_task_definition(
        family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 256}]
    )
    ecs.create_service(cluster="prod", serviceName="web", taskDefinition="web", desiredCount=2)
    return ecs


def test_a_write_appears_in_lookup_events_at_its_backdated_time_by_its_actor(sim: SimulatorClient) -> None:
    at = _hours_ago(3)
    ecs = sim.acting_client("ecs", at=at, actor=DEPLOYER, source_ip="198.51.100.7")
    _ecs_service(sim, at=at - timedelta(days=1))
    ecs.update_service(cluster="prod", service="web", desiredCount=5)

    [event] = _lookup(sim, "EventName", "UpdateService")

    assert event["EventTime"] == at
    assert event["EventSource"] == "ecs.amazonaws.com"
    assert event["ReadOnly"] == "false"
    assert event["Username"] == "alice"
    assert event["AccessKeyId"].startswith("ASIA")  # a stand-in key of alice's session, not the admin's
    assert {"ResourceType": "AWS::ECS::Service", "ResourceName": "web"} in event["Resources"]
    assert {"ResourceType": "AWS::ECS::Cluster", "ResourceName": "prod"} in event["Resources"]
    record = _record(event)
    assert record["eventVersion"] == "1.08"
    assert record["eventTime"] == at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert record["eventName"] == "UpdateService"
    assert record["eventID"] == event["EventId"]
    assert record["awsRegion"] == REGION
    assert record["sourceIPAddress"] == "198.51.100.7"
    assert record["requestParameters"] == {"cluster": "prod", "service": "web", "desiredCount": 5}
    assert record["readOnly"] is False
    assert record["eventType"] == "AwsApiCall"
    assert record["managementEvent"] is True
    assert record["eventCategory"] == "Management"
    assert record["recipientAccountId"] == ACCOUNT
    assert record["requestID"]
    identity = record["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == DEPLOYER
    assert identity["accountId"] == ACCOUNT
    assert identity["principalId"].startswith("AROA") and identity["principalId"].endswith(":alice")
    assert identity["sessionContext"]["sessionIssuer"]["arn"] == f"arn:aws:iam::{ACCOUNT}:role/Deployer"


def test_only_successful_management_writes_are_recorded_in_their_region(sim: SimulatorClient) -> None:
    ecs = _admin_client(sim.endpoint, "ecs")
    ecs.create_cluster(clusterName="prod")
    ecs.describe_clusters(clusters=["prod"])
    ecs.list_clusters()
    with pytest.raises(ClientError):
        ecs.update_service(cluster="prod", service="missing", desiredCount=1)
    _admin_client(sim.endpoint, "cloudwatch").put_metric_data(
        Namespace="App", MetricData=[{"MetricName": "Orders", "Value": 1.0}]
    )
    _admin_client(sim.endpoint, "sts").get_caller_identity()

    events = _admin_client(sim.endpoint, "cloudtrail").lookup_events()["Events"]

    assert [e["EventName"] for e in events] == ["CreateCluster"]
    assert _record(events[0])["userIdentity"]["type"] == "Root"  # the simulator's administrator keys

    _admin_client(sim.endpoint, "ecs", "eu-west-1").create_cluster(clusterName="eu")
    _admin_client(sim.endpoint, "iam", "eu-west-1").create_role(
        RoleName="global", AssumeRolePolicyDocument=TRUST_LAMBDA
    )
    eu = _admin_client(sim.endpoint, "cloudtrail", "eu-west-1").lookup_events()["Events"]
    us = _admin_client(sim.endpoint, "cloudtrail", "us-east-1").lookup_events()["Events"]
    assert [e["EventName"] for e in eu] == ["CreateCluster"]
    assert _record(eu[0])["awsRegion"] == "eu-west-1"
    assert [e["EventName"] for e in us] == ["CreateRole", "CreateCluster"]  # IAM is global: us-east-1
    assert [e["EventName"] for e in recorded_events(ACCOUNT, "eu-west-1")] == ["CreateCluster"]


def test_each_service_gets_its_cloudtrail_source_name_and_resources(sim: SimulatorClient) -> None:
    at = _hours_ago(1)

    def client(service: str) -> Any:
        return sim.acting_client(service, at=at, actor=ADMIN)

    ec2, iam, lam, rds = client("ec2"), client("iam"), client("lambda"), client("rds")
    group = ec2.create_security_group(GroupName="db", Description="database")["GroupId"]
    rule = [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=rule)
    ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=rule)
    client("cloudwatch").put_metric_alarm(
        AlarmName="high-cpu", MetricName="CPUUtilization", Namespace="AWS/EC2", Statistic="Average",
        Period=60, EvaluationPeriods=1, Threshold=80.0, ComparisonOperator="GreaterThanThreshold",
    )  # fmt: skip
    role_arn = iam.create_role(RoleName="resizer", AssumeRolePolicyDocument=TRUST_LAMBDA)["Role"]["Arn"]
    policy = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    iam.attach_role_policy(RoleName="resizer", PolicyArn=policy)
    iam.detach_role_policy(RoleName="resizer", PolicyArn=policy)
    lam.create_function(
        FunctionName="resize", Runtime="python3.12", Role=role_arn, Handler="h.h", Code={"ZipFile": b"code"},
        Environment={"Variables": {"DB_PASSWORD": "not-in-the-trail"}},
    )  # fmt: skip
    lam.put_function_concurrency(FunctionName="resize", ReservedConcurrentExecutions=0)
    rds.create_db_instance(
        DBInstanceIdentifier="orders", DBInstanceClass="db.t3.micro", Engine="postgres",
        MasterUsername="app", MasterUserPassword="not-in-the-trail", AllocatedStorage=20,
    )  # fmt: skip
    rds.modify_db_instance(
        DBInstanceIdentifier="orders", DBInstanceClass="db.t3.small", ApplyImmediately=True
    )
    events = {e["EventName"]: e for e in _admin_client(sim.endpoint, "cloudtrail").lookup_events()["Events"]}

    revoke = events["RevokeSecurityGroupIngress"]
    assert revoke["EventSource"] == "ec2.amazonaws.com"
    assert revoke["Resources"] == [{"ResourceType": "AWS::EC2::SecurityGroup", "ResourceName": group}]
    assert _record(revoke)["requestParameters"]["groupId"] == group
    assert events["PutMetricAlarm"]["EventSource"] == "monitoring.amazonaws.com"
    detach = events["DetachRolePolicy"]
    assert detach["EventSource"] == "iam.amazonaws.com"
    assert {(r["ResourceType"], r["ResourceName"]) for r in detach["Resources"]} == {
        ("AWS::IAM::Role", "resizer"),
        ("AWS::IAM::Policy", policy),
    }
    # Many Lambda event names carry the API version in real CloudTrail; code and environment are left out.
    created_function = _record(events["CreateFunction20150331"])["requestParameters"]
    assert created_function["functionName"] == "resize"
    assert created_function["code"] == {} and "environment" not in created_function
    assert "not-in-the-trail" not in events["CreateFunction20150331"]["CloudTrailEvent"]
    concurrency = events["PutFunctionConcurrency20171031"]
    assert concurrency["EventSource"] == "lambda.amazonaws.com"
    assert concurrency["Resources"] == [{"ResourceType": "AWS::Lambda::Function", "ResourceName": "resize"}]
    assert _record(concurrency)["requestParameters"] == {
        "functionName": "resize",
        "reservedConcurrentExecutions": 0,
    }
    modify = events["ModifyDBInstance"]
    assert modify["EventSource"] == "rds.amazonaws.com"
    assert modify["Resources"] == [{"ResourceType": "AWS::RDS::DBInstance", "ResourceName": "orders"}]
    assert _record(modify)["requestParameters"]["dBInstanceClass"] == "db.t3.small"
    create = _record(events["CreateDBInstance"])["requestParameters"]
    assert create["masterUserPassword"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert "not-in-the-trail" not in events["CreateDBInstance"]["CloudTrailEvent"]
    task_definition = sim.acting_client("ecs", at=at, actor=ADMIN)
    task_definition.register_task_definition(
        family="api", containerDefinitions=[{"name": "api", "image": "x", "memory": 64}]
    )
    [registered] = _lookup(sim, "EventName", "RegisterTaskDefinition")
    assert registered["Resources"] == [{"ResourceType": "AWS::ECS::TaskDefinition", "ResourceName": "api"}]


def test_lookup_filters_by_attribute_and_inclusive_time_range(sim: SimulatorClient) -> None:
    created, updated = _hours_ago(5), _hours_ago(1)
    _ecs_service(sim, at=created)
    sim.acting_client("ecs", at=updated, actor=DEPLOYER).update_service(
        cluster="prod", service="web", desiredCount=0
    )
    cloudtrail = _admin_client(sim.endpoint, "cloudtrail")

    by_user = _lookup(sim, "Username", "alice")
    assert [e["EventName"] for e in by_user] == ["UpdateService"]
    assert len(_lookup(sim, "Username", "platform-admin")) == 3
    assert [e["EventName"] for e in _lookup(sim, "ResourceType", "AWS::ECS::Service")] == [
        "UpdateService",
        "CreateService",
    ]
    assert len(_lookup(sim, "ResourceName", "web")) == 3  # the task definition family and the service
    assert len(_lookup(sim, "ReadOnly", "false")) == 4
    assert _lookup(sim, "ReadOnly", "true") == []
    assert len(_lookup(sim, "EventSource", "ecs.amazonaws.com")) == 4
    event_id = by_user[0]["EventId"]
    assert [e["EventId"] for e in _lookup(sim, "EventId", event_id)] == [event_id]
    assert [e["EventId"] for e in _lookup(sim, "AccessKeyId", by_user[0]["AccessKeyId"])] == [event_id]
    assert _lookup(sim, "EventName", "DeleteService") == []

    at_update = cloudtrail.lookup_events(StartTime=updated, EndTime=updated)["Events"]
    assert [e["EventName"] for e in at_update] == ["UpdateService"]
    everything = cloudtrail.lookup_events(StartTime=created, EndTime=updated)["Events"]
    assert [e["EventTime"] for e in everything] == [updated, created, created, created]  # newest first
    assert cloudtrail.lookup_events(EndTime=created - timedelta(seconds=1))["Events"] == []
    assert _lookup(sim, "Username", "alice", StartTime=created, EndTime=updated - timedelta(seconds=1)) == []


def test_paging_returns_every_event_once_newest_first(sim: SimulatorClient) -> None:
    ecs = sim.acting_client("ecs", at=_hours_ago(1), actor=ADMIN)
    for index in range(120):
        ecs.create_cluster(clusterName=f"cluster-{index:03d}")
    cloudtrail = _admin_client(sim.endpoint, "cloudtrail")

    pages = [cloudtrail.lookup_events()]
    ecs.create_cluster(clusterName="filed-between-pages")  # newer than the cursor: not in later pages
    while "NextToken" in pages[-1]:
        pages.append(cloudtrail.lookup_events(NextToken=pages[-1]["NextToken"]))

    assert [len(p["Events"]) for p in pages] == [50, 50, 20]
    names = [_record(e)["requestParameters"]["clusterName"] for p in pages for e in p["Events"]]
    assert names == [f"cluster-{index:03d}" for index in reversed(range(120))]
    small = cloudtrail.lookup_events(MaxResults=7)
    assert len(small["Events"]) == 7 and small["Events"][0]["EventName"] == "CreateCluster"
    paginated = cloudtrail.get_paginator("lookup_events").paginate().build_full_result()
    assert len(paginated["Events"]) == 121


def test_invalid_lookups_fail_with_aws_error_codes(sim: SimulatorClient) -> None:
    for name in ("prod", "staging"):
        _admin_client(sim.endpoint, "ecs").create_cluster(clusterName=name)
    cloudtrail = _admin_client(sim.endpoint, "cloudtrail")
    token = cloudtrail.lookup_events(MaxResults=1)["NextToken"]
    by_name = [{"AttributeKey": "EventName", "AttributeValue": "CreateCluster"}]
    two = [
        {"AttributeKey": "EventName", "AttributeValue": "CreateCluster"},
        {"AttributeKey": "Username", "AttributeValue": "root"},
    ]

    with pytest.raises(ClientError) as two_attributes:
        cloudtrail.lookup_events(LookupAttributes=two)
    with pytest.raises(ClientError) as unknown_key:
        cloudtrail.lookup_events(LookupAttributes=[{"AttributeKey": "Region", "AttributeValue": "x"}])
    with pytest.raises(ClientError) as reversed_range:
        cloudtrail.lookup_events(StartTime=_hours_ago(1), EndTime=_hours_ago(2))
    with pytest.raises(ClientError) as too_many:
        cloudtrail.lookup_events(MaxResults=51)
    with pytest.raises(ClientError) as garbage_token:
        cloudtrail.lookup_events(NextToken="not-a-token")
    with pytest.raises(ClientError) as token_of_other_query:
        cloudtrail.lookup_events(LookupAttributes=by_name, NextToken=token)

    assert _error_code(two_attributes) == "InvalidLookupAttributesException"
    assert _error_code(unknown_key) == "InvalidLookupAttributesException"
    assert _error_code(reversed_range) == "InvalidTimeRangeException"
    assert _error_code(too_many) == "InvalidMaxResultsException"
    assert _error_code(garbage_token) == "InvalidNextTokenException"
    assert _error_code(token_of_other_query) == "InvalidNextTokenException"
    assert len(cloudtrail.lookup_events(MaxResults=5, NextToken=token)["Events"]) == 1  # same query: fine


def test_injected_event_is_served_like_a_recorded_one_and_bad_payloads_are_refused(
    sim: SimulatorClient,
) -> None:
    at = _hours_ago(2)
    result = sim.inject(
        "cloudtrail_event",
        account_id=ACCOUNT,
        payload={
            "event_name": "ConsoleLogin",
            "event_source": "signin.amazonaws.com",
            "event_time": at.isoformat(),
            "actor": ADMIN,
            "event_type": "AwsConsoleSignIn",
            "source_ip": "192.0.2.44",
            "user_agent": "Mozilla/5.0",
            "response_elements": {"ConsoleLogin": "Success"},
            "additional_event_data": {"MFAUsed": "No"},
        },
    )

    [event] = _lookup(sim, "EventName", "ConsoleLogin")
    assert event["EventId"] == result["event_id"]
    assert event["EventTime"] == at
    assert event["Username"] == "platform-admin"
    record = _record(event)
    assert record["eventType"] == "AwsConsoleSignIn"
    assert record["userIdentity"] == {
        "type": "IAMUser",
        "principalId": record["userIdentity"]["principalId"],
        "arn": ADMIN,
        "accountId": ACCOUNT,
        "userName": "platform-admin",
    }
    assert record["additionalEventData"] == {"MFAUsed": "No"}
    assert recorded_events(ACCOUNT, REGION)[0]["EventId"] == event["EventId"]

    typo = {"event_name": "ConsoleLogin", "event_source": "signin.amazonaws.com", "eventTime": at.isoformat()}
    with pytest.raises(SimulatorError, match="eventTime"):
        sim.inject("cloudtrail_event", account_id=ACCOUNT, payload={**typo, "actor": ADMIN})
    assert len(recorded_events(ACCOUNT, REGION)) == 1
