"""CloudTrail management events (writes only) in the incident window."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from cloudwarden.aws.permissions import declare
from cloudwarden.evidence.model import Change

SOURCE = "cloudtrail"
PERMISSIONS = declare(
    "evidence.cloudtrail",
    ("cloudtrail:LookupEvents",),
    purpose="Read the changes (write events) made to the account before the incident",
)
# CloudTrail names many Lambda writes with the API version: PutFunctionConcurrency20171031.
_API_VERSION_SUFFIX = re.compile(r"20\d{6}(v\d+)?$")
# LookupEvents returns at most 50 events a page and is rate-limited to 2 calls/s per account.
MAX_PAGES = 8


def get(client: Any, *, start: datetime, end: datetime) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "ReadOnly", "AttributeValue": "false"}],
        "StartTime": start,
        "EndTime": end,
        "MaxResults": 50,
    }
    for _ in range(MAX_PAGES):
        response = client.lookup_events(**kwargs)
        events.extend(response.get("Events", []))
        token = response.get("NextToken")
        if not token:
            break
        kwargs["NextToken"] = token
    return events


def _flatten_names(value: Any) -> list[str]:
    """Every string in a request's parameters: resource ids hide at any depth."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _flatten_names(v)]
    if isinstance(value, list):
        return [s for v in value for s in _flatten_names(v)]
    return []


def transform(raw: list[dict[str, Any]]) -> list[Change]:
    changes = []
    for event in raw:
        try:
            record = json.loads(event.get("CloudTrailEvent") or "{}")
        except json.JSONDecodeError:
            record = {}
        if record.get("errorCode"):
            continue  # a failed write changed nothing
        parameters = record.get("requestParameters") or {}
        names = [r["ResourceName"] for r in event.get("Resources", []) if r.get("ResourceName")]
        names += [s for s in _flatten_names(parameters) if s not in names and len(s) < 2048]
        actor = record.get("userIdentity", {}).get("arn") or event.get("Username", "")
        changes.append(
            Change(
                source="cloudtrail",
                time=event["EventTime"],
                name=_API_VERSION_SUFFIX.sub("", event["EventName"]),
                actor=actor,
                resources=names,
                parameters=parameters if isinstance(parameters, dict) else {},
                event_id=event.get("EventId", ""),
            )
        )
    return sorted(changes, key=lambda c: c.time)
