"""AWS FSBP CloudTrail.3: at least one CloudTrail trail is enabled (AWS Config's
cloudtrail-enabled, evaluated in each region: a trail created there or a multi-region or
organization trail that applies to it, and that is logging)."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.cloudtrail import SERVICE, Trail, judged_trails
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity, Unknown

METADATA = CheckMetadata(
    id="cloudtrail_trail_enabled",
    title="A CloudTrail trail is logging in every region",
    service="cloudtrail",
    severity=Severity.HIGH,
    resource_type="AWS::::Account",
    risk="Where no trail logs, API activity is kept only in the 90-day event history, which cannot "
    "be protected, searched across regions or fed to alarms: an intruder's actions there leave no "
    "durable record.",
    remediation=Remediation(
        summary="Create a multi-region trail (it applies to every region, present and future) and "
        "start logging, or start logging on the existing trail that is stopped.",
        cli="aws cloudtrail create-trail --name <TRAIL> --s3-bucket-name <BUCKET> --is-multi-region-trail\n"
        "aws cloudtrail start-logging --name <TRAIL>",
        cloudformation="AWS::CloudTrail::Trail IsLogging: true, IsMultiRegionTrail: true, S3BucketName: <bucket>",
        terraform='resource "aws_cloudtrail" "this" {\n'
        '  name                  = "account-trail"\n'
        "  s3_bucket_name        = aws_s3_bucket.trail.id\n"
        "  is_multi_region_trail = true\n"
        "  enable_logging        = true\n"
        "}",
    ),
    reads=("cloudtrail",),
    # The same reading: a region passes with any logging trail, its own or a multi-region one
    # (Prowler files it under FSBP CloudTrail.1 and reports the trail's ARN when it passes).
    prowler_id="cloudtrail_multi_region_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    judged = {trail.arn: trail for trail in judged_trails(inventory)[0]}
    for region, data in inventory.each(SERVICE):
        where = inventory.region_arn(SERVICE, region)
        if isinstance(data, Unknown):
            yield Result.error(where, region, data)
            continue
        # The trails DescribeTrails lists in the region apply to it (its own, and the shadows of
        # multi-region and organization trails), each judged as its home region read it.
        yield _verdict([judged.get(t.arn, t) for t in data.trails], where, region)


def _verdict(trails: list[Trail], where: str, region: str) -> Result:
    unknown: list[str] = []
    stopped: list[str] = []
    for trail in trails:
        if isinstance(trail.status, Unknown):
            unknown.append(trail.status.reason)
        elif trail.status.is_logging:
            kind = "multi-region trail" if trail.multi_region else "trail"
            return Result.passed(where, region, f"{kind} {trail.name} is logging in {region}")
        else:
            stopped.append(trail.name)
    if unknown:
        return Result.error(where, region, "; ".join(unknown[:3]))
    if stopped:
        return Result.failed(where, region, f"no trail is logging in {region}: {', '.join(stopped)} stopped")
    return Result.failed(where, region, f"no CloudTrail trail applies to {region}")
