"""CIS AWS Foundations v3.0 4.8, AWS FSBP CloudWatch.8: a metric filter and an alarm for S3 bucket
policy and ACL changes."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture import cloudwatch_filters as cf
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Result, Severity

CALLS = (
    "PutBucketAcl",
    "PutBucketPolicy",
    "PutBucketCors",
    "PutBucketLifecycle",
    "PutBucketReplication",
    "DeleteBucketPolicy",
    "DeleteBucketCors",
    "DeleteBucketLifecycle",
    "DeleteBucketReplication",
)
CONTROL = cf.calls_control("S3 bucket policy and ACL changes", "s3.amazonaws.com", CALLS)

METADATA = CheckMetadata(
    id="cloudwatch_alarm_s3_bucket_policy_changes",
    title="A metric filter and alarm exist for S3 bucket policy and ACL changes",
    service="cloudwatch",
    severity=Severity.MEDIUM,
    resource_type=cf.RESOURCE_TYPE,
    risk=(
        "A bucket policy or ACL change can expose data to the internet or to another account; an alarm "
        "shortens the time such exposure goes unnoticed."
    ),
    remediation=cf.remediation(CONTROL, "S3BucketPolicyChanges"),
    reads=cf.READS,
    prowler_id="cloudwatch_log_metric_filter_for_s3_bucket_policy_changes",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return cf.judge(inventory, CONTROL)
