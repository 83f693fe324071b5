"""RDS DescribeEvents as in AWS: filtered by source, time and category, paged, and fed by reboots.

moto returns only its own create and backup events and ignores every filter, and
RebootDBInstance records nothing. Here DescribeEvents merges moto's events with the ones this
module records (reboots and failovers through the API, and injected events) and applies AWS's
filters: SourceIdentifier, SourceType, StartTime/EndTime/Duration (default: the last 60
minutes), EventCategories, MaxRecords (20-100) and Marker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field

from cloudwarden.simulator.patches import Injector, InjectRequest
from cloudwarden.simulator.patches._support import (
    StrictPayload,
    as_utc,
    install,
    parse_payload,
    request_time,
    sim_time,
    utc_now,
)

DEFAULT_DURATION_MINUTES = 60
EventCategory = Literal[
    "availability",
    "backup",
    "configuration change",
    "creation",
    "deletion",
    "failover",
    "failure",
    "low storage",
    "maintenance",
    "notification",
    "read replica",
    "recovery",
    "restoration",
    "security",
    "security patching",
]

_lock = threading.RLock()
_events: dict[tuple[str, str], list[RdsEvent]] = {}
_originals: dict[str, Callable[..., Any]] = {}


@dataclass(frozen=True)
class RdsEvent:
    source_identifier: str
    source_type: str
    message: str
    categories: tuple[str, ...]
    date: datetime
    source_arn: str

    def to_api(self) -> dict[str, Any]:
        return {
            "SourceIdentifier": self.source_identifier,
            "SourceType": self.source_type,
            "Message": self.message,
            "EventCategories": list(self.categories),
            "Date": self.date,
            "SourceArn": self.source_arn,
        }


def record(account_id: str, region: str, event: RdsEvent) -> None:
    with _lock:
        _events.setdefault((account_id, region), []).append(event)


def events(account_id: str, region: str, moto_events: list[Any]) -> list[RdsEvent]:
    """moto's own events and ours, oldest first (the order DescribeEvents returns)."""
    merged = [
        RdsEvent(
            e.source_identifier,
            e.source_type,
            e.message,
            tuple(e.event_categories),
            as_utc(e.date),
            e.source_arn,
        )
        for e in moto_events
    ]
    with _lock:
        merged.extend(_events.get((account_id, region), []))
    return sorted(merged, key=lambda e: e.date)


def _window(params: Any) -> tuple[datetime, datetime]:
    start, end, duration = params.get("StartTime"), params.get("EndTime"), params.get("Duration")
    span = timedelta(minutes=int(duration if duration is not None else DEFAULT_DURATION_MINUTES))
    if start is not None and end is not None:
        return as_utc(start), as_utc(end)
    if start is not None:
        return as_utc(start), (as_utc(start) + span) if duration is not None else utc_now()
    stop = as_utc(end) if end is not None else utc_now()
    return stop - span, stop


def _describe_events(self: Any) -> Any:
    from moto.core.responses import ActionResult
    from moto.rds.exceptions import InvalidParameterCombination, InvalidParameterValue

    params = self.params
    source_id, source_type = params.get("SourceIdentifier"), params.get("SourceType")
    if source_id and not source_type:
        raise InvalidParameterCombination("Cannot specify source identifier without source type")
    max_records = int(params.get("MaxRecords") or 100)
    if not 20 <= max_records <= 100:
        raise InvalidParameterValue(f"Invalid value {max_records} for MaxRecords. Must be between 20 and 100")
    start, end = _window(params)
    categories = set(params.get("EventCategories") or [])
    matching = [
        e
        for e in events(self.current_account, self.region, list(self.backend.events))
        if (not source_id or e.source_identifier == source_id)
        and (not source_type or e.source_type == source_type)
        and (not categories or categories & set(e.categories))
        and start <= e.date <= end
    ]
    marker = params.get("Marker")
    if marker and not str(marker).isdigit():
        raise InvalidParameterValue(f"Invalid marker: {marker}")
    offset = int(marker or 0)
    result: dict[str, Any] = {"Events": [e.to_api() for e in matching[offset : offset + max_records]]}
    if offset + max_records < len(matching):
        result["Marker"] = str(offset + max_records)
    return ActionResult(result)


def _reboot_db_instance(self: Any) -> Any:
    result = _originals["reboot_db_instance"](self)
    database = result.result["DBInstance"]
    at = request_time(self.headers)
    messages: list[tuple[str, str]] = []
    if self.params.get("ForceFailover") and getattr(database, "multi_az", False):
        messages += [
            ("failover", "Multi-AZ instance failover started."),
            ("failover", "Multi-AZ instance failover completed."),
        ]
    messages.append(("availability", "DB instance restarted"))
    for offset, (category, message) in enumerate(messages):
        # A restart takes a moment; keep the events in the order RDS writes them.
        when = at + timedelta(seconds=offset * 20)
        record(
            self.current_account,
            self.region,
            RdsEvent(
                database.db_instance_identifier, "db-instance", message, (category,), when, database.arn
            ),
        )
    return result


def _create_db_instance(self: Any) -> Any:
    """moto dates its creation events by the wall clock; use the write's simulated time."""
    known = len(self.backend.events)
    result = _originals["create_db_instance"](self)
    at = sim_time(self.headers)
    if at is not None:
        for event in self.backend.events[known:]:
            event.date = at
    return result


def apply() -> None:
    from moto.rds.responses import RDSResponse

    if _originals:
        return
    _originals["reboot_db_instance"] = RDSResponse.reboot_db_instance
    _originals["create_db_instance"] = RDSResponse.create_db_instance
    install(RDSResponse, "create_db_instance", _create_db_instance)
    install(RDSResponse, "describe_events", _describe_events)
    install(RDSResponse, "reboot_db_instance", _reboot_db_instance)


def reset() -> None:
    with _lock:
        _events.clear()


class RdsEventPayload(StrictPayload):
    db_instance: str
    date: datetime
    message: str = Field(min_length=1)
    categories: list[EventCategory] = Field(default_factory=list)


def _inject_event(request: InjectRequest) -> dict[str, Any]:
    from moto.rds.models import rds_backends

    payload = parse_payload(RdsEventPayload, request.payload, "rds_event")
    database = rds_backends[request.account_id][request.region].databases.get(payload.db_instance)
    if database is None:
        raise ValueError(
            f"field 'db_instance': no DB instance {payload.db_instance!r} in this account and region"
        )
    event = RdsEvent(
        payload.db_instance,
        "db-instance",
        payload.message,
        tuple(payload.categories),
        as_utc(payload.date),
        database.arn,
    )
    record(request.account_id, request.region, event)
    return {"recorded": event.to_api() | {"Date": event.date.isoformat()}}


INJECTORS: dict[str, Injector] = {"rds_event": _inject_event}
