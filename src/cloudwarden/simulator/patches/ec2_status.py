"""EC2 DescribeInstanceStatus with failing status checks and scheduled events, as in AWS.

moto reports every running instance's system and instance checks as "ok" with no Events, and
applies none of the status filters. Here an injector (``ec2_instance_status``) sets an instance's
checks and scheduled events, and DescribeInstanceStatus shows them in AWS's shape, with AWS's
parameters: InstanceIds (unknown ids are InvalidInstanceID.NotFound), IncludeAllInstances
(default false: running instances only), Filters, and MaxResults/NextToken (5-1000, not with
InstanceIds).

Why the response handler is replaced, rather than moto's ``Instance.system_status`` /
``instance_status`` properties or a template: moto 5 has no XML template for EC2 any more; a
handler returns an ``ActionResult`` that moto serialises against botocore's output shape, so
returning plain dicts in that shape gives exactly AWS's wire format without depending on which
attributes of moto's ``Instance`` the serialiser happens to read. The properties would also
need the account and region through ``instance.ec2_backend``, and would still leave the filters
to a response-level patch. Instance selection stays moto's (``ec2_backend.describe_instance_status``
with InstanceIds and IncludeAllInstances), so its not-found errors and state handling are kept.

Injected checks apply while the instance is running; any other state reports "not-applicable"
for both checks, as AWS does. Scheduled events are shown whatever the state. An injection
replaces the instance's whole status (checks and events); injecting "ok" with no events clears it.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from cloudwarden.simulator.patches import Injector, InjectRequest
from cloudwarden.simulator.patches._support import (
    StrictPayload,
    as_utc,
    install,
    parse_payload,
    utc_now,
)

CheckStatus = Literal["ok", "impaired", "insufficient-data", "not-applicable", "initializing"]
EventCode = Literal[
    "instance-reboot", "system-reboot", "system-maintenance", "instance-retirement", "instance-stop"
]
# The reachability detail AWS reports for each overall check status (none for not-applicable).
_REACHABILITY: dict[str, str | None] = {
    "ok": "passed",
    "impaired": "failed",
    "insufficient-data": "insufficient-data",
    "initializing": "initializing",
    "not-applicable": None,
}
MIN_RESULTS, MAX_RESULTS = 5, 1000
RUNNING_CODE = 16

_lock = threading.RLock()
_overlays: dict[tuple[str, str], dict[str, InstanceOverlay]] = {}
_originals: dict[str, Callable[..., Any]] = {}


@dataclass(frozen=True)
class ScheduledEvent:
    event_id: str
    code: str
    description: str
    not_before: datetime
    not_after: datetime | None

    def to_api(self) -> dict[str, Any]:
        event: dict[str, Any] = {
            "InstanceEventId": self.event_id,
            "Code": self.code,
            "Description": self.description,
            "NotBefore": self.not_before,
        }
        if self.not_after is not None:
            event["NotAfter"] = self.not_after
        return event


@dataclass(frozen=True)
class InstanceOverlay:
    system_status: str = "ok"
    instance_status: str = "ok"
    since: datetime | None = None
    events: tuple[ScheduledEvent, ...] = field(default_factory=tuple)


def overlay(account_id: str, region: str, instance_id: str) -> InstanceOverlay:
    """The instance's injected status, or all-ok with no events."""
    with _lock:
        return _overlays.get((account_id, region), {}).get(instance_id, InstanceOverlay())


def _check(status: str, since: datetime | None) -> dict[str, Any]:
    reachability = _REACHABILITY[status]
    if reachability is None:
        return {"Status": status}
    detail: dict[str, Any] = {"Name": "reachability", "Status": reachability}
    if reachability == "failed" and since is not None:
        detail["ImpairedSince"] = since
    return {"Status": status, "Details": [detail]}


def _instance_status(instance: Any, state: InstanceOverlay) -> dict[str, Any]:
    running = instance.state_code == RUNNING_CODE
    return {
        "InstanceId": instance.id,
        "AvailabilityZone": instance.availability_zone,
        "InstanceState": {"Code": instance.state_code, "Name": instance.state},
        "SystemStatus": _check(state.system_status if running else "not-applicable", state.since),
        "InstanceStatus": _check(state.instance_status if running else "not-applicable", state.since),
        "Events": [e.to_api() for e in state.events],
    }


def _wildcard(pattern: str) -> re.Pattern[str]:
    """An EC2 filter value: `*` matches any run of characters, `?` one character."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern))


def _reachability(check: dict[str, Any]) -> list[str]:
    return [d["Status"] for d in check.get("Details", []) if d["Name"] == "reachability"]


# The filters AWS documents for DescribeInstanceStatus that this simulation supports: each maps an
# InstanceStatus (as returned) to the values the filter compares. Any other name is refused, so a
# caller never gets an unfiltered answer it takes for a filtered one.
_FILTERS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "availability-zone": lambda s: [str(s["AvailabilityZone"])],
    "instance-state-name": lambda s: [s["InstanceState"]["Name"]],
    "instance-state-code": lambda s: [str(s["InstanceState"]["Code"])],
    "system-status.status": lambda s: [s["SystemStatus"]["Status"]],
    "instance-status.status": lambda s: [s["InstanceStatus"]["Status"]],
    "system-status.reachability": lambda s: _reachability(s["SystemStatus"]),
    "instance-status.reachability": lambda s: _reachability(s["InstanceStatus"]),
    "event.code": lambda s: [e["Code"] for e in s["Events"]],
    "event.description": lambda s: [e["Description"] for e in s["Events"]],
    "event.instance-event-id": lambda s: [e["InstanceEventId"] for e in s["Events"]],
}


def _matches(status: dict[str, Any], filters: dict[str, list[str]]) -> bool:
    """AWS: filters are ANDed; a filter's values are ORed."""
    for name, wanted in filters.items():
        seen = _FILTERS[name](status)
        if not any(_wildcard(value).fullmatch(v) for value in wanted for v in seen):
            return False
    return True


def _describe_instance_status(self: Any) -> Any:
    from moto.core.responses import ActionResult
    from moto.ec2.exceptions import InvalidFilter, InvalidNextToken, InvalidParameterCombination
    from moto.ec2.exceptions import InvalidParameterValue as InvalidValue

    self.error_on_dryrun()
    instance_ids = self._get_param("InstanceIds", [])
    include_all = self._get_bool_param("IncludeAllInstances", False)
    filters = {name: [str(v) for v in values] for name, values in self._filters_from_querystring().items()}
    for name in filters:
        if name not in _FILTERS:
            raise InvalidFilter(name, "InvalidParameterValue")
    max_results = self._get_int_param("MaxResults")
    if max_results is not None:
        if instance_ids:
            raise InvalidParameterCombination(
                "The parameter instancesSet cannot be used with the parameter maxResults"
            )
        if not MIN_RESULTS <= max_results <= MAX_RESULTS:
            raise InvalidValue(
                f"Value ( {max_results} ) for parameter maxResults is invalid. "
                f"Expecting a value between {MIN_RESULTS} and {MAX_RESULTS}."
            )
    instances = self.ec2_backend.describe_instance_status(instance_ids, include_all, None)
    statuses = [
        status
        for instance in instances
        if _matches(
            status := _instance_status(instance, overlay(self.current_account, self.region, instance.id)),
            filters,
        )
    ]
    token = self._get_param("NextToken")
    if token is not None and not str(token).isdigit():
        raise InvalidNextToken(str(token))
    offset = int(token or 0)
    limit = max_results or len(statuses)
    result: dict[str, Any] = {"InstanceStatuses": statuses[offset : offset + limit]}
    if offset + limit < len(statuses):
        result["NextToken"] = str(offset + limit)
    return ActionResult(result)


def apply() -> None:
    from moto.ec2.responses.instances import InstanceResponse

    if _originals:
        return
    _originals["describe_instance_status"] = InstanceResponse.describe_instance_status
    install(InstanceResponse, "describe_instance_status", _describe_instance_status)


def reset() -> None:
    with _lock:
        _overlays.clear()


class ScheduledEventPayload(StrictPayload):
    code: EventCode
    description: str = Field(min_length=1)
    not_before: datetime
    not_after: datetime | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ScheduledEventPayload:
        if self.not_after is not None and as_utc(self.not_after) < as_utc(self.not_before):
            raise ValueError("not_after is before not_before")
        return self


class InstanceStatusPayload(StrictPayload):
    instance_id: str = Field(min_length=1)
    system_status: CheckStatus = "ok"
    instance_status: CheckStatus = "ok"
    since: datetime | None = None  # when the failing check began failing; default: now
    events: list[ScheduledEventPayload] = Field(default_factory=list)


def _event_id() -> str:
    return f"instance-event-{secrets.token_hex(9)[:17]}"


def _inject_status(request: InjectRequest) -> dict[str, Any]:
    from moto.ec2.models import ec2_backends

    payload = parse_payload(InstanceStatusPayload, request.payload, "ec2_instance_status")
    instance = ec2_backends[request.account_id][request.region].get_instance_by_id(payload.instance_id)
    if instance is None:
        raise ValueError(
            f"field 'instance_id': no EC2 instance {payload.instance_id!r} in this account and region"
        )
    state = InstanceOverlay(
        system_status=payload.system_status,
        instance_status=payload.instance_status,
        since=as_utc(payload.since) if payload.since is not None else utc_now().replace(microsecond=0),
        events=tuple(
            ScheduledEvent(
                _event_id(),
                e.code,
                e.description,
                as_utc(e.not_before),
                as_utc(e.not_after) if e.not_after is not None else None,
            )
            for e in payload.events
        ),
    )
    with _lock:
        _overlays.setdefault((request.account_id, request.region), {})[payload.instance_id] = state
    shown = _instance_status(instance, state)
    return {"recorded": _jsonable(shown)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


INJECTORS: dict[str, Injector] = {"ec2_instance_status": _inject_status}
