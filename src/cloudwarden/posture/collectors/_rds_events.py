"""The RDS collector's event notification subscriptions (FSBP RDS.19 to RDS.22) and the parameter
values that force encryption in transit (RDS.38, RDS.39): kept apart from `rds.py` so each
module stays small (a leading underscore: a part of a collector, not one).

    subscriptions = read(rds, lambda: read_subscriptions(rds))
    values = read(rds, lambda: read_parameters(rds, group, names))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from cloudwarden.posture.inventory import Inventory, paginate
from cloudwarden.posture.model import Result, Unknown

# Statuses in which a subscription delivers nothing: its SNS topic is gone or refuses RDS.
NOT_DELIVERING = frozenset({"no-permission", "topic-not-exist"})


@dataclass(frozen=True)
class EventSubscription:
    name: str
    arn: str
    source_type: str | None  # None: every source type (all of the account's RDS events)
    categories: tuple[str, ...]  # empty: every category of the source type
    source_ids: tuple[str, ...]  # empty: every source of the type
    enabled: bool
    status: str  # active, no-permission, topic-not-exist, ...
    topic: str


def read_subscriptions(rds: Any) -> tuple[EventSubscription, ...]:
    return tuple(
        EventSubscription(
            name=str(raw["CustSubscriptionId"]),
            arn=str(raw.get("EventSubscriptionArn", "")),
            source_type=raw.get("SourceType") or None,
            categories=tuple(str(c).lower() for c in raw.get("EventCategoriesList") or ()),
            source_ids=tuple(str(s) for s in raw.get("SourceIdsList") or ()),
            enabled=bool(raw.get("Enabled")),
            status=str(raw.get("Status") or ""),
            topic=str(raw.get("SnsTopicArn") or ""),
        )
        for raw in paginate(rds, "describe_event_subscriptions", "EventSubscriptionsList")
    )


def read_parameters(rds: Any, group: str, names: frozenset[str]) -> dict[str, str]:
    """The values of `names` in a DB parameter group; a listed parameter without a value (the
    engine default, e.g. require_secure_transport in a default MySQL group) reads as ""."""
    return {
        str(p["ParameterName"]): str(p.get("ParameterValue", ""))
        for p in paginate(rds, "describe_db_parameters", "Parameters", DBParameterGroupName=group)
        if p.get("ParameterName") in names
    }


def why_not(subscription: EventSubscription, source_type: str, categories: tuple[str, ...]) -> str | None:
    """None when the subscription delivers `categories` of every source of `source_type`, else why
    it does not ("disabled", "only 2 named sources", "lacks failure")."""
    if subscription.source_type not in (None, source_type):
        return f"is for {subscription.source_type} events"
    if not subscription.enabled:
        return "is disabled"
    if subscription.status in NOT_DELIVERING:
        return f"cannot deliver ({subscription.status})"
    if subscription.source_ids:
        return f"covers only {len(subscription.source_ids)} named source(s), not all"
    missing = [c for c in categories if subscription.categories and c not in subscription.categories]
    return f"lacks {', '.join(missing)}" if missing else None


def judge_subscriptions(
    inventory: Inventory,
    source_type: str,
    categories: tuple[str, ...],
    in_use: Callable[[Any], tuple[Any, ...] | Unknown],
    nothing: str,
) -> Iterator[Result]:
    """Per region: PASS on the first subscription that sends `categories` of every `source_type`
    source; else FAIL on the region (saying what the subscriptions of that type lack).

    A region where `in_use(rds_data)` (its DB instances or clusters) is empty is NOT_APPLICABLE
    ("<nothing> in <region>"); an unread listing is an ERROR.
    """
    wanted = f"{source_type} {', '.join(categories)} events"
    for region, rds in inventory.each("rds"):
        where = inventory.region_arn("rds", region)
        if isinstance(rds, Unknown):
            yield Result.error(where, region, rds)
            continue
        resources = in_use(rds)
        subscriptions = rds.event_subscriptions
        unread = [x for x in (resources, subscriptions) if isinstance(x, Unknown)]
        if unread:
            yield Result.error(where, region, "; ".join(u.reason for u in unread))
            continue
        if not resources:
            yield Result.not_applicable(where, region, f"{nothing} in {region}")
            continue
        reasons = {s.name: why_not(s, source_type, categories) for s in subscriptions}
        covering = next((s for s in subscriptions if reasons[s.name] is None), None)
        if covering is not None:
            yield Result.passed(covering.arn, region, f"subscription {covering.name} sends {wanted} to SNS")
            continue
        near = [
            f"{name} {reason}"
            for name, reason in reasons.items()
            if reason is not None and not reason.startswith("is for ")
        ]
        detail = f" ({'; '.join(near)})" if near else ""
        yield Result.failed(where, region, f"no enabled event subscription sends {wanted}{detail}")
