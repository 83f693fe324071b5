"""The alarm poller: every account's alarm states, read through its read-only role.

For accounts without SNS or EventBridge wiring, and to catch what a push missed: each alarm's
current state and the moment it last changed become a `Transition`, recorded with the
transition's own key as the delivery id, so a state is recorded once however often it is read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cloudwarden.alerts.service import Transition
from cloudwarden.aws.session import SessionBroker
from cloudwarden.store import models

STATES = ("ALARM", "OK")  # INSUFFICIENT_DATA neither opens nor resolves anything
MAX_PAGES = 20  # 100 alarms a page: 2,000 alarms per region per poll


def read_transitions(broker: SessionBroker, account: models.Account) -> list[Transition]:
    transitions: list[Transition] = []
    for region in account.regions:
        session = broker.session(role_arn=account.role_arn, external_id=account.external_id, region=region)
        client = session.client("cloudwatch", region=region)
        pages = client.get_paginator("describe_alarms").paginate(
            AlarmTypes=["MetricAlarm", "CompositeAlarm"], PaginationConfig={"MaxItems": MAX_PAGES * 100}
        )
        for page in pages:
            for raw in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]:
                transition = _transition(raw, region)
                if transition is not None:
                    transitions.append(transition)
    return transitions


def _transition(raw: dict[str, Any], region: str) -> Transition | None:
    state = raw.get("StateValue")
    changed = raw.get("StateTransitionedTimestamp") or raw.get("StateUpdatedTimestamp")
    arn = str(raw.get("AlarmArn") or "")
    if state not in STATES or not isinstance(changed, datetime) or arn.count(":") < 6:
        return None
    return Transition(
        aws_account_id=arn.split(":")[4],
        region=region,
        alarm_name=str(raw["AlarmName"]),
        alarm_arn=arn,
        new_state=str(state),
        old_state=None,
        reason=str(raw.get("StateReason") or ""),
        changed_at=changed if changed.tzinfo else changed.replace(tzinfo=UTC),
    )
