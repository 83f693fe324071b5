"""CIS AWS Foundations v3.0 4.5, AWS FSBP CloudWatch.5: a metric filter and an alarm for CloudTrail
configuration changes."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture import cloudwatch_filters as cf
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Result, Severity

CALLS = (
    "CreateTrail",
    "UpdateTrail",
    "DeleteTrail",
    "StartLogging",
    "StopLogging",
)
CONTROL = cf.calls_control(
    "CloudTrail configuration changes", "cloudtrail.amazonaws.com", CALLS, name_source=False
)

METADATA = CheckMetadata(
    id="cloudwatch_alarm_cloudtrail_changes",
    title="A metric filter and alarm exist for CloudTrail configuration changes",
    service="cloudwatch",
    severity=Severity.MEDIUM,
    resource_type=cf.RESOURCE_TYPE,
    risk=(
        "Stopping, deleting or redirecting a trail is how an intruder hides what follows; an alarm makes "
        "the loss of the audit trail itself visible."
    ),
    remediation=cf.remediation(CONTROL, "CloudTrailChanges"),
    reads=cf.READS,
    prowler_id="cloudwatch_log_metric_filter_and_alarm_for_cloudtrail_configuration_changes_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return cf.judge(inventory, CONTROL)
