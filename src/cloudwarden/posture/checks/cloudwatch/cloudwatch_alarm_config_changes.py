"""CIS AWS Foundations v3.0 4.9, AWS FSBP CloudWatch.9: a metric filter and an alarm for AWS Config
configuration changes."""

from __future__ import annotations

from collections.abc import Iterator

from cloudwarden.posture import cloudwatch_filters as cf
from cloudwarden.posture.inventory import Inventory
from cloudwarden.posture.model import CheckMetadata, Result, Severity

CALLS = (
    "StopConfigurationRecorder",
    "DeleteDeliveryChannel",
    "PutDeliveryChannel",
    "PutConfigurationRecorder",
)
CONTROL = cf.calls_control("AWS Config configuration changes", "config.amazonaws.com", CALLS)

METADATA = CheckMetadata(
    id="cloudwatch_alarm_config_changes",
    title="A metric filter and alarm exist for AWS Config configuration changes",
    service="cloudwatch",
    severity=Severity.MEDIUM,
    resource_type=cf.RESOURCE_TYPE,
    risk=(
        "Stopping the Config recorder or changing its delivery blinds the account's configuration history"
        " and compliance rules; an alarm reveals it."
    ),
    remediation=cf.remediation(CONTROL, "AWSConfigChanges"),
    reads=cf.READS,
    prowler_id="cloudwatch_log_metric_filter_and_alarm_for_aws_config_configuration_changes_enabled",
)


def run(inventory: Inventory) -> Iterator[Result]:
    return cf.judge(inventory, CONTROL)
