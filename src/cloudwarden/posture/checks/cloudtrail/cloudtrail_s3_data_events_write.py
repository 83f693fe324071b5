"""CIS AWS Foundations v3.0 3.8, AWS FSBP S3.22: a multi-region trail records S3 object-level
write events for all buckets."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.cloudtrail import s3_data_event_results
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="cloudtrail_s3_data_events_write",
    title="A multi-region trail records S3 object-level write events for all buckets",
    service="cloudtrail",
    severity=Severity.LOW,
    resource_type="AWS::::Account",
    risk="Management events do not show who wrote, overwrote or deleted objects; without "
    "object-level write events, tampering with or destroying data in S3 cannot be traced.",
    remediation=Remediation(
        summary="Add an S3 data event selector for all current and future buckets (arn:aws:s3) "
        "to a logging multi-region trail.",
        cli="aws cloudtrail put-event-selectors --trail-name <TRAIL> --event-selectors "
        '\'[{"ReadWriteType":"WriteOnly","IncludeManagementEvents":true,'
        '"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}]\''
        "  # or ReadWriteType All for reads and writes",
        cloudformation="AWS::CloudTrail::Trail EventSelectors: [{ReadWriteType: WriteOnly, "
        "DataResources: [{Type: AWS::S3::Object, Values: [arn:aws:s3]}]}]",
        terraform='aws_cloudtrail event_selector { read_write_type = "WriteOnly" '
        'data_resource { type = "AWS::S3::Object", values = ["arn:aws:s3"] } }',
    ),
    reads=("cloudtrail",),
    prowler_id="cloudtrail_s3_dataevents_write_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return s3_data_event_results(inventory, "write")
