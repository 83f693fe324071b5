"""CloudTrail LookupEvents for the simulated account, over the events ``call_recorder`` files.

moto 5.2.5 has no LookupEvents. This adds it to moto's CloudTrail response class, following
the API reference: at most one lookup attribute, an inclusive StartTime/EndTime range,
MaxResults 1..50 (default 50), newest first, and a NextToken that is valid only with the
parameters it was issued for. Paging is by position (time, sequence) rather than offset, so
events filed between two pages neither repeat nor shift results.

Not simulated: the 90-day window (scenarios may use any clock) and the two-per-second rate limit.

Injector ``cloudtrail_event`` files an event no simulated API call can produce (console sign-in,
an AWS service's own action, a failed call with its errorCode).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, Field

from cloudwarden.simulator.patches import Injector, InjectRequest, call_recorder, sts_trust
from cloudwarden.simulator.patches._support import StrictPayload, as_utc, parse_payload
from cloudwarden.simulator.patches.call_recorder import StoredEvent

LOOKUP_KEYS = frozenset(
    {
        "EventId",
        "EventName",
        "ReadOnly",
        "Username",
        "ResourceType",
        "ResourceName",
        "EventSource",
        "AccessKeyId",
    }
)
DEFAULT_MAX_RESULTS = 50

_apply_lock = threading.Lock()


class LookupEventsError(Exception):
    """A LookupEvents error with the code CloudTrail's API model names."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class InjectedResource(StrictPayload):
    resource_type: str = Field(pattern=r"^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$")
    resource_name: str = Field(min_length=1)


class InjectedCloudTrailEvent(StrictPayload):
    """Payload of ``POST /_cloudwarden/inject/cloudtrail_event``."""

    event_name: str = Field(min_length=1, max_length=128)
    event_source: str = Field(pattern=r"^[a-z0-9.-]+\.amazonaws\.com$")
    event_time: AwareDatetime
    actor: str = Field(min_length=1, description="principal ARN, or a service such as ecs.amazonaws.com")
    access_key_id: str | None = None
    read_only: bool = False
    event_type: Literal["AwsApiCall", "AwsConsoleSignIn", "AwsConsoleAction", "AwsServiceEvent"] = (
        "AwsApiCall"
    )
    source_ip: str = "203.0.113.10"
    user_agent: str = "AWS Internal"
    resources: list[InjectedResource] = Field(default_factory=list)
    request_parameters: dict[str, Any] | None = None
    response_elements: dict[str, Any] | None = None
    additional_event_data: dict[str, Any] | None = None
    error_code: str | None = None
    error_message: str | None = None
    event_id: uuid.UUID | None = None


def apply() -> None:
    from moto.cloudtrail.responses import CloudTrailResponse

    with _apply_lock:
        if getattr(CloudTrailResponse, "lookup_events", None) is not _lookup_events:
            CloudTrailResponse.lookup_events = _lookup_events  # type: ignore[attr-defined]


def reset() -> None:
    return None  # the events live in call_recorder's store, which its reset() clears


def inject_cloudtrail_event(request: InjectRequest) -> dict[str, Any]:
    event = parse_payload(InjectedCloudTrailEvent, request.payload, "cloudtrail_event")
    stored = call_recorder.record_event(
        account_id=request.account_id,
        region=request.region,
        event_name=event.event_name,
        event_source=event.event_source,
        event_time=event.event_time,
        identity=sts_trust.identity_from_arn(event.actor, request.account_id),
        access_key_id=event.access_key_id,
        source_ip=event.source_ip,
        user_agent=event.user_agent,
        request_parameters=event.request_parameters,
        response_elements=event.response_elements,
        resources=[(r.resource_type, r.resource_name) for r in event.resources],
        read_only=event.read_only,
        event_type=event.event_type,
        error_code=event.error_code,
        error_message=event.error_message,
        additional_event_data=event.additional_event_data,
        event_id=str(event.event_id) if event.event_id else None,
    )
    return {"event_id": stored.event_id, "event_time": call_recorder.iso_z(stored.event_time)}


INJECTORS: dict[str, Injector] = {"cloudtrail_event": inject_cloudtrail_event}


def lookup_events(
    account_id: str,
    region: str,
    *,
    lookup_attributes: list[dict[str, Any]] | None = None,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One LookupEvents page and the token for the next; raises LookupEventsError as AWS would."""
    attribute = _validate_attributes(lookup_attributes or [])
    if start_time is not None and end_time is not None and start_time > end_time:
        raise LookupEventsError(
            "InvalidTimeRangeException", "Start time must be before or equal to end time."
        )
    limit = DEFAULT_MAX_RESULTS if max_results is None else max_results
    if not 1 <= limit <= DEFAULT_MAX_RESULTS:
        raise LookupEventsError("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
    query = _fingerprint(attribute, start_time, end_time)
    cursor = _decode_token(next_token, query) if next_token else None
    matches = _matching(
        call_recorder.stored_events(account_id, region), attribute, start_time, end_time, cursor
    )
    page: list[StoredEvent] = []
    for event in matches:
        if len(page) == limit:  # one more match exists, so there is a next page
            return [e.to_lookup() for e in page], _encode_token(page[-1].sort_key, query)
        page.append(event)
    return [e.to_lookup() for e in page], None


def _lookup_events(self: Any) -> Any:
    """LookupEvents handler installed on moto's CloudTrailResponse."""
    from moto.core.responses import ActionResult

    try:
        category = self._get_param("EventCategory")
        if category is not None and category != "insight":
            raise LookupEventsError(
                "InvalidEventCategoryException", f"Event category {category!r} is not valid."
            )
        events, token = lookup_events(
            self.current_account,
            self.region,
            lookup_attributes=self._get_param("LookupAttributes"),
            start_time=_timestamp(self._get_param("StartTime")),
            end_time=_timestamp(self._get_param("EndTime")),
            max_results=self._get_param("MaxResults"),
            next_token=self._get_param("NextToken"),
        )
        if category == "insight":
            events, token = [], None  # the simulator has no Insights events
    except LookupEventsError as error:
        raise _service_exception()(error.code, error.message) from None
    result: dict[str, Any] = {"Events": events}
    if token is not None:
        result["NextToken"] = token
    return ActionResult(result)


@functools.cache
def _service_exception() -> type[Exception]:
    """moto serialises a ServiceException against the error shapes of CloudTrail's model.

    Subclassed here because moto looks the model up by the exception's module, and one from
    moto.core names no service.
    """
    from moto.core.exceptions import ServiceException

    class CloudTrailLookupError(ServiceException):
        pass

    return CloudTrailLookupError


def _validate_attributes(attributes: list[dict[str, Any]]) -> tuple[str, str] | None:
    if not attributes:
        return None
    if len(attributes) > 1:
        raise LookupEventsError(
            "InvalidLookupAttributesException", "You cannot specify more than one lookup attribute."
        )
    key, value = attributes[0].get("AttributeKey"), attributes[0].get("AttributeValue")
    if key not in LOOKUP_KEYS:
        raise LookupEventsError(
            "InvalidLookupAttributesException",
            f"Lookup attribute key {key!r} is not valid; use one of {', '.join(sorted(LOOKUP_KEYS))}.",
        )
    if not isinstance(value, str) or not value:
        raise LookupEventsError(
            "InvalidLookupAttributesException", "Lookup attribute value must not be empty."
        )
    return key, value


def _matching(
    events: list[StoredEvent],
    attribute: tuple[str, str] | None,
    start: datetime | None,
    end: datetime | None,
    cursor: tuple[float, int] | None,
) -> Iterator[StoredEvent]:
    for event in reversed(events):  # newest first
        if cursor is not None and event.sort_key >= cursor:
            continue
        if (start is not None and event.event_time < start) or (end is not None and event.event_time > end):
            continue
        if attribute is None or _has_attribute(event, *attribute):
            yield event


def _has_attribute(event: StoredEvent, key: str, value: str) -> bool:
    if key == "ResourceType":
        return any(rtype == value for rtype, _ in event.resources)
    if key == "ResourceName":
        return any(name == value for _, name in event.resources)
    actual = {
        "EventId": event.event_id,
        "EventName": event.event_name,
        "ReadOnly": "true" if event.read_only else "false",
        "Username": event.username,
        "EventSource": event.event_source,
        "AccessKeyId": event.access_key_id,
    }[key]
    return actual == value


def _timestamp(value: Any) -> datetime | None:
    """boto3 sends timestamps as epoch seconds in CloudTrail's JSON protocol; accept ISO too."""
    if value is None:
        return None
    if isinstance(value, int | float) or re.fullmatch(r"\d+(\.\d+)?", str(value)):
        return datetime.fromtimestamp(float(value), UTC)
    try:
        return as_utc(datetime.fromisoformat(str(value)))
    except ValueError:
        raise LookupEventsError("InvalidTimeRangeException", f"Time {value!r} is not valid.") from None


def _fingerprint(attribute: tuple[str, str] | None, start: datetime | None, end: datetime | None) -> str:
    parts = [attribute, start.timestamp() if start else None, end.timestamp() if end else None]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def _encode_token(position: tuple[float, int], query: str) -> str:
    payload = json.dumps({"p": list(position), "q": query}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def _decode_token(token: str, query: str) -> tuple[float, int]:
    invalid = LookupEventsError(
        "InvalidNextTokenException",
        "Invalid NextToken: it is malformed or was issued for a request with different parameters.",
    )
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        moment, seq = payload["p"]
        query_matches = payload["q"] == query
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise invalid from None
    if not query_matches or not isinstance(moment, int | float) or not isinstance(seq, int):
        raise invalid
    return float(moment), seq
