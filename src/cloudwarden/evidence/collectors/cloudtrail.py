"""CloudTrail management events (writes only) in the incident window."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from cloudwarden.aws.permissions import declare
from cloudwarden.evidence.collector import Probe
from cloudwarden.evidence.model import Change

SOURCE = "cloudtrail"
PERMISSIONS = declare(
    "evidence.cloudtrail",
    ("cloudtrail:LookupEvents",),
    purpose="Read the changes (write events) made to the account before the incident",
)
PROBES: tuple[Probe, ...] = (
    Probe("cloudtrail", "cloudtrail", "cloudtrail:LookupEvents", lambda c: c.lookup_events(MaxResults=1)),
)
# CloudTrail names many Lambda writes with the API version: PutFunctionConcurrency20171031.
_API_VERSION_SUFFIX = re.compile(r"20\d{6}(v\d+)?$")
# LookupEvents returns at most 50 events a page and is rate-limited to 2 calls/s per account.
MAX_PAGES = 8
# Global services record their events in us-east-1's event history only, whatever the region of
# the workload they break (an IAM policy detached from a task role in eu-west-1 is found there).
GLOBAL_REGION = "us-east-1"
GLOBAL_EVENT_SOURCES = frozenset(
    {"iam.amazonaws.com", "organizations.amazonaws.com", "route53.amazonaws.com", "cloudfront.amazonaws.com"}
)
GLOBAL_MAX_PAGES = 2


def get(client: Any, *, start: datetime, end: datetime, max_pages: int = MAX_PAGES) -> list[dict[str, Any]]:
    """The write events of the client's region in [start, end], newest first."""
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "ReadOnly", "AttributeValue": "false"}],
        "StartTime": start,
        "EndTime": end,
        "MaxResults": 50,
    }
    for _ in range(max_pages):
        response = client.lookup_events(**kwargs)
        events.extend(response.get("Events", []))
        token = response.get("NextToken")
        if not token:
            break
        kwargs["NextToken"] = token
    return events


def get_global(client: Any, *, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The global services' write events (IAM, Organizations, Route 53, CloudFront) in [start, end].

    `client` is a us-east-1 client. LookupEvents takes one lookup attribute, so this asks for the
    region's writes (ReadOnly=false) and keeps the global services' (us-east-1's own regional
    events are another region's business when the workload is elsewhere).
    """
    events = get(client, start=start, end=end, max_pages=GLOBAL_MAX_PAGES)
    return [e for e in events if _event_source(e) in GLOBAL_EVENT_SOURCES]


def _event_source(event: dict[str, Any]) -> str:
    if event.get("EventSource"):
        return str(event["EventSource"])
    try:
        return str(json.loads(event.get("CloudTrailEvent") or "{}").get("eventSource", ""))
    except json.JSONDecodeError:
        return ""


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
