"""CIS AWS Foundations v3.0 3.1, AWS FSBP CloudTrail.1: a multi-region trail logs all management
events (read and write)."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.cloudtrail import judged_trails
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="cloudtrail_multi_region_logging_management_events",
    title="A multi-region CloudTrail trail is logging read and write management events",
    service="cloudtrail",
    severity=Severity.HIGH,
    resource_type="AWS::::Account",
    risk="Without a trail that logs every region's management events, API activity in an unused "
    "region (a favourite place for an intruder's resources) or of one kind leaves no record, and "
    "incidents cannot be investigated.",
    remediation=Remediation(
        summary="Create (or update) a trail that applies to all regions, start logging, and keep "
        "its event selectors recording management events of type All.",
        cli="aws cloudtrail create-trail --name <TRAIL> --s3-bucket-name <BUCKET> --is-multi-region-trail\n"
        "aws cloudtrail put-event-selectors --trail-name <TRAIL> --event-selectors "
        '\'[{"ReadWriteType":"All","IncludeManagementEvents":true}]\'\n'
        "aws cloudtrail start-logging --name <TRAIL>",
        cloudformation="AWS::CloudTrail::Trail IsMultiRegionTrail: true, IsLogging: true, "
        "EventSelectors: [{ReadWriteType: All, IncludeManagementEvents: true}]",
        terraform="aws_cloudtrail is_multi_region_trail = true, enable_logging = true, "
        'event_selector { read_write_type = "All", include_management_events = true }',
    ),
    reads=("cloudtrail",),
    prowler_id="cloudtrail_multi_region_enabled_logging_management_events",
)


def run(inventory: Inventory) -> Iterator[Result]:
    trails, unread = judged_trails(inventory)
    unknown = [f"{region}: {why.reason}" for region, why in unread]
    gaps = []
    for trail in trails:
        gap = trail.management_gap()
        if gap is None:
            yield Result.passed(
                inventory.account_arn,
                "global",
                f"multi-region trail {trail.name} is logging read and write management events",
            )
            return
        if isinstance(gap, Unknown):
            unknown.append(gap.reason)
        elif trail.multi_region:
            gaps.append(gap)
    if unknown:
        yield Result.error(inventory.account_arn, "global", "; ".join(unknown[:3]))
        return
    reason = "; ".join(gaps[:3]) if gaps else f"no multi-region trail among {len(trails)} trail(s)"
    yield Result.failed(inventory.account_arn, "global", reason)
