"""CloudWatch Logs through FilterLogEvents.

No filter pattern is sent: moto (and so the simulated account) silently returns every event for
patterns it does not understand, and the engine mines templates from raw lines anyway.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cloudwarden.aws.permissions import declare
from cloudwarden.evidence.collector import Probe
from cloudwarden.evidence.model import LogLine

SOURCE = "logs"
PERMISSIONS = declare(
    "evidence.logs", ("logs:FilterLogEvents",), purpose="Read application log lines in the incident window"
)
PROBES: tuple[Probe, ...] = (
    Probe(
        "logs",
        "logs",
        "logs:FilterLogEvents",
        lambda c: c.filter_log_events(logGroupName="/cloudwarden/permission-probe", limit=1),
    ),
)
MAX_PAGES_PER_GROUP = 3
PAGE_LIMIT = 10_000


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def get(client: Any, *, group: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "logGroupName": group,
        "startTime": _millis(start),
        "endTime": _millis(end),
        "limit": PAGE_LIMIT,
    }
    for _ in range(MAX_PAGES_PER_GROUP):
        response = client.filter_log_events(**kwargs)
        events.extend(response.get("events", []))
        token = response.get("nextToken")
        if not token:
            break
        kwargs["nextToken"] = token
    return events


def transform(group: str, raw: list[dict[str, Any]]) -> list[LogLine]:
    from datetime import UTC

    return [
        LogLine(
            group=group,
            stream=event.get("logStreamName", ""),
            time=datetime.fromtimestamp(event["timestamp"] / 1000, tz=UTC),
            message=event["message"],
        )
        for event in raw
    ]
