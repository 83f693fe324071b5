"""CloudTrail, read in every region: the trails, each one's status and event selectors.

DescribeTrails(includeShadowTrails=True) lists, in every region, the trails created there and
the "shadows" of multi-region and organization trails created elsewhere. A trail's status and
selectors are read only in its home region, so `judged_trails(inventory)` returns each trail once
(by ARN), as its home region saw it; a trail whose home region was not scanned keeps its settings
from a shadow copy and an Unknown status saying why.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from cloudwarden.aws import permissions
from cloudwarden.posture.collectors import Clients
from cloudwarden.posture.inventory import Inventory, read
from cloudwarden.posture.model import Result, Unknown

SERVICE = "cloudtrail"
SCOPE: Literal["global", "regional"] = "regional"
PERMISSIONS = permissions.declare(
    "posture.cloudtrail",
    ("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"),
    purpose="posture: CloudTrail trails, whether they log, and which events they record",
)

Coverage = Literal["all", "some", "none"]
_ALL_BUCKETS = re.compile(r"^arn:[a-z-]+:s3(:::)?$")


@dataclass(frozen=True)
class TrailStatus:
    is_logging: bool
    latest_delivery: datetime | None
    latest_cloudwatch_delivery: datetime | None
    latest_cloudwatch_error: str | None


@dataclass(frozen=True)
class EventSelectors:
    """The trail's basic (`classic`) or advanced event selectors, as GetEventSelectors gives them."""

    classic: tuple[Mapping[str, Any], ...] = ()
    advanced: tuple[Mapping[str, Any], ...] = ()

    def management_kinds(self) -> set[str]:
        """Which management events ("read", "write") the selectors record, without filtering."""
        kinds: set[str] = set()
        for selector in self.classic:
            if selector.get("IncludeManagementEvents", True):
                kinds |= _kinds(selector.get("ReadWriteType", "All"))
        for selector in self.advanced:
            fields = _fields(selector)
            if fields.get("eventCategory", {}).get("Equals") != ["Management"]:
                continue
            # Excluding event sources (KMS, RDS Data API) is allowed, as in basic selectors.
            source = fields.get("eventSource", {})
            if any(op != "NotEquals" for op in source):
                continue
            if set(fields) - {"eventCategory", "readOnly", "eventSource"}:
                continue
            kinds |= _read_only_kinds(fields.get("readOnly"))
        return kinds

    def records_all_management_events(self) -> bool:
        return self.management_kinds() == {"read", "write"}

    def s3_object_coverage(self, kind: Literal["read", "write"]) -> Coverage:
        """Whether S3 object-level (data) events of `kind` are recorded for all buckets."""
        coverage: Coverage = "none"
        for selector in self.classic:
            if kind not in _kinds(selector.get("ReadWriteType", "All")):
                continue
            for resource in selector.get("DataResources", []):
                if resource.get("Type") != "AWS::S3::Object":
                    continue
                values = resource.get("Values", [])
                if any(_ALL_BUCKETS.match(str(v)) for v in values):
                    return "all"
                if values:
                    coverage = "some"
        for selector in self.advanced:
            fields = _fields(selector)
            if fields.get("eventCategory", {}).get("Equals") != ["Data"]:
                continue
            if fields.get("resources.type", {}).get("Equals") != ["AWS::S3::Object"]:
                continue
            if kind not in _read_only_kinds(fields.get("readOnly")):
                continue
            arn = fields.get("resources.ARN")
            everything = arn is None or (
                set(arn) == {"StartsWith"}
                and any(_ALL_BUCKETS.match(v.rstrip("/")) for v in arn["StartsWith"])
            )
            if everything and not set(fields) - {
                "eventCategory",
                "resources.type",
                "readOnly",
                "resources.ARN",
            }:
                return "all"
            coverage = "some"
        return coverage


@dataclass(frozen=True)
class Trail:
    arn: str
    name: str
    home_region: str
    multi_region: bool
    organization: bool
    log_file_validation: bool
    kms_key_id: str | None
    s3_bucket: str | None
    log_group_arn: str | None  # CloudWatchLogsLogGroupArn: where it delivers, if anywhere
    status: TrailStatus | Unknown
    selectors: EventSelectors | Unknown

    def management_gap(self) -> str | Unknown | None:
        """None when the trail is a multi-region trail that logs read and write management events
        (CIS 3.1); else why not (a sentence), or an Unknown."""
        if not self.multi_region:
            return f"trail {self.name} is not multi-region"
        if isinstance(self.status, Unknown):
            return self.status
        if not self.status.is_logging:
            return f"trail {self.name} is not logging"
        if isinstance(self.selectors, Unknown):
            return self.selectors
        kinds = self.selectors.management_kinds()
        if kinds != {"read", "write"}:
            got = " ".join(sorted(kinds)) + " only" if kinds else "no"
            return f"trail {self.name} records {got} management events"
        return None


@dataclass(frozen=True)
class CloudTrailData:
    trails: tuple[Trail, ...]


def collect(clients: Clients, region: str, account_id: str) -> CloudTrailData:
    cloudtrail = clients("cloudtrail")
    listed = cloudtrail.describe_trails(includeShadowTrails=True).get("trailList", [])
    trails = []
    for item in listed:
        arn = item["TrailARN"]
        home = item.get("HomeRegion") or region
        status: TrailStatus | Unknown
        selectors: EventSelectors | Unknown
        if home == region:
            status = read(cloudtrail, functools.partial(_status, cloudtrail, arn))
            selectors = read(cloudtrail, functools.partial(_selectors, cloudtrail, arn))
        else:
            status = selectors = _not_scanned(item.get("Name", arn), home)
        trails.append(
            Trail(
                arn=arn,
                name=item.get("Name", arn),
                home_region=home,
                multi_region=bool(item.get("IsMultiRegionTrail")),
                organization=bool(item.get("IsOrganizationTrail")),
                log_file_validation=bool(item.get("LogFileValidationEnabled")),
                kms_key_id=item.get("KmsKeyId") or None,
                s3_bucket=item.get("S3BucketName") or None,
                log_group_arn=item.get("CloudWatchLogsLogGroupArn") or None,
                status=status,
                selectors=selectors,
            )
        )
    return CloudTrailData(trails=tuple(trails))


def judged_trails(inventory: Inventory) -> tuple[list[Trail], list[tuple[str, Unknown]]]:
    """Every trail once, as read in its home region, and the regions whose trails are Unknown."""
    own: dict[str, Trail] = {}
    shadows: dict[str, Trail] = {}
    unread: dict[str, Unknown] = {}
    for region, data in inventory.each(SERVICE):
        if isinstance(data, Unknown):
            unread[region] = data
            continue
        for trail in data.trails:
            if trail.home_region == region:
                own[trail.arn] = trail
            else:
                shadows.setdefault(trail.arn, trail)
    for arn, trail in shadows.items():
        if arn in own:
            continue
        why = unread.get(trail.home_region)
        if why is not None:  # its home region was scanned but could not be read: say why
            trail = dataclasses.replace(trail, status=why, selectors=why)
        own[arn] = trail
    return sorted(own.values(), key=lambda t: t.arn), sorted(unread.items())


def trail_results(inventory: Inventory, verdict: Callable[[Trail], Result]) -> Iterator[Result]:
    """A per-trail check: `verdict` on each trail once, ERROR for regions whose trails are unknown."""
    trails, unread = judged_trails(inventory)
    for region, why in unread:
        yield Result.error(inventory.region_arn(SERVICE, region), region, why)
    if not trails and not unread:
        yield Result.not_applicable(inventory.account_arn, "global", "the account has no CloudTrail trails")
    for trail in trails:
        yield verdict(trail)


def s3_data_event_results(inventory: Inventory, kind: Literal["read", "write"]) -> Iterator[Result]:
    """CIS 3.8/3.9: one account-wide result: does a logging multi-region trail record S3
    object-level `kind` events for every bucket?"""
    trails, unread = judged_trails(inventory)
    unknown = [f"{region}: {why.reason}" for region, why in unread]
    gaps = []
    for trail in trails:
        if not trail.multi_region:
            continue
        status, selectors = trail.status, trail.selectors
        if isinstance(status, Unknown):
            unknown.append(status.reason)
            continue
        if isinstance(selectors, Unknown):
            unknown.append(selectors.reason)
            continue
        coverage = selectors.s3_object_coverage(kind)
        if coverage == "all" and status.is_logging:
            yield Result.passed(
                inventory.account_arn,
                "global",
                f"trail {trail.name} records S3 object-level {kind} events for all buckets",
            )
            return
        if coverage == "all":
            gaps.append(f"trail {trail.name} would record S3 object-level {kind} events but is not logging")
        elif coverage == "some":
            gaps.append(f"trail {trail.name} records S3 object-level {kind} events for some buckets only")
    if unknown:
        yield Result.error(inventory.account_arn, "global", "; ".join(unknown[:3]))
        return
    reason = "; ".join(gaps[:3]) or f"no multi-region trail records S3 object-level {kind} events"
    yield Result.failed(inventory.account_arn, "global", reason)


def log_group_location(arn: str) -> tuple[str, str] | None:
    """(region, log group name) of a CloudWatch Logs log group ARN."""
    match = re.match(r"^arn:[a-z-]+:logs:([a-z0-9-]+):\d*:log-group:(.+?)(:\*)?$", arn)
    return (match.group(1), match.group(2)) if match else None


def _not_scanned(name: str, home: str) -> Unknown:
    return Unknown(f"trail {name} is read in its home region {home}, which was not scanned")


def _status(cloudtrail: Any, arn: str) -> TrailStatus:
    response = cloudtrail.get_trail_status(Name=arn)
    return TrailStatus(
        is_logging=bool(response.get("IsLogging")),
        latest_delivery=_when(response.get("LatestDeliveryTime")),
        latest_cloudwatch_delivery=_when(response.get("LatestCloudWatchLogsDeliveryTime")),
        latest_cloudwatch_error=response.get("LatestCloudWatchLogsDeliveryError") or None,
    )


def _selectors(cloudtrail: Any, arn: str) -> EventSelectors:
    response = cloudtrail.get_event_selectors(TrailName=arn)
    return EventSelectors(
        classic=tuple(response.get("EventSelectors") or ()),
        advanced=tuple(response.get("AdvancedEventSelectors") or ()),
    )


def _when(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


def _kinds(read_write_type: str) -> set[str]:
    return {"All": {"read", "write"}, "ReadOnly": {"read"}, "WriteOnly": {"write"}}.get(
        read_write_type, set()
    )


def _fields(selector: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    """An advanced selector's field selectors: field -> {operator: values}."""
    fields: dict[str, dict[str, list[str]]] = {}
    for field in selector.get("FieldSelectors", []):
        ops = {k: [str(v) for v in values] for k, values in field.items() if k != "Field" and values}
        fields.setdefault(str(field.get("Field")), {}).update(ops)
    return fields


def _read_only_kinds(read_only: Mapping[str, Iterable[str]] | None) -> set[str]:
    if not read_only:
        return {"read", "write"}
    if set(read_only) != {"Equals"}:
        return set()
    values = {v.lower() for v in read_only["Equals"]}
    return ({"read"} if "true" in values else set()) | ({"write"} if "false" in values else set())
