"""The inventory a scan builds: each service's data per region, or why it could not be read.

    inventory.put("ec2", "us-east-1", Ec2Data(...))
    for region, ec2 in inventory.each("ec2"):       # every scanned region, in order
        if isinstance(ec2, Unknown): ...            # denied, throttled, not enabled: say so
    iam = inventory.account("iam")                  # account-wide services live under "global"

`read(...)` is how a collector reads one optional detail (a bucket's policy, a key's rotation):
a failed call becomes an `Unknown` naming the IAM action and the error code, and the collector
goes on with the next resource.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from cloudwarden.aws.permissions import iam_action
from cloudwarden.posture.model import Result, Unknown

GLOBAL = "global"
T = TypeVar("T")


def unknown_from(exc: Exception, *, client: Any | None = None) -> Unknown:
    """A readable reason for a failed AWS call: 'iam:GetAccountSummary: AccessDenied (…)'."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Error"))
        message = str(error.get("Message", ""))[:200]
        action = exc.operation_name
        if client is not None:
            action = iam_action(client.meta.service_model.endpoint_prefix, exc.operation_name)
        return Unknown(f"{action}: {code}" + (f" ({message})" if message else ""))
    if isinstance(exc, BotoCoreError):
        return Unknown(f"{type(exc).__name__}: {str(exc)[:200]}")
    return Unknown(f"{type(exc).__name__}: {str(exc)[:200]}")


def read(
    client: Any, call: Callable[[], T], *, missing: tuple[str, ...] = (), absent: Any = None
) -> T | Unknown | Any:
    """Call AWS for one detail: its value, `absent` when the error code says "there is none"
    (`missing`, e.g. NoSuchBucketPolicy), or an Unknown with the reason."""
    try:
        return call()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in missing:
            return absent
        return unknown_from(exc, client=client)
    except BotoCoreError as exc:
        return unknown_from(exc)


def paginate(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    """Every item of a paginated list call (raises on failure: the caller decides)."""
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


@dataclass
class Inventory:
    account_id: str
    regions: tuple[str, ...]
    partition: str = "aws"
    _data: dict[tuple[str, str], Any] = field(default_factory=dict)

    def put(self, service: str, region: str, value: Any) -> None:
        self._data[(service, region)] = value

    def has(self, service: str, region: str) -> bool:
        return (service, region) in self._data

    def get(self, service: str, region: str) -> Any:
        """The service's data in the region, or an Unknown when it was not collected."""
        return self._data.get((service, region), Unknown(f"{service} was not collected in {region}"))

    def account(self, service: str) -> Any:
        return self.get(service, GLOBAL)

    def unknowns(self) -> dict[str, str]:
        """What could not be collected: "service@region" -> why."""
        return {
            f"{service}@{region}": value.reason
            for (service, region), value in sorted(self._data.items())
            if isinstance(value, Unknown)
        }

    def each(self, service: str) -> Iterator[tuple[str, Any]]:
        for region in self.regions:
            yield region, self.get(service, region)

    @property
    def account_arn(self) -> str:
        """The id results about the account as a whole are reported on."""
        return f"arn:{self.partition}:iam::{self.account_id}:root"

    def region_arn(self, service: str, region: str) -> str:
        """The id results about a service's setting in one region are reported on."""
        return f"arn:{self.partition}:{service}:{region}:{self.account_id}:account"


def judge_each(
    inventory: Inventory,
    service: str,
    pick: Callable[[Any], tuple[T, ...] | Unknown],
    judge: Callable[[T, str], Result | None],
    nothing: str,
) -> Iterator[Result]:
    """judge(item, region) for every item `pick` takes from the service's data, region by region.

    An unread service or listing is one ERROR for the region; judge may return None to leave an
    item out; a region with no result is NOT_APPLICABLE ("<nothing> in <region>").
    """
    for region, data in inventory.each(service):
        where = inventory.region_arn(service, region)
        if isinstance(data, Unknown):
            yield Result.error(where, region, data)
            continue
        items = pick(data)
        if isinstance(items, Unknown):
            yield Result.error(where, region, items)
            continue
        results = [r for item in items if (r := judge(item, region)) is not None]
        yield from results or [Result.not_applicable(where, region, f"{nothing} in {region}")]
