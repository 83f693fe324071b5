"""Record every successful mutating API call made to the simulator as a CloudTrail event.

moto records nothing, so the simulated account would have no change history. This module wraps
``BaseResponse.call_action`` (the one funnel every query/JSON/REST-JSON service goes through) and
files each successful write as a CloudTrail management event in an in-memory store keyed by
(account, region). ``cloudtrail_lookup`` serves the store through LookupEvents.

What is recorded follows real CloudTrail: read calls (Describe*, List*, Get*, ...) are not
management writes; data events that trails skip by default (Lambda Invoke, PutMetricData,
PutLogEvents, SQS messages, SNS Publish, DynamoDB items) are left out; STS is left out; global
services (IAM) are filed under us-east-1; many Lambda event names carry an API version suffix
(``PutFunctionConcurrency20171031``), exactly as real CloudTrail shows them.

Headers from ``SimulatorClient.acting_client`` set the event time, the actor and the source IP,
so a scenario can place a change in the past by a principal of its choosing.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from cloudwarden.simulator.client import SIM_ACTOR_HEADER, SIM_SOURCE_IP_HEADER
from cloudwarden.simulator.patches import Injector
from cloudwarden.simulator.patches._support import as_utc, request_time
from cloudwarden.simulator.patches.sts_trust import (
    PATCH_MARKER,
    Identity,
    access_key_for,
    identity_for_access_key,
    identity_from_arn,
    is_patched,
    service_prefix,
)

log = logging.getLogger(__name__)

INJECTORS: dict[str, Injector] = {}

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
# Keeps a long simulator run bounded; real CloudTrail keeps 90 days, far more than any scenario.
MAX_EVENTS_PER_REGION = 50_000

READ_ONLY_PREFIXES = (
    "Describe", "List", "Get", "Lookup", "BatchGet", "Head", "Filter", "Search", "Query", "Scan", "Test",
)  # fmt: skip
# Data-plane writes: trails log them only as data events, which LookupEvents never returns.
DATA_EVENTS: dict[str, frozenset[str]] = {
    "lambda": frozenset({"Invoke", "InvokeAsync", "InvokeWithResponseStream"}),
    "monitoring": frozenset({"PutMetricData"}),
    "logs": frozenset({"PutLogEvents"}),
    "sqs": frozenset({
        "SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch",
        "ChangeMessageVisibility", "ChangeMessageVisibilityBatch",
    }),
    "sns": frozenset({"Publish", "PublishBatch"}),
    "dynamodb": frozenset({
        "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems",
        "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction",
    }),
    "kinesis": frozenset({"PutRecord", "PutRecords"}),
    "firehose": frozenset({"PutRecord", "PutRecordBatch"}),
}  # fmt: skip
GLOBAL_SERVICES = frozenset({"iam", "organizations", "route53", "cloudfront"})
# Lambda's CloudTrail event names where they differ from the API's (Lambda developer guide,
# "Lambda management events in CloudTrail"); other Lambda actions keep their plain names.
LAMBDA_EVENT_NAMES = {
    "AddPermission": "AddPermission20150331v2", "RemovePermission": "RemovePermission20150331v2",
    "CreateAlias": "CreateAlias20150331", "UpdateAlias": "UpdateAlias20150331", "DeleteAlias": "DeleteAlias20150331",
    "CreateEventSourceMapping": "CreateEventSourceMapping20150331",
    "UpdateEventSourceMapping": "UpdateEventSourceMapping20150331",
    "DeleteEventSourceMapping": "DeleteEventSourceMapping20150331",
    "CreateFunction": "CreateFunction20150331", "DeleteFunction": "DeleteFunction20150331",
    "UpdateFunctionCode": "UpdateFunctionCode20150331v2",
    "UpdateFunctionConfiguration": "UpdateFunctionConfiguration20150331v2",
    "PutFunctionConcurrency": "PutFunctionConcurrency20171031",
    "DeleteFunctionConcurrency": "DeleteFunctionConcurrency20171031",
    "PublishVersion": "PublishVersion20150331", "PublishLayerVersion": "PublishLayerVersion20181031",
    "TagResource": "TagResource20170331v2", "UntagResource": "UntagResource20170331v2",
}  # fmt: skip
# Lambda leaves function environments (secrets, often) out of its CloudTrail parameters.
LAMBDA_OMITTED_PARAMETERS = frozenset({"environment"})
# Request parameter (lower-cased) -> CloudFormation-style resource type, per service prefix.
RESOURCE_PARAMETERS: dict[str, dict[str, str]] = {
    "ecs": {
        "cluster": "AWS::ECS::Cluster", "clustername": "AWS::ECS::Cluster", "service": "AWS::ECS::Service",
        "servicename": "AWS::ECS::Service", "taskdefinition": "AWS::ECS::TaskDefinition",
        "family": "AWS::ECS::TaskDefinition", "task": "AWS::ECS::Task",
    },
    "ec2": {
        "groupid": "AWS::EC2::SecurityGroup", "groupname": "AWS::EC2::SecurityGroup",
        "instanceid": "AWS::EC2::Instance", "instanceids": "AWS::EC2::Instance", "vpcid": "AWS::EC2::VPC",
        "subnetid": "AWS::EC2::Subnet", "volumeid": "AWS::EC2::Volume",
        "routetableid": "AWS::EC2::RouteTable",
        "networkinterfaceid": "AWS::EC2::NetworkInterface", "natgatewayid": "AWS::EC2::NatGateway",
    },
    "lambda": {"functionname": "AWS::Lambda::Function", "layername": "AWS::Lambda::LayerVersion"},
    "iam": {
        "rolename": "AWS::IAM::Role", "policyarn": "AWS::IAM::Policy", "username": "AWS::IAM::User",
        "groupname": "AWS::IAM::Group", "instanceprofilename": "AWS::IAM::InstanceProfile",
    },
    "rds": {
        "dbinstanceidentifier": "AWS::RDS::DBInstance", "dbclusteridentifier": "AWS::RDS::DBCluster",
        "dbparametergroupname": "AWS::RDS::DBParameterGroup", "dbsnapshotidentifier": "AWS::RDS::DBSnapshot",
    },
    "monitoring": {"alarmname": "AWS::CloudWatch::Alarm", "alarmnames": "AWS::CloudWatch::Alarm"},
    "elasticloadbalancing": {
        "loadbalancerarn": "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "targetgrouparn": "AWS::ElasticLoadBalancingV2::TargetGroup",
        "listenerarn": "AWS::ElasticLoadBalancingV2::Listener",
    },
    "autoscaling": {"autoscalinggroupname": "AWS::AutoScaling::AutoScalingGroup"},
    "dynamodb": {"tablename": "AWS::DynamoDB::Table"},
    "sqs": {"queueurl": "AWS::SQS::Queue"},
    "sns": {"topicarn": "AWS::SNS::Topic"},
    "secretsmanager": {"secretid": "AWS::SecretsManager::Secret"},
    "ssm": {"name": "AWS::SSM::Parameter"},
    "logs": {"loggroupname": "AWS::Logs::LogGroup"},
    "kms": {"keyid": "AWS::KMS::Key"},
    "cloudtrail": {"name": "AWS::CloudTrail::Trail"},
    "cloudformation": {"stackname": "AWS::CloudFormation::Stack"},
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class StoredEvent:
    """One CloudTrail event; `seq` orders events filed in the same second."""

    seq: int
    event_time: datetime
    event_id: str
    event_name: str
    event_source: str
    read_only: bool
    access_key_id: str | None
    username: str | None
    resources: tuple[tuple[str, str], ...]
    cloudtrail_event: str

    @property
    def sort_key(self) -> tuple[float, int]:
        return (self.event_time.timestamp(), self.seq)

    def to_lookup(self) -> dict[str, Any]:
        """The event as LookupEvents returns it."""
        event: dict[str, Any] = {
            "EventId": self.event_id,
            "EventName": self.event_name,
            "ReadOnly": "true" if self.read_only else "false",
            "EventTime": self.event_time,
            "EventSource": self.event_source,
            "Resources": [{"ResourceType": t, "ResourceName": n} for t, n in self.resources],
            "CloudTrailEvent": self.cloudtrail_event,
        }
        if self.access_key_id:
            event["AccessKeyId"] = self.access_key_id
        if self.username:
            event["Username"] = self.username
        return event


class _EventStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[tuple[str, str], list[StoredEvent]] = {}
        self._seq = itertools.count(1)

    def add(self, account_id: str, region: str, event: StoredEvent) -> StoredEvent:
        with self._lock:
            event = dataclasses.replace(event, seq=next(self._seq))
            events = self._events.setdefault((account_id, region), [])
            events.append(event)
            # Usually appended in order; backdated events need a re-sort (stable, so cheap).
            if len(events) > 1 and events[-2].sort_key > event.sort_key:
                events.sort(key=lambda e: e.sort_key)
            if len(events) > MAX_EVENTS_PER_REGION:
                del events[: len(events) - MAX_EVENTS_PER_REGION]
            return event

    def snapshot(self, account_id: str, region: str) -> list[StoredEvent]:
        with self._lock:
            return list(self._events.get((account_id, region), ()))

    def clear(self) -> None:
        with self._lock:
            self._events.clear()


_store = _EventStore()
_apply_lock = threading.Lock()


def apply() -> None:
    from moto.core.responses import BaseResponse

    with _apply_lock:
        if is_patched(BaseResponse.call_action, __name__):
            return
        BaseResponse.call_action = _recording(BaseResponse.call_action)  # type: ignore[method-assign,assignment]


def reset() -> None:
    _store.clear()


def stored_events(account_id: str, region: str) -> list[StoredEvent]:
    """Events of one account and region, oldest first."""
    return _store.snapshot(account_id, region)


def recorded_events(account_id: str, region: str) -> list[dict[str, Any]]:
    """Events of one account and region as LookupEvents shows them, newest first."""
    return [event.to_lookup() for event in reversed(_store.snapshot(account_id, region))]


def record_event(
    *,
    account_id: str,
    region: str,
    event_name: str,
    event_source: str,
    event_time: datetime,
    identity: Identity,
    access_key_id: str | None,
    source_ip: str,
    user_agent: str,
    request_parameters: Mapping[str, Any] | None = None,
    response_elements: Mapping[str, Any] | None = None,
    resources: Sequence[tuple[str, str]] = (),
    read_only: bool = False,
    event_type: str = "AwsApiCall",
    error_code: str | None = None,
    error_message: str | None = None,
    additional_event_data: Mapping[str, Any] | None = None,
    request_id: str | None = None,
    event_id: str | None = None,
) -> StoredEvent:
    """File one event; the CloudTrailEvent JSON is built here so every path emits the same shape."""
    when = as_utc(event_time).replace(microsecond=0)  # CloudTrail times have whole seconds
    event_id = event_id or str(uuid.uuid4())
    record: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": identity.user_identity(access_key_id, iso_z(when)),
        "eventTime": iso_z(when),
        "eventSource": event_source,
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": source_ip,
        "userAgent": user_agent,
    }
    if error_code:
        record["errorCode"] = error_code
        record["errorMessage"] = error_message or ""
    record["requestParameters"] = dict(request_parameters) if request_parameters is not None else None
    record["responseElements"] = dict(response_elements) if response_elements is not None else None
    if additional_event_data is not None:
        record["additionalEventData"] = dict(additional_event_data)
    record.update(
        requestID=request_id or str(uuid.uuid4()),
        eventID=event_id,
        readOnly=read_only,
        eventType=event_type,
        managementEvent=True,
        recipientAccountId=account_id,
        eventCategory="Management",
    )
    event = StoredEvent(
        seq=0,
        event_time=when,
        event_id=event_id,
        event_name=event_name,
        event_source=event_source,
        read_only=read_only,
        access_key_id=access_key_id or None,
        username=identity.username,
        resources=tuple(dict.fromkeys(resources)),
        cloudtrail_event=json.dumps(record, default=str),
    )
    return _store.add(account_id, region, event)


def iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _recording(inner: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(inner)
    def call_action(self: Any) -> Any:
        result = inner(self)
        try:
            _record_if_mutating(self, result)
        except Exception:  # a recorder bug must never fail the caller's AWS call; it is logged
            log.exception(
                "CloudTrail recorder could not record a %s call", getattr(self, "service_name", "?")
            )
        return result

    setattr(call_action, PATCH_MARKER, __name__)
    return call_action


def _record_if_mutating(response: Any, result: Any) -> None:
    from moto.core.utils import get_service_model

    status = int(result[0])
    action = response._get_action()
    if not 200 <= status < 300 or not action or response.service_name == "sts":
        return
    if action.startswith(READ_ONLY_PREFIXES):
        return
    model = get_service_model(response.boto3_service_name)
    prefix = service_prefix(model)
    if action in DATA_EVENTS.get(prefix, frozenset()):
        return
    raw, shape = _parse_request(response, model, action)
    headers = response.headers
    account = response.current_account
    actor = headers.get(SIM_ACTOR_HEADER)
    if actor:  # a scenario's actor: the request's own (administrator) key is not theirs
        identity = identity_from_arn(actor, account, response.partition)
        access_key = access_key_for(identity)
    else:
        identity = identity_for_access_key(response.access_key, account, response.partition)
        access_key = response.access_key
    parameters = to_cloudtrail_form(raw, shape)
    if prefix == "lambda":
        parameters = {k: v for k, v in parameters.items() if k not in LAMBDA_OMITTED_PARAMETERS}
    request = response.normalized_request
    response_headers = result[1] if isinstance(result[1], Mapping) else {}
    record_event(
        account_id=account,
        region="us-east-1" if prefix in GLOBAL_SERVICES else response.region,
        event_name=LAMBDA_EVENT_NAMES.get(action, action) if prefix == "lambda" else action,
        event_source=f"{prefix}.amazonaws.com",
        event_time=request_time(headers),
        identity=identity,
        access_key_id=access_key,
        source_ip=headers.get(SIM_SOURCE_IP_HEADER) or getattr(request, "remote_addr", None) or "127.0.0.1",
        user_agent=headers.get("User-Agent", ""),
        request_parameters=parameters,
        resources=_resources(prefix, raw),
        request_id=response_headers.get("x-amzn-requestid"),
    )


def _parse_request(response: Any, model: Any, action: str) -> tuple[dict[str, Any], Any]:
    """The request's parameters by botocore member name, and the input shape that names them."""
    from botocore.model import OperationNotFoundError
    from moto.core.parse import PROTOCOL_PARSERS, RequestParserError
    from moto.core.request import determine_request_protocol

    request = response.normalized_request
    try:
        operation = model.operation_model(action)
        protocol = determine_request_protocol(model, request.content_type)
        parser = PROTOCOL_PARSERS[protocol](operation)
        parsed = parser.parse(
            {
                "method": request.method,
                "values": request.values,
                "headers": request.headers,
                "body": request.data,
                "url_path": request.path,
                "url_params": response.uri_match,
            }
        )
        return dict(parsed), operation.input_shape
    except (OperationNotFoundError, RequestParserError, NotImplementedError, KeyError, ValueError) as exc:
        # Still record the call, with the raw form parameters, rather than lose the event.
        log.debug("could not parse %s request parameters: %s", action, exc)
        skip = {"Action", "Version"}
        return {
            k: v[0] if isinstance(v, list) and v else v
            for k, v in response.querystring.items()
            if k not in skip
        }, None


def to_cloudtrail_form(value: Any, shape: Any = None) -> Any:
    """Parameters as CloudTrail shows them: member names lower-camel-cased, secrets hidden."""
    if shape is not None and shape.metadata.get("sensitive"):
        return HIDDEN
    type_name = getattr(shape, "type_name", None)
    if isinstance(value, Mapping):
        if type_name == "map":
            return {k: to_cloudtrail_form(v, shape.value) for k, v in value.items()}
        members = shape.members if type_name == "structure" else {}
        # Payloads such as function code are left out, as CloudTrail does.
        return {
            k[:1].lower() + k[1:]: to_cloudtrail_form(v, members.get(k))
            for k, v in value.items()
            if not isinstance(v, bytes | bytearray)
        }
    if isinstance(value, list):
        member = shape.member if type_name == "list" else None
        return [to_cloudtrail_form(item, member) for item in value]
    if isinstance(value, datetime):
        return iso_z(as_utc(value))
    return value


def _resources(prefix: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
    table = RESOURCE_PARAMETERS.get(prefix, {})
    found: list[tuple[str, str]] = []
    for key, value in params.items():
        resource_type = table.get(key.lower())
        if resource_type is None:
            continue
        for name in value if isinstance(value, list) else [value]:
            if isinstance(name, str) and name:
                found.append((resource_type, name))
    return found
