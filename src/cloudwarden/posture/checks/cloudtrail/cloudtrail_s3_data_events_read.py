"""CIS AWS Foundations v3.0 3.9, AWS FSBP S3.23: a multi-region trail records S3 object-level
read events for all buckets."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture.collectors.cloudtrail import s3_data_event_results
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Remediation, Result, Severity

METADATA = CheckMetadata(
    id="cloudtrail_s3_data_events_read",
    title="A multi-region trail records S3 object-level read events for all buckets",
    service="cloudtrail",
    severity=Severity.LOW,
    resource_type="AWS::::Account",
    risk="Management events do not show who read which objects; without object-level read "
    "events, the scope of a data theft from S3 cannot be established.",
    remediation=Remediation(
        summary="Add an S3 data event selector for all current and future buckets (arn:aws:s3) "
        "to a logging multi-region trail.",
        cli="aws cloudtrail put-event-selectors --trail-name <TRAIL> --event-selectors "
        '\'[{"ReadWriteType":"ReadOnly","IncludeManagementEvents":true,'
        '"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}]\''
        "  # or ReadWriteType All for reads and writes",
        cloudformation="AWS::CloudTrail::Trail EventSelectors: [{ReadWriteType: ReadOnly, "
        "DataResources: [{Type: AWS::S3::Object, Values: [arn:aws:s3]}]}]",
        terraform='aws_cloudtrail event_selector { read_write_type = "ReadOnly" '
        'data_resource { type = "AWS::S3::Object", values = ["arn:aws:s3"] } }',
    ),
    reads=("cloudtrail",),
    prowler_id="cloudtrail_s3_dataevents_read_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return s3_data_event_results(inventory, "read")
